"""`/tally`: where a rep stands, the board, and a manager's view of their team."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.admin import answer_admin
from handlers.deps import Deps
from handlers.errors import reply_later
from handlers.export import export_file
from handlers.leaderboard import PeriodError, board_for
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
from handlers.plans import answer_plan
from handlers.render import message, quoted_literally, say
from handlers.reports import team_reports, week_report
from handlers.slack_text import to_plain
from handlers.tally_text import Ask, closest_commands, route_tally
from handlers.team_changes import add_reps, remove_reps
from handlers.time_off import answer_away
from scoring.weeks import iso_week_label, local_date
from storage.members import Switch, get_member, set_switch, team_of
from storage.models import Member

# `/tally @a @b …` shows at most this many weeks, so one command stays one short message.
MAX_WEEKS = 10


def register(app: App) -> None:
    app.command("/tally")(answer_tally)


def answer_tally(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    route = route_tally(command.get("text", ""))
    team_id, user_id = command["team_id"], command["user_id"]
    if route.ask is Ask.HELP:
        ack(response_type="ephemeral", **message(say("tally_help")))
        return
    if route.ask is Ask.UNKNOWN:
        word = to_plain(route.rest)
        reply = say("tally_unknown", word=word, suggestions=closest_commands(word))
        ack(response_type="ephemeral", **message(reply))
        return
    if later := _LATER.get(route.ask):
        ack()  # these may take a few Web API calls: profiles, invitations, `for @rep`, admin checks
        rest = route.rest
        reply_later(deps, respond, lambda: later(deps, client, team_id, user_id, rest))
        return
    if route.ask is Ask.ADMIN:
        ack()  # the admin check may ask Slack; the settings form opens with the trigger_id
        rest, trigger_id = route.rest, command.get("trigger_id", "")
        reply_later(
            deps, respond, lambda: answer_admin(deps, client, team_id, user_id, rest, trigger_id)
        )
        return
    caller = member_with_profile(deps, client, team_id, user_id)
    if route.ask is Ask.BOARD:
        reply = board(deps, caller, route.rest)
    elif route.ask in SWITCHES:
        reply = switch(deps, caller, route.ask, route.rest)
    elif route.ask is Ask.AWAY:
        reply = answer_away(deps, caller, route.rest)
    elif route.ask is Ask.TEAM:
        reply = team_week(deps, caller)
    else:
        reply = own_week(deps, caller)
    ack(response_type="ephemeral", **message(reply))


def own_week(deps: Deps, member: Member) -> str:
    with deps.reads() as session:
        rules = deps.rules_in(session, member.team_id)
        report = week_report(session, rules, member, deps.clock())
    return say("week", report=report, whose=None, window=rules.goal_window)


def board(deps: Deps, member: Member, period: str) -> str:
    today = local_date(deps.clock(), member.tz)
    try:
        with deps.reads() as session:
            rules = deps.rules_in(session, member.team_id)
            return board_for(session, rules, member.team_id, period, today)
    except PeriodError as error:
        return quoted_literally(str(error))


SWITCHES: dict[Ask, Switch] = {Ask.NUDGES: "nudges_enabled", Ask.CELEBRATE: "celebrate"}


def switch(deps: Deps, member: Member, ask: Ask, rest: str) -> str:
    """`on`/`off` switch the rep's midweek nudges or celebrations; anything else shows the
    setting and the switch."""
    words, name = rest.lower().split(), SWITCHES[ask]
    enabled = getattr(member, name)
    if words in (["on"], ["off"]):
        enabled = words == ["on"]
        with deps.sessions.begin() as session:
            set_switch(session, member.team_id, member.user_id, name, enabled, deps.clock())
    asked = to_plain(rest) if rest and words not in (["on"], ["off"]) else None
    return say(f"{ask}_setting", enabled=enabled, asked=asked)


def team_week(deps: Deps, manager: Member) -> str:
    """Every rep in the manager's week, the one the view is headed with, whatever their zone."""
    now = deps.clock()
    week = iso_week_label(local_date(now, manager.tz))
    with deps.reads() as session:
        reps = team_of(session, manager.team_id, manager.user_id)
        rules = deps.rules_in(session, manager.team_id)
        reports = team_reports(session, rules, reps, now, week)
    return say("team", week=week, reports=reports, goal=rules.weekly_goal)


def rep_weeks(deps: Deps, client: WebClient, team_id: str, user_id: str, text: str) -> str:
    """`/tally @a @b`: each mentioned person's week, each behind the same permission check."""
    caller = member_with_profile(deps, client, team_id, user_id)
    mentions = parse_mentions(text)
    rep_ids = list(mentions.user_ids)
    if mentions.unresolved:
        found, missing = resolve_names(client, mentions.unresolved)
        if missing:
            return say("not_found", names=missing)
        rep_ids.extend(i for i in found.values() if i not in rep_ids)
    if not rep_ids:
        return say("mention_someone")
    weeks = [rep_week(deps, client, caller, rep_id) for rep_id in rep_ids[:MAX_WEEKS]]
    if len(rep_ids) > MAX_WEEKS:
        weeks.append(say("weeks_cut", shown=MAX_WEEKS, asked=len(rep_ids)))
    return "\n\n".join(weeks)


def rep_week(deps: Deps, client: WebClient, caller: Member, rep_id: str) -> str:
    """One person's week, or a refusal that says nothing about them beyond the mention."""
    if rep_id == caller.user_id:
        return own_week(deps, caller)
    with deps.reads() as session:
        rep = get_member(session, caller.team_id, rep_id)
    manages = rep is not None and rep.manager_id == caller.user_id
    if not (manages or confirmed_admin(deps, client, caller)):
        return say("week_refused", rep_id=rep_id)
    try:
        rep = named_person(deps, client, caller.team_id, rep_id)
    except (NotAPerson, SlackSilent) as error:
        return why_not_counted(error)
    with deps.reads() as session:
        rules = deps.rules_in(session, rep.team_id)
        report = week_report(session, rules, rep, deps.clock())
    return say("week", report=report, whose=rep_id, window=rules.goal_window)


_LATER = {
    Ask.PLAN: answer_plan,
    Ask.TEAM_ADD: add_reps,
    Ask.TEAM_REMOVE: remove_reps,
    Ask.WEEKS: rep_weeks,
    Ask.EXPORT: export_file,
}
