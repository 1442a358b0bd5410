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
    session: Session, rules: ScoringRules, channel: str, week: str
) -> list[Draft]:
    drafts = (
        leaderboard_draft(session, rules, t, channel, week) for t in teams_active_in(session, week)
    )
    return [d for d in drafts if d is not None]


def due_leaderboards(
    session: Session, rules: ScoringRules, slot: Slot, channel: str, tz: str, now: datetime
) -> list[Draft]:
    occurrence = due_weekly(slot, now.astimezone(zone(tz)))
    if occurrence is None:
        return []
    week = iso_week_label(occurrence.date())
    return [
        d
        for d in leaderboards_for_week(session, rules, channel, week)
        if find_message(session, d.team_id, d.key) is None
    ]
