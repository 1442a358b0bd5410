"""Boards people trust: reps ranked, not their managers; a team's own board; leaving the public
boards while the manager still sees you."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally, in_one_zone
from tests.fixtures.teams import join_team


def _read(tally: RunningTally, user_id: str, text: str) -> str:
    return tally.read(tally.command(user_id, "/tally", text).json()).replace("*", "")


def test_boards_rank_reps_goals_only_in_goal_weeks_and_a_team_board(tally: RunningTally) -> None:
    in_one_zone(tally)  # Rita's board is Ravi's week (Chicago's Sunday was New York's Monday)
    today = datetime.now(UTC).astimezone(ZoneInfo("America/New_York")).date()
    join_team(tally, MANAGER, [REP], extra=f"start {today}")  # Rita's onboarding week 1
    tally.command(MANAGER, "/log", "closed won Initech")  # a manager's points: not ranked
    tally.command(REP, "/log", "demo self-led")
    tally.command(OTHER_REP, "/log", "meeting booked")  # no manager, manages nobody: a rep

    board = _read(tally, REP, "board")
    team = _read(tally, REP, "board team")
    managers_last_week = _read(tally, MANAGER, "board team last week")
    no_team = _read(tally, ADMIN, "board team")

    assert "@mona" not in board
    assert "1. @rita — 25 pts\n" in board + "\n"  # before her goal weeks: no "to goal"
    assert "2. @ravi — 10 pts · 490 to goal" in board
    assert "@mona's team" in team and "1. @rita — 25 pts" in team and "@ravi" not in team
    assert "@mona's team" in managers_last_week and "Nothing logged" in managers_last_week
    assert "not on a team yet" in no_team and "/tally team add" in no_team


def test_a_rep_who_hides_leaves_the_public_boards_but_not_their_managers_views(
    tally: RunningTally,
) -> None:
    in_one_zone(tally)  # one week on every board, whatever the hour
    join_team(tally, MANAGER, [REP, OTHER_REP])
    tally.command(REP, "/log", "demo self-led")
    tally.command(OTHER_REP, "/log", "meeting booked")

    hidden = _read(tally, REP, "board hide")
    public = _read(tally, OTHER_REP, "board")
    own = _read(tally, REP, "board")
    teammates = _read(tally, OTHER_REP, "board team")
    managers = _read(tally, MANAGER, "board team")
    team_week = _read(tally, MANAGER, "team")
    junk = _read(tally, REP, "board hide now")
    shown = _read(tally, REP, "board show")
    back = _read(tally, OTHER_REP, "board")

    assert "off the public boards" in hidden and "/tally board show" in hidden
    assert "@rita" not in public and "1. @ravi — 10 pts" in public
    assert "@rita" not in own and "/tally board show" in own
    assert "@rita" not in teammates and "@ravi" in teammates
    assert "1. @rita — 25 pts" in managers and "off the public boards" in managers
    assert "@rita — 25 pts" in team_week
    assert "don't know `/tally board hide now`" in junk and "off the public boards" in junk
    assert "on the public boards" in shown
    assert "1. @rita — 25 pts" in back
