"""`/tally`: where a rep stands (this week, an earlier one, the month), the boards, and a
manager's view of their team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers.admin import answer_admin
from handlers.charts import answer_chart
from handlers.deps import Deps
from handlers.errors import reply_later
from handlers.export import export_file
from handlers.leaderboard import board_for, team_board_for
from handlers.own_month import own_month
from handlers.people import member_with_profile, mentioned_people, parse_mentions, rep_for
from handlers.plans import answer_plan
from handlers.render import message, quoted_literally, say
from handlers.reports import past_week_report, team_reports, week_report
from handlers.slack_text import to_plain
from handlers.tally_text import Ask, closest_commands, route_tally
from handlers.team_changes import add_reps, remove_reps
from handlers.time_off import answer_away
from scoring.periods import THIS_MONTH, PeriodError, parse_period
from scoring.weeks import iso_week_label, local_date, week_at
from storage.members import Switch, set_switch, team_of
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
        reply = switch(deps, caller, SWITCHES[route.ask], route.rest)
    elif route.ask is Ask.OWN_PERIOD:
        reply = own_period(deps, caller, route.rest)
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


def own_period(deps: Deps, member: Member, text: str) -> str:
    """`/tally last week`, `/tally 2026-W47`, `/tally month`: the rep's own history."""
    now = deps.clock()
    today = local_date(now, member.tz)
    try:
        period = parse_period(text, today)
    except PeriodError as error:
        return quoted_literally(str(error))
    if period == iso_week_label(today):
        return own_week(deps, member)
    with deps.reads() as session:
        rules = deps.rules_in(session, member.team_id)
        if period == THIS_MONTH:
            return say("month", report=own_month(session, rules, member, today))
        report = past_week_report(session, rules, member, period, now)
    return say("past_week", report=report, window=rules.goal_window)


def board(deps: Deps, member: Member, rest: str) -> str:
    """`/tally board [team] [period]`; `hide` and `show` leave and rejoin the public boards."""
    words = rest.lower().split()
    if words[:1] in (["hide"], ["show"]):
        return switch(deps, member, ON_BOARDS, rest)
    today = local_date(deps.clock(), member.tz)
    try:
        with deps.reads() as session:
            rules = deps.rules_in(session, member.team_id)
            if words[:1] == ["team"]:
                period = rest.split(None, 1)[1] if len(words) > 1 else ""
                return team_board_for(session, rules, member, period, today)
            return board_for(session, rules, member.team_id, rest, today, member)
    except PeriodError as error:
        return quoted_literally(str(error))


@dataclass(frozen=True)
class Toggle:
    """A setting reps switch themselves: its column, its reply, and the words that turn it on
    and off."""

    column: Switch
    reply: str
    on: str = "on"
    off: str = "off"


SWITCHES = {
    Ask.NUDGES: Toggle("nudges_enabled", "nudges_setting"),
    Ask.CELEBRATE: Toggle("celebrate", "celebrate_setting"),
}
ON_BOARDS = Toggle("on_boards", "board_setting", on="show", off="hide")  # /tally board hide


def switch(deps: Deps, member: Member, toggle: Toggle, rest: str) -> str:
    """The toggle's words switch the rep's setting (midweek nudges, celebrations, the public
    boards); anything else shows the setting and the switch."""
    words, both = rest.lower().split(), ([toggle.on], [toggle.off])
    enabled = getattr(member, toggle.column)
    if words in both:
        enabled = words == [toggle.on]
        with deps.sessions.begin() as session:
            set_switch(
                session, member.team_id, member.user_id, toggle.column, enabled, deps.clock()
            )
    asked = to_plain(rest) if rest and words not in both else None
    return say(toggle.reply, enabled=enabled, asked=asked)


def team_week(deps: Deps, manager: Member) -> str:
    """Every rep in the manager's week, the one the view is headed with, whatever their zone."""
    now = deps.clock()
    week = week_at(now, manager.tz)
    with deps.reads() as session:
        reps = team_of(session, manager.team_id, manager.user_id)
        rules = deps.rules_in(session, manager.team_id)
        reports = team_reports(session, rules, reps, now, week)
    return say("team", week=week, reports=reports, goal=rules.weekly_goal)


def rep_weeks(deps: Deps, client: WebClient, team_id: str, user_id: str, text: str) -> str:
    """`/tally @a @b`: each mentioned person's week, each behind the same permission check."""
    caller = member_with_profile(deps, client, team_id, user_id)
    rep_ids, problem = mentioned_people(client, parse_mentions(text))
    if problem:
        return problem
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
    rep = rep_for(deps, client, caller, rep_id)
    if isinstance(rep, str):
        return rep
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
    Ask.CHART: answer_chart,
}
