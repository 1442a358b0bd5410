"""Insert a row unless it exists, safely when two requests race on the same unique key."""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def insert_once(
    session: Session, row: Row, find: Callable[[], Row | None], *, look_first: bool = True
) -> tuple[Row, bool]:
    """(the stored row, whether this call created it).

    The insert runs in a SAVEPOINT, so losing a race to a concurrent transaction leaves the
    caller's own transaction usable and the winner's row is returned instead. `look_first`
    False skips the up-front SELECT where a repeat is rare (a retried /log).
    """
    existing = find() if look_first else None
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raced = find()
        if raced is None:
            raise
        return raced, False
    return row, True
