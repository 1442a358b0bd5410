"""`/tally plan …`: add, review, list and remove account plans, for yourself or a rep you manage.

The /tally command routes here with everything after "plan"; dates are the owner's local days.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.digest_changes import plans_changed
from handlers.people import (
    NotAPerson,
    SlackSilent,
    confirmed_admin,
    member_with_profile,
    named_person,
    parse_mentions,
    resolve_names,
    why_not_counted,
)
from handlers.render import literal, quoted_literally, say
from handlers.slack_text import to_plain
from scoring.plans import is_overdue, next_due, parse_new_plan
from scoring.weeks import local_date
from storage.members import get_member
from storage.models import AccountPlan, Member
from storage.plans import (
    add_plan,
    cadence_of,
    find_plans,
    mark_reviewed,
    plans_of,
    remove_plan,
)

# `for @rep` (a Slack mention or a typed @name) anywhere in the text names whose plans these are.
_FOR = re.compile(r"(?:^|\s)for\s+(<@[UW][A-Z0-9]+(?:\|[^>]*)?>|@[\w.\-]+)", re.IGNORECASE)


def day_label(day: date) -> str:
    return f"{day:%a %-d %b %Y}"


@dataclass(frozen=True)
class PlanView:
    """What a reply shows about one plan, worked out for the owner's today."""

    account: str
    cadence: str
    reviewed: str
    due: str
    due_day: date
    overdue: bool
    due_today: bool
    snoozed_until: str | None
    surfaces: date  # when it next needs attention: its due day, or the end of its snooze


def plan_view(plan: AccountPlan, today: date) -> PlanView:
    cadence = cadence_of(plan)
    due = next_due(plan.last_reviewed, cadence)
    snoozed = plan.snoozed_until if plan.snoozed_until and plan.snoozed_until > today else None
    return PlanView(
        account=plan.account,
        cadence=cadence.describe(),
        reviewed=day_label(plan.last_reviewed),
        due=day_label(due),
        due_day=due,
        overdue=is_overdue(plan.last_reviewed, cadence, today, plan.snoozed_until),
        due_today=due == today,
        snoozed_until=day_label(snoozed) if snoozed else None,
        surfaces=max(due, snoozed) if snoozed else due,
    )


@dataclass(frozen=True)
class _Request:
    deps: Deps
    caller: Member
    owner: Member
    text: str  # plain text, mentions and Slack escapes undone
    today: date  # in the owner's zone

    @property
    def whose(self) -> str | None:
        """The owner's id when someone else's plans are being managed, for the wording."""
        return None if self.owner.user_id == self.caller.user_id else self.owner.user_id


def answer_plan(deps: Deps, client: WebClient, team_id: str, user_id: str, text: str) -> str:
    """The mrkdwn reply to `/tally plan <text>`."""
    words = text.split()
    verb = words[0].lower() if words else "help"
    if verb == "help":
        return say("plan_help")
    answer = _VERBS.get(verb)
    if answer is None:
        return say("plan_unknown", word=to_plain(words[0])) + "\n" + say("plan_help")
    rest = text.split(None, 1)[1] if len(words) > 1 else ""
    caller = member_with_profile(deps, client, team_id, user_id)
    owner, rest, problem = _owner(deps, client, caller, rest)
    if problem:
        return problem
    today = local_date(deps.clock(), owner.tz)
    return answer(_Request(deps, caller, owner, to_plain(rest).strip(), today))


def _owner(
    deps: Deps, client: WebClient, caller: Member, text: str
) -> tuple[Member, str, str | None]:
    """Whose plans: the caller's, or a rep's named with `for @rep` if the caller may manage them."""
    match = _FOR.search(text)
    if not match:
        return caller, text, None
    rest = f"{text[: match.start()]} {text[match.end() :]}".strip()
    mentions = parse_mentions(match[1])
    if mentions.user_ids:
        rep_id = mentions.user_ids[0]
    else:
        found, missing = resolve_names(client, mentions.unresolved)
        if missing:
            problem = (
                f"I couldn't find @{literal(missing[0])} in this workspace. Pick them from "
                "Slack's autocomplete so the mention turns blue, then try again."
            )
            return caller, rest, problem
        rep_id = found[mentions.unresolved[0]]
    if rep_id == caller.user_id:
        return caller, rest, None
    # Permission first, from our own rows: a refusal must not tell whether the id is anyone.
    with deps.reads() as session:
        known = get_member(session, caller.team_id, rep_id)
    manages = known is not None and known.manager_id == caller.user_id
    if not (manages or confirmed_admin(deps, client, caller)):
        problem = (
            f"Only <@{rep_id}>'s manager or a Tally admin can manage their account plans. "
            "Managers add reps with `/tally team add @rep`."
        )
        return caller, rest, problem
    try:
        rep = named_person(deps, client, caller.team_id, rep_id)
    except (NotAPerson, SlackSilent) as error:
        return caller, rest, why_not_counted(error)
    return rep, rest, None


def _add(request: _Request) -> str:
    try:
        new = parse_new_plan(request.text, request.today)
    except ValueError as error:
        return quoted_literally(str(error)) + "\n" + _ADD_EXAMPLE
    deps, owner = request.deps, request.owner
    with deps.sessions.begin() as session:
        plan, created = add_plan(
            session,
            owner.team_id,
            owner.user_id,
            new.account,
            new.cadence,
            new.reviewed,
            created_by=request.caller.user_id,
            now=deps.clock(),
        )
        if created:
            plans_changed(session, owner, deps.clock())
        view = plan_view(plan, request.today)
    if not created:
        return say(
            "plan_exists",
            owner=request.whose,
            account=view.account,
            cadence=view.cadence,
            due=view.due,
        )
    return say(
        "plan_added",
        owner=request.whose,
        account=view.account,
        cadence=view.cadence,
        reviewed=view.reviewed,
        due=view.due,
        overdue=view.overdue,
    )


_ADD_EXAMPLE = "For example: `/tally plan add Acme Corp quarterly reviewed 2026-11-02`."


def _reviewed(request: _Request) -> str:
    deps, owner = request.deps, request.owner
    with deps.sessions.begin() as session:
        plan, problem = _one_plan(session, request, "reviewed")
        if plan is None:
            return problem
        mark_reviewed(session, owner.team_id, owner.user_id, plan.id, request.today)
        plans_changed(session, owner, deps.clock())
        view = plan_view(plan, request.today)
    return say(
        "plan_reviewed",
        owner=request.whose,
        account=view.account,
        reviewed="today",
        due=view.due,
        cadence=view.cadence,
    )


def _remove(request: _Request) -> str:
    deps, owner = request.deps, request.owner
    with deps.sessions.begin() as session:
        plan, problem = _one_plan(session, request, "remove")
        if plan is None:
            return problem
        account = plan.account
        remove_plan(session, owner.team_id, owner.user_id, plan.id)
        plans_changed(session, owner, deps.clock())
    return say("plan_removed", owner=request.whose, account=account)


def _list(request: _Request) -> str:
    deps, owner = request.deps, request.owner
    with deps.reads() as session:
        plans = plans_of(session, owner.team_id, owner.user_id)
    views = [plan_view(p, request.today) for p in plans]
    views.sort(key=lambda v: (not v.overdue, v.surfaces, v.account.casefold()))
    return say("plan_list", owner=request.whose, plans=views)


def _one_plan(session: Session, request: _Request, verb: str) -> tuple[AccountPlan | None, str]:
    """The single plan the text names, or the reply explaining why there isn't one."""
    owner = request.owner
    if not request.text:
        return None, f"Name the account, e.g. `/tally plan {verb} Acme`."
    found = find_plans(session, owner.team_id, owner.user_id, request.text)
    if len(found) == 1:
        return found[0], ""
    if found:
        accounts = [p.account for p in found]
        return None, say("plan_ambiguous", wanted=request.text, accounts=accounts)
    accounts = [p.account for p in plans_of(session, owner.team_id, owner.user_id)]
    return None, say("plan_not_found", owner=request.whose, wanted=request.text, accounts=accounts)


_VERBS: dict[str, Callable[[_Request], str]] = {
    "add": _add,
    "new": _add,
    "reviewed": _reviewed,
    "review": _reviewed,
    "done": _reviewed,
    "list": _list,
    "ls": _list,
    "remove": _remove,
    "rm": _remove,
    "delete": _remove,
}
