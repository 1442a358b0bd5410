"""The Friday leaderboard posts and the on-demand boards of `/tally board …`.

Boards rank reps — anyone with a manager, or who logged and manages nobody — never the managers
who coach them. A rep who left the public boards (`/tally board hide`) is missing from channel
posts and `/tally board`, not from their manager's own view of the team.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from handlers.render import Mrkdwn, message, say
from scoring.periods import THIS_MONTH, parse_period
from scoring.rules import ScoringRules
from scoring.schedule import Slot, due_weekly
from scoring.tally import Standing, rank_totals
from scoring.weeks import goal_applies, iso_week_label, parse_iso_week, zone
from storage.activities import BoardScope, teams_active_in, totals_between, week_totals
from storage.members import manages_anyone, members_among
from storage.models import Member
from storage.outbox import Draft, find_message
from storage.team_settings import every_team_settings, rules_for, settings_of
from storage.time_off import days_off_between

KIND = "leaderboard"
TEAM_KIND = "team_leaderboard"  # a team's own board, in the channel TALLY_CONFIG gives it
BOARD_SIZE = 25


@dataclass(frozen=True)
class Board:
    """The top BOARD_SIZE of a period, each with their goal for the week where one applies:
    pro-rated to their days worked, none in a week away, outside their onboarding goal weeks
    or over a month."""

    title: str
    standings: list[Standing]
    goals: Mapping[str, int | None] = field(default_factory=dict)
    manager_id: str | None = None  # a team's board: whose team
    hidden: frozenset[str] = frozenset()  # ranked reps who left the public boards


def board_text(board: Board, left: bool = False) -> Mrkdwn:
    """`left`: the reader left the public boards, and is told how to come back."""
    return say("board", board=board, left=left)


def week_board(
    session: Session, rules: ScoringRules, team_id: str, week: str, scope: BoardScope
) -> Board:
    totals = week_totals(session, team_id, week, scope=scope)
    return _ranked(session, rules, team_id, week, totals, scope, week)


def _ranked(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    title: str,
    totals: Mapping[str, int],
    scope: BoardScope,
    week: str | None,
) -> Board:
    standings = rank_totals(totals)[:BOARD_SIZE]
    people = members_among(session, team_id, [s.user_id for s in standings])
    goals = week_goals(session, rules, team_id, week, people, standings) if week else {}
    hidden = frozenset(user_id for user_id, m in people.items() if not m.on_boards)
    return Board(title, standings, goals, scope.manager_id, hidden)


def week_goals(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    week: str,
    people: Mapping[str, Member],
    standings: Collection[Standing],
) -> dict[str, int | None]:
    """The goal of everyone on a week's board, their days off read in one query."""
    monday = parse_iso_week(week)
    ids = [s.user_id for s in standings]
    away = days_off_between(session, team_id, monday, monday + timedelta(days=4), ids)
    return {
        user_id: rules.week_goal(monday, away.get(user_id, ()))
        if goal_applies(_start(people, user_id), monday, rules.goal_window)
        else None
        for user_id in ids
    }


def _start(people: Mapping[str, Member], user_id: str) -> date | None:
    member = people.get(user_id)
    return member.onboarding_start if member is not None else None


def _board(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    period: str,
    today: date,
    scope: BoardScope,
) -> Board:
    """`period` as typed after `/tally board`: '', 'last week', 'YYYY-Www' or 'month'."""
    wanted = parse_period(period, today, ahead=True)
    if wanted != THIS_MONTH:
        return week_board(session, rules, team_id, wanted, scope)
    totals = totals_between(session, team_id, today.replace(day=1), today, scope)
    return _ranked(session, rules, team_id, f"{today:%B %Y} (to date)", totals, scope, None)


def board_for(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    period: str,
    today: date,
    reader: Member | None = None,
) -> Mrkdwn:
    """`/tally board [period]`: the workspace's reps."""
    board = _board(session, rules, team_id, period, today, BoardScope())
    return board_text(board, left=reader is not None and not reader.on_boards)


def team_board_for(
    session: Session, rules: ScoringRules, reader: Member, period: str, today: date
) -> Mrkdwn:
    """`/tally board team [period]`: the team the reader manages, else their manager's. Only
    the manager's own view keeps the reps who left the public boards."""
    if manages_anyone(session, reader.team_id, reader.user_id):
        scope = BoardScope(manager_id=reader.user_id, public=False)
    elif reader.manager_id is not None:
        scope = BoardScope(manager_id=reader.manager_id)
    else:
        return say("board_no_team")
    board = _board(session, rules, reader.team_id, period, today, scope)
    return board_text(board, left=scope.public and not reader.on_boards)


def leaderboard_draft(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    channel: str,
    week: str,
    manager_id: str | None = None,
) -> Draft | None:
    """The workspace's board, or with `manager_id` that team's; None when nobody on it logged:
    an empty board in a channel is noise."""
    board = week_board(session, rules, team_id, week, BoardScope(manager_id=manager_id))
    if not board.standings:
        return None
    leader = board.standings[0]
    whose = f" (<@{manager_id}>'s team)" if manager_id else ""
    return Draft(
        team_id=team_id,
        kind=TEAM_KIND if manager_id else KIND,
        recipient=channel,
        period=week,
        text=f"Leaderboard {week}{whose}: <@{leader.user_id}> leads with {leader.points} pts.",
        blocks=message(board_text(board))["blocks"],
    )


def team_boards(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    week: str,
    team_channels: Mapping[str, str],
) -> list[Draft]:
    """The board of each team TALLY_CONFIG gives a channel, for the workspace's managers among
    them (`rules` are the workspace's): one per channel and week, its outbox key."""
    drafts = (
        leaderboard_draft(session, rules, team_id, team_channels[manager_id], week, manager_id)
        for manager_id in sorted(members_among(session, team_id, team_channels))
    )
    return [d for d in drafts if d is not None]


def leaderboards_for_week(
    session: Session,
    rules: ScoringRules,
    channel: str | None,
    week: str,
    default: str | None = None,
    team_channels: Mapping[str, str] | None = None,
) -> list[Draft]:
    """Every active team's board for `week` in `channel`; with None, in the team's own channel
    (its admins' choice, else `default`), none for a team that has neither, and each of
    `team_channels`' team boards."""
    return [
        draft
        for team_id in teams_active_in(session, week)
        for draft in _boards(session, rules, team_id, week, channel, default, team_channels)
    ]


def _boards(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    week: str,
    forced: str | None,
    default: str | None,
    team_channels: Mapping[str, str] | None,
) -> list[Draft]:
    """A workspace's board in its channel and, unless `forced` into one channel, its teams'."""
    drafts: list[Draft] = []
    where = forced or settings_of(session, team_id).leaderboard_channel or default
    team_rules = rules_for(session, rules, team_id)
    if where and (board := leaderboard_draft(session, team_rules, team_id, where, week)):
        drafts.append(board)
    if forced is None and team_channels:
        drafts.extend(team_boards(session, team_rules, team_id, week, team_channels))
    return drafts


def due_leaderboards(
    session: Session,
    rules: ScoringRules,
    slot: Slot,
    channel: str | None,
    tz: str,
    now: datetime,
    team_channels: Mapping[str, str] | None = None,
) -> list[Draft]:
    """Boards whose moment has passed in `tz`: TALLY_CONFIG's `slot` for most teams, their own
    time for teams whose admins set one (a small table, read once a tick); a workspace's team
    boards go with its board."""
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
    drafts = (
        draft
        for team_id, week in sorted(due.items())
        for draft in _boards(session, rules, team_id, week, None, channel, team_channels)
    )
    return [d for d in drafts if find_message(session, d.team_id, d.key) is None]
