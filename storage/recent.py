"""What a dashboard reads about recent work: the newest entries, the activities a rep logs most,
and the day each person last logged."""

from collections.abc import Collection
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.activities import COUNTS
from storage.models import Activity


def recent_entries(session: Session, team_id: str, user_id: str, limit: int) -> list[Activity]:
    """The rep's newest live entries (pending ones included: they can be undone too)."""
    query = (
        select(Activity)
        .where(
            Activity.team_id == team_id,
            Activity.user_id == user_id,
            Activity.deleted_at.is_(None),
        )
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def most_logged(
    session: Session, team_id: str, user_id: str, weeks: Collection[str], limit: int
) -> list[str]:
    """Activity keys the rep logged most often over `weeks`, by number of entries: "12 calls"
    is one click's worth of habit, not twelve."""
    query = (
        select(Activity.activity_key)
        .where(
            Activity.team_id == team_id,
            Activity.user_id == user_id,
            Activity.week.in_(list(weeks)),
            *COUNTS,
        )
        .group_by(Activity.activity_key)
        .order_by(func.count().desc(), func.max(Activity.created_at).desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def last_logged_days(
    session: Session, team_id: str, user_ids: Collection[str] | None
) -> dict[str, date]:
    """The local day of each person's latest live entry, for "last activity Tue"; `user_ids`
    None: everyone in the team."""
    if user_ids is not None and not user_ids:
        return {}
    query = (
        select(Activity.user_id, func.max(Activity.local_day))
        .where(Activity.team_id == team_id, *COUNTS)
        .group_by(Activity.user_id)
    )
    if user_ids is not None:
        query = query.where(Activity.user_id.in_(list(user_ids)))
    return {user_id: day for user_id, day in session.execute(query)}


def team_entry(session: Session, team_id: str, entry_id: int) -> Activity | None:
    """An entry of this workspace, whoever logged it; callers check who may touch it."""
    entry = session.get(Activity, entry_id)
    return entry if entry is not None and entry.team_id == team_id else None


def entry_by_key(session: Session, team_id: str, key: str) -> Activity | None:
    query = select(Activity).where(Activity.team_id == team_id, Activity.idempotency_key == key)
    return session.scalars(query).first()
