"""`/tally away` end to end: days off marked over signed HTTP shrink the rep's goal."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from scoring.weeks import local_date, week_start
from storage.db import make_session_factory
from storage.models import TimeOff
from tests.fixtures.server import OTHER_REP, PEOPLE, REP, RunningTally

REP_TZ = next(tz for user_id, _, tz, _ in PEOPLE if user_id == REP)


def _days_off(tally: RunningTally) -> int:
    with make_session_factory(tally.engine)() as session:
        return session.scalar(select(func.count()).select_from(TimeOff)) or 0


def test_two_days_away_this_week_make_the_goal_300(tally: RunningTally) -> None:
    monday = week_start(local_date(datetime.now().astimezone(), REP_TZ))
    tuesday = monday + timedelta(days=1)
    tally.command(REP, "/log", "12 calls")

    marked = tally.read(tally.command(REP, "/tally", f"away {monday}..{tuesday}").json())
    seen = tally.read(tally.command(REP, "/tally").json())
    listed = tally.read(tally.command(REP, "/tally", "away").json())
    others = tally.read(tally.command(OTHER_REP, "/tally").json())

    assert "Marked as away" in marked
    assert "300 pts" in marked
    assert "12 / 300 pts" in seen
    assert f"{monday:%a %-d %b %Y} – {tuesday:%a %-d %b %Y}" in listed or "no days off" in listed
    assert "/ 500 pts" in others


def test_taking_a_day_back_restores_its_share(tally: RunningTally) -> None:
    monday = week_start(local_date(datetime.now().astimezone(), REP_TZ))
    tally.command(REP, "/tally", f"away {monday}..{monday + timedelta(days=1)}")

    back = tally.read(tally.command(REP, "/tally", f"away off {monday}").json())
    seen = tally.read(tally.command(REP, "/tally").json())

    assert "Back at work" in back
    assert "0 / 400 pts" in seen


def test_a_bad_range_is_refused_and_stores_nothing(tally: RunningTally) -> None:
    refused = tally.read(tally.command(REP, "/tally", "away 2026-12-31..2026-12-24").json())
    too_long = tally.read(tally.command(REP, "/tally", "away 2026-12-24..2027-03-31").json())
    nonsense_reply = tally.command(REP, "/tally", "away <!channel> *soon*").json()
    nonsense = tally.read(nonsense_reply)

    assert "before it starts" in refused
    assert "at most 60" in too_long
    assert "“@channel *soon*” isn't a date" in nonsense
    assert "<!channel>" not in str(nonsense_reply)
    assert _days_off(tally) == 0
