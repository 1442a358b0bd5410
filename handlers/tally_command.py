"""`/tally`: where a rep stands, the board, and a manager's view of their team."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.errors import reply_later
from handlers.leaderboard import PeriodError, board_for
from handlers.people import (
    fetch_profile,
    is_admin,
    member_with_profile,
    parse_mentions,
    resolve_names,
)
from handlers.plans import answer_plan
from handlers.render import escape_mrkdwn, message, say
from handlers.reports import team_reports, week_report
from handlers.slack_text import to_plain
from scoring.weeks import iso_week_label, local_date
from storage.members import get_member, remove_from_team, set_manager, set_nudges, team_of

_START = re.compile(r"\bstart\s+(\S+)", re.IGNORECASE)


def register(app: App) -> None:
    app.command("/tally")(answer_tally)


def answer_tally(
    ack: Ack, command: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    text = command.get("text", "").strip()
    words = text.lower().split()
    first = words[0] if words else ""
    team_id, user_id = command["team_id"], command["user_id"]
    if first == "help":
        ack(response_type="ephemeral", **message(say("tally_help")))
        return
    if first == "plan":
        ack()  # `for @rep` may need a profile lookup or two
        rest = text[len("plan") :].strip()
        reply_later(deps, respond, lambda: answer_plan(deps, client, team_id, user_id, rest))
        return
    if first == "team" and len(words) > 1 and words[1] in ("add", "remove"):
        ack()  # resolving and profiling several reps may take a few Web API calls
        rest = text.split(None, 2)[2] if len(words) > 2 else ""
        change = add_reps if words[1] == "add" else remove_reps
        reply_later(deps, respond, lambda: change(deps, client, team_id, user_id, rest))
        return
    caller = member_with_profile(deps, client, team_id, user_id)
    if first == "":
        reply = own_week(deps, caller)
    elif first == "board":
        reply = board(deps, caller, text[len("board") :])
    elif first == "nudges" and words[1:] in (["on"], ["off"]):
        reply = switch_nudges(deps, caller, words[1] == "on")
    elif first == "team" and len(words) == 1:
        reply = team_week(deps, caller)
    elif text.startswith(("<@", "@")):
        reply = rep_week(deps, client, caller, text)
    else:
        reply = say("tally_unknown", word=to_plain(text.split()[0])) + "\n" + say("tally_help")
    ack(response_type="ephemeral", **message(reply))


def own_week(deps: Deps, member: Any) -> str:
    with deps.reads() as session:
        report = week_report(session, deps.rules, member, deps.clock())
    return say("week", report=report, whose=None, window=deps.rules.goal_window)


def board(deps: Deps, member: Any, period: str) -> str:
    today = local_date(deps.clock(), member.tz)
    try:
        with deps.reads() as session:
            return board_for(session, deps.rules, member.team_id, period, today)
    except PeriodError as error:
        return escape_mrkdwn(str(error))


def switch_nudges(deps: Deps, member: Any, enabled: bool) -> str:
    with deps.sessions.begin() as session:
        set_nudges(session, member.team_id, member.user_id, enabled, deps.clock())
    if enabled:
        return ":bell: Pace nudges are on: you'll hear from me midweek if you fall behind."
    return ":no_bell: Pace nudges are off. Turn them back on with `/tally nudges on`."


def team_week(deps: Deps, manager: Any) -> str:
    with deps.reads() as session:
        reps = team_of(session, manager.team_id, manager.user_id)
        reports = team_reports(session, deps.rules, reps, deps.clock())
    week = iso_week_label(local_date(deps.clock(), manager.tz))
    return say("team", week=week, reports=reports, goal=deps.rules.weekly_goal)


def rep_week(deps: Deps, client: WebClient, caller: Any, text: str) -> str:
    mentions = parse_mentions(text)
    if mentions.unresolved and not mentions.user_ids:
        found, missing = resolve_names(client, mentions.unresolved)
        if missing:
            return _not_found(missing)
        rep_ids = tuple(found.values())
    else:
        rep_ids = mentions.user_ids
    rep_id = rep_ids[0]
    with deps.reads() as session:
        rep = get_member(session, caller.team_id, rep_id)
    allowed = is_admin(deps, caller) or (rep is not None and rep.manager_id == caller.user_id)
    if not allowed:
        return (
            f"Only <@{rep_id}>'s manager or a Tally admin can see their week. "
            "Managers add reps with `/tally team add @rep`."
        )
    if rep is None or rep.tz_checked_at is None:
        rep = fetch_profile(deps, client, caller.team_id, rep_id)
    with deps.reads() as session:
        report = week_report(session, deps.rules, rep, deps.clock())
    return say("week", report=report, whose=rep_id, window=deps.rules.goal_window)


def _not_found(names: list[str]) -> str:
    listed = ", ".join(f"@{n}" for n in names)
    return (
        f"I couldn't find {listed} in this workspace. Pick people from Slack's autocomplete "
        "so the mention turns blue, then try again."
    )


def _reps_in(client: WebClient, rest: str) -> tuple[list[str], str | None]:
    mentions = parse_mentions(_START.sub(" ", rest))
    ids = list(mentions.user_ids)
    if mentions.unresolved:
        found, missing = resolve_names(client, mentions.unresolved)
        if missing:
            return [], _not_found(missing)
        ids.extend(i for i in found.values() if i not in ids)
    if not ids:
        return [], "Mention the reps, e.g. `/tally team add @alex @sam start 2026-11-02`."
    return ids, None


def add_reps(deps: Deps, client: WebClient, team_id: str, manager_id: str, rest: str) -> str:
    ids, problem = _reps_in(client, rest)
    if problem:
        return problem
    start: date | None = None
    if match := _START.search(rest):
        try:
            start = date.fromisoformat(match.group(1))
        except ValueError:
            return f"`{match.group(1)}` is not a date; write the start as YYYY-MM-DD."
    if manager_id in ids:
        return "You can't be your own manager — mention your reps instead."
    manager = member_with_profile(deps, client, team_id, manager_id)
    added, refused = [], []
    for rep_id in ids:
        rep = member_with_profile(deps, client, team_id, rep_id)
        if rep.manager_id not in (None, manager_id) and not is_admin(deps, manager):
            refused.append((rep_id, rep.manager_id))
            continue
        added.append(rep_id)
    with deps.sessions.begin() as session:
        for rep_id in added:
            set_manager(session, team_id, rep_id, manager_id, start, deps.clock())
    lines = []
    if added:
        who = ", ".join(f"<@{r}>" for r in added)
        when = f" (onboarding started {start:%-d %b %Y})" if start else ""
        lines.append(f":busts_in_silhouette: Added {who} to your team{when}.")
    lines += [
        f"<@{rep}> is on <@{other}>'s team; they or an admin must remove them first."
        for rep, other in refused
    ]
    return "\n".join(lines)


def remove_reps(deps: Deps, client: WebClient, team_id: str, manager_id: str, rest: str) -> str:
    ids, problem = _reps_in(client, rest)
    if problem:
        return problem
    manager = member_with_profile(deps, client, team_id, manager_id)
    removed, kept = [], []
    with deps.sessions.begin() as session:
        for rep_id in ids:
            rep = get_member(session, team_id, rep_id)
            owner = manager_id if rep is None or not is_admin(deps, manager) else rep.manager_id
            if rep is not None and owner and remove_from_team(session, team_id, rep_id, owner):
                removed.append(rep_id)
            else:
                kept.append(rep_id)
    lines = []
    if removed:
        lines.append("Removed " + ", ".join(f"<@{r}>" for r in removed) + " from the team.")
    if kept:
        lines.append(
            ", ".join(f"<@{r}>" for r in kept) + " wasn't on your team, so nothing changed."
        )
    return "\n".join(lines)
