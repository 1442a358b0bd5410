"""A rep's recent mix of activities, which coaching suggestions follow."""

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from storage.activities import counts_by_activity
from storage.models import Activity
from tests.fixtures.seed import TEAM, log

WEEKS = ["2026-W44", "2026-W45", "2026-W46", "2026-W47"]


def test_counts_each_activity_over_the_given_weeks_only(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        log(session, "U0RITA", "call", 30, day=date(2026, 10, 27))  # W44
        log(session, "U0RITA", "call", 20, day=date(2026, 11, 18))  # W47
        log(session, "U0RITA", "demo_self_led", 2, day=date(2026, 11, 17))
        log(session, "U0RITA", "email", 99, day=date(2026, 11, 24))  # W48: this week
        log(session, "U0RITA", "email", 50, day=date(2026, 10, 20))  # W43: too long ago
        log(session, "U0RAVI", "meeting_booked", 4, day=date(2026, 11, 18))  # someone else
        log(session, "U0RITA", "dm_conversation", 3, day=date(2026, 11, 19))
        undone = session.scalars(select(Activity).where(Activity.activity_key == "dm_conversation"))
        undone.one().deleted_at = datetime(2026, 11, 20, tzinfo=UTC)

    with session_factory() as session:
        mix = counts_by_activity(session, TEAM, "U0RITA", WEEKS)

    assert mix == {"call": 50, "demo_self_led": 2}
