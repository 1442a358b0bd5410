"""What a chunk of Friday digests reads of its reps' weeks, in one statement.

`storage.activities.rows_by_user_and_week` with one `week IN (…)` lets PostgreSQL serve a
thousand reps through (team_id, user_id, created_at) and read every week they ever logged, so
a Friday would grow with stored history. Here each week is a branch of its own, with the week as
an equality, which (team_id, week, user_id) serves: only the weeks asked for are read. Rows come
back through Core, not the ORM: a Friday at 100,000 reps reads millions of them.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, literal, select, union_all
from sqlalchemy.orm import Session

from storage.activities import COUNTED, rows_by_user_and_week
from storage.models import Activity

RowsByUserWeek = dict[tuple[str, str], list[tuple[str, int, int]]]

_ROWS = Activity.__table__.c


def rows_of_weeks(
    session: Session, team_id: str, weeks: Collection[str], user_ids: Collection[str] | None
) -> RowsByUserWeek:
    """(user_id, week) -> [(activity_key, count, points)], as `rows_by_user_and_week` gives;
    `user_ids` None means everyone in the team (that query's team-wide path)."""
    if user_ids is None or not weeks:
        return rows_by_user_and_week(session, team_id, weeks, user_ids)
    if not user_ids:
        return {}
    ids = list(user_ids)
    branches = [
        select(
            _ROWS.user_id,
            literal(week).label("week"),
            _ROWS.activity_key,
            func.sum(_ROWS.count),
            func.sum(_ROWS.points),
        )
        .where(
            _ROWS.team_id == team_id,
            _ROWS.week == week,
            _ROWS.user_id.in_(ids),
            _ROWS.deleted_at.is_(None),
            _ROWS.status == COUNTED,
        )
        .group_by(_ROWS.user_id, _ROWS.activity_key)
        for week in sorted(set(weeks))
    ]
    query = branches[0] if len(branches) == 1 else union_all(*branches)
    grouped: RowsByUserWeek = {}
    for user_id, week, key, count, points in session.connection().execute(query):
        grouped.setdefault((user_id, week), []).append((key, int(count), int(points)))
    return grouped
