"""Days off: marking and unmarking a rep's weekdays away, and reading them for many people in
one query, so a digest or a board costs one look-up however many reps it covers."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from storage.models import TimeOff

# Past this many people, the team's (team_id, day) index beats a long IN list (and stays under
# PostgreSQL's 65k parameters); others' days off are then read and simply not asked about.
IN_LIST_LIMIT = 1000

DaysOff = dict[str, set[date]]  # user id -> days off


def mark_days_off(
    session: Session, team_id: str, user_id: str, days: Collection[date], now: datetime
) -> list[date]:
    """Store each day once; returns those not marked before. A request racing this one for the
    same day is no error: the day is simply marked."""
    marked = _marked(session, team_id, user_id, days)
    new = sorted(set(days) - marked)
    if new:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        rows = [{"team_id": team_id, "user_id": user_id, "day": d, "created_at": now} for d in new]
        session.execute(
            dialect.insert(TimeOff)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["team_id", "user_id", "day"])
        )
    return new


def unmark_days_off(
    session: Session, team_id: str, user_id: str, days: Collection[date]
) -> list[date]:
    """Take days off back (only the caller's own); returns those that were marked."""
    marked = sorted(_marked(session, team_id, user_id, days))
    if marked:
        session.execute(
            delete(TimeOff).where(
                TimeOff.team_id == team_id,
                TimeOff.user_id == user_id,
                TimeOff.day.in_(marked),
            )
        )
    return marked


def days_off_between(
    session: Session,
    team_id: str,
    first: date,
    last: date,
    user_ids: Collection[str] | None = None,
) -> DaysOff:
    """Everyone's days off from `first` to `last` (both included), or only `user_ids`'."""
    query = select(TimeOff.user_id, TimeOff.day).where(
        TimeOff.team_id == team_id, TimeOff.day >= first, TimeOff.day <= last
    )
    if user_ids is not None:
        if not user_ids:
            return {}
        if len(user_ids) <= IN_LIST_LIMIT:
            query = query.where(TimeOff.user_id.in_(list(user_ids)))
    found: DaysOff = {}
    for user_id, day in session.execute(query):
        found.setdefault(user_id, set()).add(day)
    return found


def upcoming_days_off(
    session: Session, team_id: str, user_id: str, since: date, limit: int
) -> list[date]:
    """The person's days off from `since` on, soonest first."""
    query = (
        select(TimeOff.day)
        .where(TimeOff.team_id == team_id, TimeOff.user_id == user_id, TimeOff.day >= since)
        .order_by(TimeOff.day)
        .limit(limit)
    )
    return list(session.scalars(query))


def _marked(session: Session, team_id: str, user_id: str, days: Collection[date]) -> set[date]:
    query = select(TimeOff.day).where(
        TimeOff.team_id == team_id, TimeOff.user_id == user_id, TimeOff.day.in_(list(days))
    )
    return set(session.scalars(query))
