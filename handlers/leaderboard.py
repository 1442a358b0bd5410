"""The Friday leaderboard post and the on-demand boards of `/tally board …`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from handlers.render import message, say
from scoring.rules import ScoringRules
from scoring.schedule import Slot, due_weekly
from scoring.tally import rank_totals
from scoring.weeks import iso_week_label, parse_iso_week, zone
from storage.activities import teams_active_in, totals_between, week_totals
from storage.outbox import Draft, find_message
from storage.team_settings import every_team_settings, rules_for, settings_of
from storage.time_off import days_off_between

KIND = "leaderboard"
BOARD_SIZE = 25


class PeriodError(ValueError):
    """A board period nobody could mean; the message says what would work."""


def board_text(title: str, totals: dict[str, int], goals: Mapping[str, int | None]) -> str:
    """Each person's goal by user id: pro-rated to their week, missing for a week away and for
    periods longer than a week, where the weekly goal means nothing."""
    standings = rank_totals(totals)[:BOARD_SIZE]
    return say("board", title=title, standings=standings, goals=goals)


def week_goals(
    session: Session, rules: ScoringRules, team_id: str, week: str, totals: dict[str, int]
) -> dict[str, int | None]:
    """The goal of everyone on a week's board, their days off read in one query."""
    monday = parse_iso_week(week)
    ids = [s.user_id for s in rank_totals(totals)[:BOARD_SIZE]]
    away = days_off_between(session, team_id, monday, monday + timedelta(days=4), ids)
    return {user_id: rules.week_goal(monday, away.get(user_id, ())) for user_id in ids}


def board_for(session: Session, rules: ScoringRules, team_id: str, period: str, today: date) -> str:
    """`period` as typed after `/tally board`: '', 'last week', 'YYYY-Www' or 'month'."""
    wanted = " ".join(period.lower().split())
    if wanted in ("", "this week", "week"):
        week = iso_week_label(today)
    elif wanted == "last week":
        week = iso_week_label(today - timedelta(days=7))
    elif wanted in ("month", "this month"):
        first = today.replace(day=1)
        totals = totals_between(session, team_id, first, today)
        return board_text(f"{today:%B %Y} (to date)", totals, {})
    else:
        try:
            week = iso_week_label(parse_iso_week(period.strip().upper()))
        except ValueError:
            raise PeriodError(
                f"I can show `this week`, `last week`, `month` or a week like "
                f"`{iso_week_label(today)}`; “{period.strip()}” isn't one of those."
            ) from None
    totals = week_totals(session, team_id, week)
    return board_text(week, totals, week_goals(session, rules, team_id, week, totals))


def leaderboard_draft(
    session: Session, rules: ScoringRules, team_id: str, channel: str, week: str
) -> Draft | None:
    """None for a team that logged nothing: an empty board in a channel is noise."""
    totals = week_totals(session, team_id, week)
    if not totals:
        return None
    body = message(board_text(week, totals, week_goals(session, rules, team_id, week, totals)))
    leader = rank_totals(totals)[0]
    return Draft(
        team_id=team_id,
        kind=KIND,
        recipient=channel,
        period=week,
        text=f"Leaderboard {week}: <@{leader.user_id}> leads with {leader.points} pts.",
        blocks=body["blocks"],
    )


def leaderboards_for_week(
    session: Session,
    rules: ScoringRules,
    channel: str | None,
    week: str,
    default: str | None = None,
) -> list[Draft]:
    """Every active team's board for `week` in `channel`; with None, in the team's own channel
    (its admins' choice, else `default`), and none for a team that has neither."""
    drafts = (
        _board(session, rules, team_id, week, channel, default)
        for team_id in teams_active_in(session, week)
    )
    return [d for d in drafts if d is not None]


def _board(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    week: str,
    forced: str | None,
    default: str | None,
) -> Draft | None:
    where = forced or settings_of(session, team_id).leaderboard_channel or default
    if where is None:
        return None
    return leaderboard_draft(session, rules_for(session, rules, team_id), team_id, where, week)


def due_leaderboards(
    session: Session, rules: ScoringRules, slot: Slot, channel: str | None, tz: str, now: datetime
) -> list[Draft]:
    """Boards whose moment has passed in `tz`: TALLY_CONFIG's `slot` for most teams, their own
    time for teams whose admins set one (a small table, read once a tick)."""
    local = now.astimezone(zone(tz))
    due: dict[str, str] = {}  # team -> week
    if (occurrence := due_weekly(slot, local)) is not None:
        week = iso_week_label(occurrence.date())
        due = dict.fromkeys(teams_active_in(session, week), week)
    for team_id, own in every_team_settings(session).items():
        occurrence = due_weekly(own.slot("leaderboard", slot), local)
        if occurrence is None:
            due.pop(team_id, None)
        else:
            due[team_id] = iso_week_label(occurrence.date())
    drafts = (_board(session, rules, t, week, None, channel) for t, week in sorted(due.items()))
    return [d for d in drafts if d is not None and find_message(session, d.team_id, d.key) is None]
