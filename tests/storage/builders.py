"""Small builders so each test spells out only what it is about."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event

from storage.activities import NewActivity

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
WEEK = "2026-W48"
WORKDAYS = (date(2026, 11, 23), date(2026, 11, 27))  # its Monday to Friday

_BASE = NewActivity(
    team_id="T1",
    user_id="U_ANA",
    activity_key="demo",
    count=1,
    points=50,
    happened_at=NOW,
    local_day=date(2026, 11, 26),
    week=WEEK,
    note="",
    amount=None,
    source="slash",
    logged_by="U_ANA",
    idempotency_key="",
)
_serial = iter(range(1, 1_000_000))


def new_activity(**changes: object) -> NewActivity:
    """A demo worth 50 points for U_ANA in team T1, with a fresh idempotency key."""
    changes.setdefault("idempotency_key", f"key-{next(_serial)}")
    return replace(_BASE, **changes)


def minutes_later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """What `engine` sends to the database meanwhile, as (SQL, the driver's parameters)."""
    sent: list[tuple[str, Any]] = []

    def keep(_c: object, _cur: object, statement: str, params: Any, *_rest: object) -> None:
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", keep)
