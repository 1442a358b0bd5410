"""A /log's write and its receipt's read together: the same answer on SQLite (two statements)
and PostgreSQL (the INSERT inside the read's statement)."""

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy.orm import Session, sessionmaker

from scoring.catalog import DEFAULT_CATALOG
from scoring.tally import tally_week
from storage.activities import PENDING, RepWeeks, WeekRead, record_activity, record_and_read
from storage.db import joined_write
from storage.models import Activity
from tests.storage.builders import NOW, WEEK, WORKDAYS, minutes_later, new_activity

Factory = sessionmaker[Session]
WINDOW = timedelta(minutes=2)


def _read(*weeks: str) -> Callable[[str], WeekRead]:
    return lambda entry_week: WeekRead({*weeks, entry_week}, WORKDAYS, None, WINDOW)


def _by_activity(sums: RepWeeks, week: str) -> dict[str, tuple[int, int]]:
    """(count, points) per activity, as a receipt adds them up: a new entry may come back as a
    row of its own."""
    tally = tally_week(sums.counted.get(week, []), DEFAULT_CATALOG)
    return {item.key: (item.count, item.points) for item in tally.items}


def test_a_new_entry_is_stored_counted_in_its_week_and_not_its_own_twin(
    session_factory: Factory,
) -> None:
    with session_factory.begin() as session:
        record_activity(session, new_activity(activity_key="call", count=3, points=3), NOW)
    with joined_write(session_factory) as session:
        entry, created, sums = record_and_read(session, new_activity(), NOW, _read(WEEK))
    with session_factory() as session:
        stored = session.get(Activity, entry.id)

    assert created and stored is not None
    assert (stored.activity_key, stored.points, stored.created_at) == ("demo", 50, NOW)
    assert _by_activity(sums, WEEK) == {"call": (3, 3), "demo": (1, 50)}
    assert sums.twin_at is None


def test_the_same_entry_logged_again_within_the_window_finds_the_first(
    session_factory: Factory,
) -> None:
    with joined_write(session_factory) as session:
        first, _, _ = record_and_read(session, new_activity(), NOW, _read(WEEK))
    with joined_write(session_factory) as session:
        second, created, sums = record_and_read(
            session, new_activity(), minutes_later(1), _read(WEEK)
        )
    with joined_write(session_factory) as session:
        _, _, later = record_and_read(session, new_activity(), minutes_later(5), _read(WEEK))

    assert created and second.id != first.id
    assert sums.twin_at == first.created_at
    assert _by_activity(sums, WEEK) == {"demo": (2, 100)}
    assert later.twin_at is None  # the others are over two minutes old
    assert _by_activity(later, WEEK) == {"demo": (3, 150)}


def test_a_repeated_key_answers_the_first_entry_and_reads_its_week(
    session_factory: Factory,
) -> None:
    backdated = new_activity(local_day=date(2026, 11, 20), week="2026-W47")
    with joined_write(session_factory) as session:
        first, _, _ = record_and_read(session, backdated, NOW, _read(WEEK))
    retry = new_activity(idempotency_key=backdated.idempotency_key)  # dated this week
    with joined_write(session_factory) as session:
        again, created, sums = record_and_read(session, retry, minutes_later(1), _read(WEEK))
    with session_factory() as session:
        stored = session.query(Activity).count()

    assert (created, again.id, again.week, stored) == (False, first.id, "2026-W47", 1)
    assert _by_activity(sums, "2026-W47") == {"demo": (1, 50)}
    assert _by_activity(sums, WEEK) == {}
    assert sums.twin_at is None  # the first entry is not its own twin


def test_an_entry_awaiting_approval_is_pending_not_counted(session_factory: Factory) -> None:
    with joined_write(session_factory) as session:
        entry, created, sums = record_and_read(
            session, new_activity(activity_key="deal", points=25, status=PENDING), NOW, _read()
        )

    assert created and entry.status == PENDING
    assert (sums.counted, sums.pending) == ({}, {WEEK: 25})
