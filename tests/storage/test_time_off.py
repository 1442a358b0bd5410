"""Days off on SQLite and PostgreSQL: each day once per rep, scoped by team and user."""

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from storage.time_off import (
    days_off_between,
    mark_days_off,
    unmark_days_off,
    upcoming_days_off,
)
from tests.storage.builders import NOW

ANA, BEN = "U_ANA", "U_BEN"
XMAS = [date(2026, 12, 24), date(2026, 12, 25)]


def test_days_are_marked_once_and_read_for_many_reps_at_once(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        assert mark_days_off(session, "T1", ANA, XMAS, NOW) == XMAS
        mark_days_off(session, "T1", BEN, [date(2026, 12, 28)], NOW)
        mark_days_off(session, "T2", ANA, [date(2026, 12, 23)], NOW)
    with session_factory.begin() as session:
        again = mark_days_off(session, "T1", ANA, [*XMAS, date(2026, 12, 23)], NOW)

    assert again == [date(2026, 12, 23)]
    with session_factory() as session:
        found = days_off_between(session, "T1", date(2026, 12, 21), date(2026, 12, 25), [ANA, BEN])
        everyone = days_off_between(session, "T1", date(2026, 12, 21), date(2026, 12, 31))
        upcoming = upcoming_days_off(session, "T1", ANA, date(2026, 12, 24), 10)
    assert found == {ANA: {date(2026, 12, 23), *XMAS}}
    assert everyone[BEN] == {date(2026, 12, 28)}
    assert upcoming == XMAS


def test_taking_days_back_touches_only_the_callers_own(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        mark_days_off(session, "T1", ANA, XMAS, NOW)
        mark_days_off(session, "T1", BEN, XMAS, NOW)
    with session_factory.begin() as session:
        taken = unmark_days_off(session, "T1", ANA, [date(2026, 12, 25), date(2026, 12, 28)])

    assert taken == [date(2026, 12, 25)]
    with session_factory() as session:
        found = days_off_between(session, "T1", XMAS[0], XMAS[1], [ANA, BEN])
    assert found == {ANA: {XMAS[0]}, BEN: set(XMAS)}
