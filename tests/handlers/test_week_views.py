"""A week as the rep and as their manager read it, at chosen moments of the week."""

import re
from datetime import UTC, date, datetime

from bot.fakeslack.readable import as_read
from handlers.nudges import nudge_draft
from handlers.render import message, say
from handlers.reports import team_reports, week_report
from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules
from storage.members import get_member
from tests.fixtures.seed import TEAM, Seeder

RULES = ScoringRules(catalog=DEFAULT_CATALOG)
NY = "America/New_York"
TUESDAY_NIGHT = datetime(2026, 11, 25, 3, 50, tzinfo=UTC)  # Tue 22:50 in New York
FRIDAY_MORNING = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Fri 10:00 in New York
WEDNESDAY_NOON = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
TWO_WEEKS_AGO = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def _week(session_factory, rep_id: str, now: datetime, *, manager: bool = False) -> str:
    with session_factory() as session:
        rep = get_member(session, TEAM, rep_id)
        report = week_report(session, RULES, rep, now)
    text = say("week", report=report, whose=rep_id if manager else None, window=(3, 13))
    return as_read(message(text), lambda user_id: user_id.lower()).replace("*", "")


def _seed(session_factory, start: date | None = date(2026, 10, 12)) -> Seeder:
    seed = Seeder(session_factory)
    seed.person("U0MONA", NY, TWO_WEEKS_AGO)
    seed.person("U0ALEX", NY, TWO_WEEKS_AGO)  # display name "alex"
    seed.team("U0MONA", ["U0ALEX"], start, TWO_WEEKS_AGO)
    return seed


def test_a_manager_reads_about_the_rep_not_to_them(session_factory) -> None:
    seed = _seed(session_factory)
    seed.log("U0ALEX", "call", 150, datetime(2026, 11, 24, 15, tzinfo=UTC), NY)

    managers = _week(session_factory, "U0ALEX", TUESDAY_NIGHT, manager=True)
    reps = _week(session_factory, "U0ALEX", TUESDAY_NIGHT)

    assert "@u0alex's week" in managers
    assert "Alex is on pace for 375 pts" in managers
    assert "Alex would be on pace with 6 self-led demos tomorrow." in managers
    assert not re.search(r"\b(you|your|you're|you'd)\b", managers, re.IGNORECASE), managers
    assert "You'd be on pace with 6 self-led demos tomorrow." in reps


def test_a_manager_is_told_when_the_rep_has_logged_nothing(session_factory) -> None:
    _seed(session_factory)

    managers = _week(session_factory, "U0ALEX", FRIDAY_MORNING, manager=True)

    assert "Alex hasn't logged anything yet this week." in managers
    assert "/log" not in managers
    assert not re.search(r"\b(you|your|you're|you'd)\b", managers, re.IGNORECASE), managers


def test_coaching_follows_the_reps_own_mix_and_one_realistic_day(session_factory) -> None:
    seed = _seed(session_factory)
    seed.log("U0ALEX", "call", 200, TWO_WEEKS_AGO, NY)
    seed.log("U0ALEX", "email", 100, TWO_WEEKS_AGO, NY)

    seen = _week(session_factory, "U0ALEX", FRIDAY_MORNING)

    assert (
        "The goal is out of reach this week, and that's okay: 87 calls and 44 emails today "
        "would still make it a strong day." in seen
    )


def test_before_onboarding_starts_there_is_no_goal_and_no_coaching(session_factory) -> None:
    seed = _seed(session_factory, start=date(2027, 1, 4))
    seed.log("U0ALEX", "call", 3, datetime(2026, 11, 24, 15, tzinfo=UTC), NY)

    seen = _week(session_factory, "U0ALEX", FRIDAY_MORNING)
    with session_factory() as session:
        [team] = team_reports(session, RULES, [get_member(session, TEAM, "U0ALEX")], FRIDAY_MORNING)
    board = say("team", week="2026-W48", reports=[team], goal=500)

    assert "3 / 500 pts" in seen
    assert "onboarding starts Mon 4 Jan 2027; goal applies in onboarding weeks 3–13" in seen
    assert "pace" not in seen and "would" not in seen
    assert "behind pace" not in board and "small_red_triangle_down" not in board
    assert "starts Mon 4 Jan 2027" in board


def test_nudges_only_in_goal_weeks_and_in_the_reps_mix(session_factory) -> None:
    seed = _seed(session_factory)
    seed.log("U0ALEX", "meeting_booked", 12, TWO_WEEKS_AGO, NY)
    seed.person("U0OLD", NY, TWO_WEEKS_AGO)
    seed.team("U0MONA", ["U0OLD"], date(2026, 8, 3), TWO_WEEKS_AGO)  # week 17

    with session_factory() as session:
        alex = get_member(session, TEAM, "U0ALEX")
        old = get_member(session, TEAM, "U0OLD")
        nudged = nudge_draft(RULES, alex, 0, WEDNESDAY_NOON, {"meeting_booked": 12})
        assert nudge_draft(RULES, old, 0, WEDNESDAY_NOON) is None

    assert nudged is not None
    assert "9 meetings booked and 3 calls today" in nudged.text and "demo" not in nudged.text


def test_after_onboarding_the_week_shows_no_goal_flag(session_factory) -> None:
    _seed(session_factory, start=date(2026, 8, 3))  # week 17

    seen = _week(session_factory, "U0ALEX", FRIDAY_MORNING)

    assert "onboarding week 17" in seen and "shown for reference" in seen
    assert "pace" not in seen
