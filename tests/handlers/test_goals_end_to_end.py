"""Goals and coaching as people meet them: `/tally`, `/tally team` and `/tally @rep` over HTTP.

The server runs on the real clock, so these assert what holds at any hour of any day.
"""

import re
from datetime import date, timedelta

from scoring.catalog import DEFAULT_CATALOG
from tests.fixtures.server import ADMIN, REP, RunningTally

REALISTIC_DAY = 150  # the default: 30% of the 500-point weekly goal


def _start(tally: RunningTally, start: date) -> None:
    """An admin puts REP on their team directly, with an onboarding start."""
    tally.later(ADMIN, "/tally", f"team add <@{REP}> start {start.isoformat()}")


def _points_asked(reply: str) -> int:
    """The points of every "N <activity>" the coaching lines ask for ("6 self-led demos" = 150)."""
    text = "\n".join(line for line in reply.splitlines() if not line.startswith(":white_check"))
    asked = 0
    for activity in DEFAULT_CATALOG:
        for count in range(1, 501):
            phrase = re.escape(activity.describe(count))
            asked += activity.points * count * len(re.findall(rf"(?<![\d.]){phrase}\b", text))
    return asked


def test_a_rep_who_starts_next_month_is_shown_no_goal_flag(tally: RunningTally) -> None:
    _start(tally, date.today() + timedelta(days=40))
    tally.command(REP, "/log", "3 calls")

    own = tally.read(tally.command(REP, "/tally").json())
    team = tally.read(tally.command(ADMIN, "/tally", "team").json())

    assert "3 /" in own or "3 pts" in own
    assert "behind" not in own.lower() and "out of reach" not in own
    assert _points_asked(own) == 0  # no coaching before the goal applies
    assert "behind pace" not in team


def test_coaching_never_asks_for_more_than_a_realistic_day(tally: RunningTally) -> None:
    _start(tally, date.today() - timedelta(weeks=4))  # onboarding week 5: the goal applies
    receipt = tally.read(tally.command(REP, "/log", "2 emails").json())
    week = tally.read(tally.command(REP, "/tally").json())

    for seen in (receipt, week):
        assert _points_asked(seen) <= REALISTIC_DAY, seen


def test_a_manager_reads_about_the_rep_not_to_them(tally: RunningTally) -> None:
    _start(tally, date.today() - timedelta(weeks=4))
    tally.command(REP, "/log", "demo self-led")

    seen = tally.read(tally.later(ADMIN, "/tally", f"<@{REP}>"))

    assert "@rita's week" in seen
    # Which sentence coaches depends on the hour the suite runs ("Strong days can still reach
    # the goal" names no one); that each names the rep is tests/scoring/test_pace.py's.
    assert "You're" not in seen and "you " not in seen.lower().replace("you'll", "")
