"""Activities: stored once per key, undone per user, and summed per week."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.activities import (
    NewActivity,
    TwinOf,
    record_activity,
    rep_weeks,
    undo_activity,
    undo_latest,
    week_totals,
)
from storage.models import Activity
from storage.time_off import mark_days_off
from tests.storage.builders import NOW, WEEK, WORKDAYS, minutes_later, new_activity

Factory = sessionmaker[Session]


def activity_count(factory: Factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Activity))


def record(factory: Factory, new: NewActivity, minutes: int = 0) -> Activity:
    with factory.begin() as session:
        activity, _ = record_activity(session, new, minutes_later(minutes))
    return activity


def test_a_retried_request_is_stored_once(session_factory: Factory) -> None:
    new = new_activity(idempotency_key="slack-retry-1")
    with session_factory.begin() as session:
        first, created = record_activity(session, new, NOW)
    with session_factory.begin() as session:
        again, created_again = record_activity(session, new, minutes_later(1))

    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert activity_count(session_factory) == 1
    with session_factory() as session:
        assert week_totals(session, "T1", WEEK) == {"U_ANA": 50}


def test_the_same_key_in_another_team_is_a_different_entry(session_factory: Factory) -> None:
    record(session_factory, new_activity(idempotency_key="k"))
    record(session_factory, new_activity(team_id="T2", idempotency_key="k"))
    assert activity_count(session_factory) == 2


def test_simultaneous_retries_store_one_entry(session_factory: Factory) -> None:
    threads = 8
    barrier = threading.Barrier(threads)
    new = new_activity(idempotency_key="double-click")

    def submit() -> tuple[int, bool]:
        barrier.wait()
        with session_factory.begin() as session:
            activity, created = record_activity(session, new, NOW)
            return activity.id, created

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: submit(), range(threads)))

    assert len({activity_id for activity_id, _ in results}) == 1
    assert [created for _, created in results].count(True) == 1
    assert activity_count(session_factory) == 1


def test_a_retry_that_loses_the_insert_race_gets_the_first_entry(
    session_factory: Factory,
) -> None:
    new = new_activity(idempotency_key="race")
    with session_factory() as winner:
        winner_id = record_activity(winner, new, NOW)[0].id  # inserted, not committed
        with ThreadPoolExecutor(1) as pool:
            loser = pool.submit(_record_in_new_transaction, session_factory, new)
            threading.Event().wait(0.3)  # let the loser select and block on its insert
            winner.commit()
            loser_id, loser_created = loser.result(timeout=10)

    assert (loser_id, loser_created) == (winner_id, False)
    assert activity_count(session_factory) == 1


def _record_in_new_transaction(factory: Factory, new: NewActivity) -> tuple[int, bool]:
    with factory.begin() as session:
        activity, created = record_activity(session, new, NOW)
        return activity.id, created


def test_nothing_is_stored_when_the_callers_transaction_rolls_back(
    session_factory: Factory,
) -> None:
    with session_factory() as session:
        record_activity(session, new_activity(), NOW)
        session.rollback()
    assert activity_count(session_factory) == 0


def test_deal_size_and_times_round_trip_exactly(session_factory: Factory) -> None:
    stored = record(session_factory, new_activity(amount=Decimal("123456789012.34")))
    with session_factory() as session:
        activity = session.get(Activity, stored.id)

    assert activity is not None
    assert activity.amount == Decimal("123456789012.34")
    assert activity.happened_at == NOW
    assert activity.created_at.utcoffset() is not None
    assert activity.created_at.utcoffset().total_seconds() == 0
    assert activity.deleted_at is None


def test_naive_datetimes_are_rejected(session_factory: Factory) -> None:
    with session_factory() as session, pytest.raises(Exception, match="naive datetime"):
        record_activity(session, new_activity(), NOW.replace(tzinfo=None))


def test_undo_latest_removes_only_the_callers_newest_live_entry(
    session_factory: Factory,
) -> None:
    older = record(session_factory, new_activity(activity_key="call", points=5), minutes=1)
    newest = record(session_factory, new_activity(activity_key="demo", points=50), minutes=2)
    bob = record(session_factory, new_activity(user_id="U_BOB", logged_by="U_BOB"), minutes=3)

    with session_factory.begin() as session:
        undone = undo_latest(session, "T1", "U_ANA", minutes_later(4))
    assert undone is not None
    assert undone.id == newest.id

    with session_factory.begin() as session:
        undone_next = undo_latest(session, "T1", "U_ANA", minutes_later(5))
    assert undone_next is not None
    assert undone_next.id == older.id

    with session_factory.begin() as session:
        assert undo_latest(session, "T1", "U_ANA", minutes_later(6)) is None
        assert session.get(Activity, bob.id).deleted_at is None
        assert week_totals(session, "T1", WEEK) == {"U_BOB": 50}


def test_undo_activity_refuses_someone_elses_or_an_already_undone_entry(
    session_factory: Factory,
) -> None:
    entry = record(session_factory, new_activity())

    with session_factory.begin() as session:
        assert undo_activity(session, "T1", "U_BOB", entry.id, NOW) is None
        assert undo_activity(session, "T2", "U_ANA", entry.id, NOW) is None
    with session_factory.begin() as session:
        undone = undo_activity(session, "T1", "U_ANA", entry.id, minutes_later(1))
    with session_factory.begin() as session:
        assert undo_activity(session, "T1", "U_ANA", entry.id, minutes_later(2)) is None

    assert undone is not None
    assert undone.deleted_at == minutes_later(1)


def test_week_sums_skip_undone_entries_other_weeks_and_other_teams(
    session_factory: Factory,
) -> None:
    record(session_factory, new_activity(activity_key="demo", count=2, points=100))
    record(session_factory, new_activity(activity_key="demo", count=1, points=50))
    record(session_factory, new_activity(activity_key="call", count=3, points=15))
    undone = record(session_factory, new_activity(activity_key="call", count=1, points=5))
    record(session_factory, new_activity(user_id="U_BOB", points=40))
    record(session_factory, new_activity(week="2026-W47", points=999))
    record(session_factory, new_activity(team_id="T2", points=999))
    with session_factory.begin() as session:
        undo_activity(session, "T1", "U_ANA", undone.id, NOW)

    with session_factory() as session:
        ana = rep_weeks(session, "T1", "U_ANA", [WEEK], None, WORKDAYS).counted[WEEK]
        assert sorted(ana) == [("call", 3, 15), ("demo", 3, 150)]
        assert week_totals(session, "T1", WEEK) == {"U_ANA": 165, "U_BOB": 40}
        assert week_totals(session, "T1", WEEK, user_ids={"U_BOB", "U_CY"}) == {"U_BOB": 40}
        assert week_totals(session, "T1", WEEK, user_ids=[]) == {}
        assert rep_weeks(session, "T1", "U_CY", [WEEK], None, WORKDAYS).counted == {}


def test_a_twin_is_the_same_entry_logged_again_within_the_window(
    session_factory: Factory,
) -> None:
    earlier = record(session_factory, new_activity(count=2), minutes=0)
    stale = record(session_factory, new_activity(count=3), minutes=-30)
    record(session_factory, new_activity(activity_key="call", count=2), minutes=1)
    latest = record(session_factory, new_activity(count=2), minutes=2)

    def duplicate(count: int, since_minutes: int) -> datetime | None:
        """When the newest twin of `latest` was logged, had it been logged with `count`."""
        probe = Activity(  # `latest`, as if it had been logged with `count`
            id=latest.id,
            team_id="T1",
            user_id="U_ANA",
            activity_key="demo",
            count=count,
            local_day=latest.local_day,
            note=latest.note,
            created_at=latest.created_at,
        )
        with session_factory() as session:
            twin = TwinOf(probe, minutes_later(since_minutes))
            return rep_weeks(session, "T1", "U_ANA", [WEEK], twin, WORKDAYS).twin_at

    assert duplicate(count=2, since_minutes=-10) == earlier.created_at
    assert duplicate(count=2, since_minutes=1) is None  # only `latest` is that recent
    assert duplicate(count=3, since_minutes=-10) is None  # `stale` is older than the window
    assert duplicate(count=3, since_minutes=-60) == stale.created_at

    with session_factory.begin() as session:
        undo_activity(session, "T1", "U_ANA", earlier.id, NOW)
    assert duplicate(count=2, since_minutes=-10) is None


def test_the_receipts_one_query_brings_the_reps_days_off_in_that_week_only(
    session_factory: Factory,
) -> None:
    record(session_factory, new_activity(points=50))
    with session_factory.begin() as session:
        mark_days_off(session, "T1", "U_ANA", [date(2026, 11, 24), date(2026, 11, 30)], NOW)
        mark_days_off(session, "T1", "U_BOB", [date(2026, 11, 25)], NOW)

    with session_factory() as session:
        sums = rep_weeks(session, "T1", "U_ANA", [WEEK], None, WORKDAYS)

    assert sums.days_off == {date(2026, 11, 24)}
    assert sums.counted == {WEEK: [("demo", 1, 50)]}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_receipt_sums_its_weeks_from_the_week_index_alone(session_factory: Factory) -> None:
    """A receipt reads five weeks of the rep's entries. Its sums looked each entry up in the
    table and sorted them all to group them (~0.7 µs an entry on SQLite, so a /log slowed as
    the weeks filled); they now walk one index in its order, and only the twin check reads
    entries themselves: those of the last minutes."""
    for n in range(30):
        record(session_factory, new_activity(activity_key=("demo", "call")[n % 2]), minutes=-n)
    twin = TwinOf(record(session_factory, new_activity()), minutes_later(-2))
    sent: list[str] = []
    with session_factory() as session:
        session.connection().connection.dbapi_connection.set_trace_callback(sent.append)
        rep_weeks(session, "T1", "U_ANA", [WEEK, "2026-W47"], twin, WORKDAYS)
        session.connection().connection.dbapi_connection.set_trace_callback(None)
        [statement] = [s for s in sent if "activities" in s]
        plan = [
            row[-1]
            for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")
        ]

    sums, twin_check = [step for step in plan if " activities " in f"{step} "]
    assert "USING COVERING INDEX ix_activities_week_sums" in sums, plan
    assert (
        "ix_activities_team_id_user_id_created_at (team_id=? AND user_id=? AND created_at>?)"
        in twin_check
    ), plan
    assert not any("TEMP B-TREE" in step for step in plan), plan
