"""Deal amounts stored exactly (or refused) the same on SQLite and PostgreSQL; duplicate lookup."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from storage.activities import TwinOf, record_activity, rep_weeks
from storage.models import Activity
from tests.storage.builders import NOW, WORKDAYS, minutes_later, new_activity

Factory = sessionmaker[Session]


@pytest.mark.parametrize(
    "amount",
    ["10000000000.00", "9999999999.99", "98765432109.87", "0.01", "999999999999.99"],
)
def test_amounts_come_back_to_the_cent(session_factory: Factory, amount: str) -> None:
    with session_factory.begin() as session:
        stored, _ = record_activity(
            session, new_activity(amount=Decimal(amount), currency="EUR"), NOW
        )
    with session_factory() as session:
        activity = session.get(Activity, stored.id)

    assert activity is not None
    assert (activity.amount, activity.currency) == (Decimal(amount), "EUR")


@pytest.mark.parametrize(
    "amount", ["98765432109876.54", "1000000000000", "1" * 29, "0.001", "12500.505"]
)
def test_amounts_the_column_cannot_keep_are_refused_not_rounded(
    session_factory: Factory, amount: str
) -> None:
    with pytest.raises(StatementError), session_factory.begin() as session:
        record_activity(session, new_activity(amount=Decimal(amount)), NOW)

    with session_factory() as session:
        assert session.query(Activity).count() == 0


def _stored(factory: Factory, minutes: int, **changes: object) -> Activity:
    with factory.begin() as session:
        activity, _ = record_activity(session, new_activity(**changes), minutes_later(minutes))
    return activity


def test_a_twin_needs_the_same_day_and_note_and_must_come_first(session_factory: Factory) -> None:
    same = _stored(session_factory, -4, note="Initech")
    _stored(session_factory, -3, note="Globex")
    _stored(session_factory, -2, note="Initech", local_day=date(2026, 11, 25))
    latest = _stored(session_factory, 0, note="Initech")
    _stored(session_factory, 1, note="Initech")  # logged after `latest`: not its twin

    with session_factory() as session:
        twin = TwinOf(latest, since=minutes_later(-5))
        found = rep_weeks(session, latest.team_id, latest.user_id, [latest.week], twin, WORKDAYS)

    assert found.twin_at == same.created_at
