"""Logged activities: recording them once, undoing them, reviewing them, and summing a week.

Sums count only entries that are neither deleted nor waiting for (or refused) approval:
`COUNTS` is that condition, in every query that adds points up.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    and_,
    bindparam,
    cast,
    func,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from storage.columns import UTCDateTime
from storage.models import Activity, Member, OutboxMessage, TimeOff
from storage.outbox import changes_reach
from storage.prebuilt import Prebuilt, detached

COUNTED, PENDING, REJECTED = "counted", "pending", "rejected"
COUNTS = (Activity.deleted_at.is_(None), Activity.status == COUNTED)


@dataclass(frozen=True)
class NewActivity:
    """What a handler has worked out about one log entry before it is stored."""

    team_id: str
    user_id: str
    activity_key: str
    count: int
    points: int
    happened_at: datetime
    local_day: date
    week: str
    note: str
    amount: Decimal | None
    source: str
    logged_by: str
    idempotency_key: str
    currency: str | None = None  # ISO 4217, set whenever `amount` is
    status: str = COUNTED  # PENDING when the activity needs a manager's approval


# The /log hot path's statements, built once on Core columns and run on the driver's cursor
# (storage.prebuilt). A receipt reads at most WEEKS_READ weeks: its own, the four before, and a
# backdated entry's; fewer are padded with repeats, so the statement never changes shape.
WEEKS_READ = 6
_c = Activity.__table__.c
_INSERT = Prebuilt(
    {
        name: insert(Activity.__table__)
        .on_conflict_do_nothing(index_elements=["team_id", "idempotency_key"])
        .returning(_c.id)
        for name, insert in (("postgresql", postgresql.insert), ("sqlite", sqlite.insert))
    },
    column_keys=[*(f.name for f in fields(NewActivity)), "created_at"],
)
_IS_TWIN = and_(
    _c.activity_key == bindparam("twin_key"),
    _c.count == bindparam("twin_count"),
    _c.local_day == bindparam("twin_day"),
    _c.note == bindparam("twin_note"),
    _c.created_at >= bindparam("twin_since"),
    _c.id < bindparam("twin_id"),
)
_WEEK_NAMES = [f"week{n}" for n in range(WEEKS_READ)]
_off = TimeOff.__table__.c
_outbox = OutboxMessage.__table__.c


def _week_read(*more: ColumnElement[Any]) -> list[Select[Any]]:
    """The branches of a receipt's read (`rep_weeks`), each answering `more` columns after its
    own eight. The sums read `ix_activities_week_sums` alone, in its order, no table rows;
    the twin check reads the last minutes' entries alone, by (team, user, created_at): in one
    branch with the sums it looked at every entry of five weeks (~1 µs each on SQLite)."""
    return [
        select(
            _c.week,
            _c.activity_key,
            _c.status,
            func.sum(_c.count),
            func.sum(_c.points),
            type_coerce(null(), UTCDateTime()),  # the first branch types the answer's columns
            cast(null(), Date()),  # PostgreSQL makes two untyped NULLs text, then meets a date
            null(),
            *more,
        )
        .where(
            _c.team_id == bindparam("team"),
            _c.user_id == bindparam("user"),
            _c.week.in_([bindparam(name) for name in _WEEK_NAMES]),
            _c.deleted_at.is_(None),
        )
        .group_by(_c.week, _c.activity_key, _c.status),
        select(
            *[null()] * 5,
            type_coerce(func.max(_c.created_at), UTCDateTime()),
            null(),
            null(),
            *more,
        ).where(
            _c.team_id == bindparam("team"),
            _c.user_id == bindparam("user"),
            _c.deleted_at.is_(None),
            _IS_TWIN,
        ),
        select(null(), null(), null(), null(), null(), null(), _off.day, null(), *more).where(
            _off.team_id == bindparam("team"),
            _off.user_id == bindparam("user"),
            _off.day >= bindparam("off_from", type_=Date()),
            _off.day <= bindparam("off_to", type_=Date()),
        ),
        select(*[null()] * 7, _outbox.key, *more).where(
            changes_reach(bindparam("team"), bindparam("message"), bindparam("message_at"))
        ),
    ]


_REP_WEEKS = Prebuilt(union_all(*_week_read()))
# PostgreSQL only (SQLite has no data-modifying WITH): the INSERT rides in the read. The read's
# snapshot doesn't hold the new row, so it comes back in a branch of its own, with its id.
_inserted = (
    postgresql.insert(Activity.__table__)
    .values({name: bindparam(name, type_=_c[name].type) for name in _INSERT.column_keys})
    .on_conflict_do_nothing(index_elements=["team_id", "idempotency_key"])
    .returning(_c.id, _c.week, _c.activity_key, _c.status, _c.count, _c.points)
    .cte("inserted")
)
_RECORD_AND_READ = Prebuilt(
    {
        "postgresql": union_all(
            *_week_read(cast(null(), Integer())),  # typed: PostgreSQL reads a NULL as text
            select(
                _inserted.c.week,
                _inserted.c.activity_key,
                _inserted.c.status,
                _inserted.c.count,
                _inserted.c.points,
                *[null()] * 3,
                _inserted.c.id,
            ),
        )
    }
)
# Above every stored id (an INTEGER column): a new entry's twin check on PostgreSQL, before
# its id is known.
_EVERY_ID = 2**31 - 1


@dataclass(frozen=True)
class TwinOf:
    """A new entry, to look for the same one logged since `since`: a slip, not a second call."""

    entry: Activity
    since: datetime


@dataclass(frozen=True)
class RepWeeks:
    """A rep's live entries of some weeks — counted ones by week and activity, points waiting
    for approval by week, when the newest twin of `TwinOf` was logged — and days off."""

    counted: dict[str, list[tuple[str, int, int]]]  # week -> [(activity_key, count, points)]
    pending: dict[str, int]
    twin_at: datetime | None
    days_off: set[date]
    reaches_message: bool = False  # a change now reaches the outbox message asked about


@dataclass(frozen=True)
class WeekRead:
    """What a receipt reads beside its entry, by `rep_weeks`: `weeks` (the entry's among them),
    days off from `days_off[0]` to `days_off[1]`, whether a change reaches `message`, and a
    twin logged within `twin_window` before the entry."""

    weeks: Collection[str]
    days_off: tuple[date, date]
    message: tuple[str, datetime] | None
    twin_window: timedelta


def record_and_read(
    session: Session, new: NewActivity, now: datetime, read: Callable[[str], WeekRead]
) -> tuple[Activity, bool, RepWeeks]:
    """`record_activity`, then `rep_weeks` as `read` says for the stored entry's week (a
    repeat's first entry may be of another week). On PostgreSQL a new entry's INSERT rides in
    the read's statement: one round trip fewer of a /log's five (issue #12)."""
    if session.get_bind().dialect.name != "postgresql":
        entry, created = record_activity(session, new, now)
        return entry, created, _read_beside(session, entry, read(entry.week))
    values = vars(new) | {"created_at": now}
    wanted = read(new.week)
    params = _read_params(new.team_id, new.user_id, wanted.weeks, wanted.days_off, wanted.message)
    # Every stored row came first: none is the new one, which the read's snapshot doesn't hold.
    params |= _twin_params(_EVERY_ID, new, now - wanted.twin_window)
    sums, inserted = _sums(_RECORD_AND_READ.rows(session, values | params))
    if inserted is not None:
        return _new_entry(inserted, values), True, sums
    first = _first(session, new)
    return first, False, _read_beside(session, first, read(first.week))


def record_activity(session: Session, new: NewActivity, now: datetime) -> tuple[Activity, bool]:
    """Store an entry once per idempotency key, so Slack's retries don't double points: one
    INSERT … ON CONFLICT DO NOTHING RETURNING, no look-first and no savepoint; only a repeat
    reads the first entry back."""
    values = vars(new) | {"created_at": now}  # asdict() would deep-copy every field
    inserted = _INSERT.rows(session, values)
    if not inserted:
        return _first(session, new), False
    return _new_entry(inserted[0][0], values), True


def _first(session: Session, new: NewActivity) -> Activity:
    first = _by_idempotency_key(session, new.team_id, new.idempotency_key)
    assert first is not None, "ON CONFLICT skipped a row no one else holds"
    return first


def _new_entry(entry_id: int, values: dict[str, Any]) -> Activity:
    unset = {"deleted_at": None, "reviewed_by": None, "reviewed_at": None, "review_reason": None}
    return detached(Activity, {"id": entry_id, **values, **unset})


def _read_beside(session: Session, entry: Activity, read: WeekRead) -> RepWeeks:
    twin = TwinOf(entry, since=entry.created_at - read.twin_window)
    return rep_weeks(
        session, entry.team_id, entry.user_id, read.weeks, twin, read.days_off, read.message
    )


def rep_weeks(
    session: Session,
    team_id: str,
    user_id: str,
    weeks: Collection[str],
    twin: TwinOf | None,
    days_off: tuple[date, date],
    message: tuple[str, datetime] | None = None,
) -> RepWeeks:
    """Everything a /log receipt reads about the rep, in one statement: the sums (from
    `ix_activities_week_sums` alone), the duplicate check, and the days off from `days_off[0]`
    to `days_off[1]`. A twin is a live entry logged before `twin.entry` (a retry's later twin
    is not a slip) with the same activity, count, day and note. With `message`,
    (an outbox key, now) the answer also says whether the change reaches that message, so the
    write that counts the change (`storage.outbox.count_change`) is only sent when it does."""
    params = _read_params(team_id, user_id, weeks, days_off, message)
    if twin is not None:
        params |= _twin_params(twin.entry.id, twin.entry, twin.since)
    else:
        params |= _NO_TWIN
    return _sums(_REP_WEEKS.rows(session, params))[0]


_NO_TWIN = {  # no id is below 1
    "twin_id": 0,
    "twin_key": "",
    "twin_count": 0,
    "twin_day": date.min,
    "twin_note": "",
    "twin_since": datetime.max.replace(tzinfo=UTC),
}


def _read_params(
    team_id: str,
    user_id: str,
    weeks: Collection[str],
    days_off: tuple[date, date],
    message: tuple[str, datetime] | None,
) -> dict[str, Any]:
    listed = list(weeks)
    assert 0 < len(listed) <= WEEKS_READ, f"a receipt reads 1 to {WEEKS_READ} weeks: {listed}"
    return {
        "team": team_id,
        "user": user_id,
        **dict(zip(_WEEK_NAMES, listed + listed[-1:] * (WEEKS_READ - len(listed)), strict=True)),
        "off_from": days_off[0],
        "off_to": days_off[1],
        "message": message[0] if message else "",  # no key is empty
        "message_at": message[1] if message else datetime.max.replace(tzinfo=UTC),
    }


def _twin_params(entry_id: int, like: Activity | NewActivity, since: datetime) -> dict[str, Any]:
    """The twin check's parameters: an entry like `like` (stored, or about to be) with an id
    below `entry_id`, logged since `since`."""
    return {
        "twin_id": entry_id,
        "twin_key": like.activity_key,
        "twin_count": like.count,
        "twin_day": like.local_day,
        "twin_note": like.note,
        "twin_since": since,
    }


def _sums(rows: Iterable[Sequence[Any]]) -> tuple[RepWeeks, int | None]:
    """A read's rows summed up, and the id of the entry its statement inserted, if any."""
    counted: dict[str, list[tuple[str, int, int]]] = {}
    pending: dict[str, int] = {}
    twin_at = None
    away: set[date] = set()
    reached = False
    inserted = None
    for week, key, status, count, points, twin_seen, day_off, message, *new_id in rows:
        if new_id and new_id[0] is not None:
            inserted = new_id[0]
        if message is not None:
            reached = True
        elif day_off is not None:
            away.add(day_off)
        elif status == COUNTED:
            counted.setdefault(week, []).append((key, int(count), int(points)))
        elif status == PENDING:
            pending[week] = pending.get(week, 0) + int(points)
        if twin_seen is not None and (twin_at is None or twin_seen > twin_at):
            twin_at = twin_seen
    return RepWeeks(counted, pending, twin_at, away, reached), inserted


def undo_latest(session: Session, team_id: str, user_id: str, now: datetime) -> Activity | None:
    """Soft-delete the caller's newest live entry; others' entries are never touched."""
    activity = session.scalars(
        select(Activity)
        .where(
            Activity.team_id == team_id,
            Activity.user_id == user_id,
            Activity.deleted_at.is_(None),
        )
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(1)
    ).first()
    return _soft_delete(session, activity, now)


def undo_activity(
    session: Session, team_id: str, user_id: str, activity_id: int, now: datetime
) -> Activity | None:
    """Soft-delete one entry, but only the caller's own and only once."""
    activity = session.scalars(
        select(Activity).where(
            Activity.id == activity_id,
            Activity.team_id == team_id,
            Activity.user_id == user_id,
            Activity.deleted_at.is_(None),
        )
    ).one_or_none()
    return _soft_delete(session, activity, now)


@dataclass(frozen=True)
class BoardScope:
    """Whose points a board ranks: reps — anyone with a manager, or who manages nobody — and
    only `manager_id`'s when given; a `public` board leaves out reps who left the boards."""

    manager_id: str | None = None
    public: bool = True

    def conditions(self, team_id: str) -> list[ColumnElement[bool]]:
        """Subqueries rather than id lists, so a workspace of any size is one statement."""
        people = select(Member.user_id).where(Member.team_id == team_id)
        if self.manager_id is not None:
            wanted = [Activity.user_id.in_(people.where(Member.manager_id == self.manager_id))]
        else:
            rep = aliased(Member)
            has_reps = (
                select(rep.id)
                .where(rep.team_id == team_id, rep.manager_id == Member.user_id)
                .exists()
            )
            managers = people.where(Member.manager_id.is_(None), has_reps)
            wanted = [Activity.user_id.not_in(managers)]
        if self.public:
            wanted.append(Activity.user_id.not_in(people.where(Member.on_boards.is_(False))))
        return wanted


def week_totals(
    session: Session,
    team_id: str,
    week: str,
    user_ids: Collection[str] | None = None,
    scope: BoardScope | None = None,
) -> dict[str, int]:
    """Live points per user for a week in one query; users with no entries are absent."""
    query = (
        select(Activity.user_id, func.sum(Activity.points))
        .where(
            Activity.team_id == team_id,
            Activity.week == week,
            *COUNTS,
        )
        .group_by(Activity.user_id)
    )
    if user_ids is not None:
        query = query.where(Activity.user_id.in_(list(user_ids)))
    return _totals(session, team_id, query, scope)


def _totals(
    session: Session, team_id: str, query: Select[tuple[str, int]], scope: BoardScope | None
) -> dict[str, int]:
    if scope is not None:
        query = query.where(*scope.conditions(team_id))
    return {user_id: int(points) for user_id, points in session.execute(query)}


def _by_idempotency_key(session: Session, team_id: str, key: str) -> Activity | None:
    return session.scalars(
        select(Activity).where(Activity.team_id == team_id, Activity.idempotency_key == key)
    ).one_or_none()


def _soft_delete(session: Session, activity: Activity | None, now: datetime) -> Activity | None:
    if activity is not None:
        activity.deleted_at = now
        session.flush()
    return activity


def rows_by_user_and_week(
    session: Session, team_id: str, weeks: Collection[str], user_ids: Collection[str] | None
) -> dict[tuple[str, str], list[tuple[str, int, int]]]:
    """(user_id, week) -> [(activity_key, count, points)]: many digests in one query.

    `user_ids` None means everyone in the team, which `ix_activities_week_sums` (team_id,
    week, user_id, …) serves.
    """
    query = (
        select(
            Activity.user_id,
            Activity.week,
            Activity.activity_key,
            func.sum(Activity.count),
            func.sum(Activity.points),
        )
        .where(
            Activity.team_id == team_id,
            Activity.week.in_(list(weeks)),
            *COUNTS,
        )
        .group_by(Activity.user_id, Activity.week, Activity.activity_key)
    )
    if user_ids is not None:
        query = query.where(Activity.user_id.in_(list(user_ids)))
    rows = session.execute(query)
    grouped: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for user_id, week, key, count, points in rows:
        grouped.setdefault((user_id, week), []).append((key, int(count), int(points)))
    return grouped


def totals_between(
    session: Session, team_id: str, first: date, last: date, scope: BoardScope | None = None
) -> dict[str, int]:
    """Live points per user for local days first..last inclusive (a month's board)."""
    query = (
        select(Activity.user_id, func.sum(Activity.points))
        .where(
            Activity.team_id == team_id,
            Activity.local_day >= first,
            Activity.local_day <= last,
            *COUNTS,
        )
        .group_by(Activity.user_id)
    )
    return _totals(session, team_id, query, scope)


def rep_rows_between(
    session: Session, team_id: str, user_id: str, first: date, last: date
) -> list[tuple[str, str, int, int]]:
    """(week, activity_key, count, points) of a rep's live entries on local days first..last:
    a month, week by week, in one query."""
    query = (
        select(
            Activity.week,
            Activity.activity_key,
            func.sum(Activity.count),
            func.sum(Activity.points),
        )
        .where(
            Activity.team_id == team_id,
            Activity.user_id == user_id,
            Activity.local_day >= first,
            Activity.local_day <= last,
            *COUNTS,
        )
        .group_by(Activity.week, Activity.activity_key)
    )
    return [
        (week, key, int(count), int(points)) for week, key, count, points in session.execute(query)
    ]


def rep_deals_between(
    session: Session, team_id: str, user_id: str, key: str, first: date, last: date
) -> list[tuple[str | None, Decimal, int]]:
    """(currency, amount, count) of a rep's live `key` entries with an amount, local days
    first..last; summed by the caller, in Decimal, so cents stay exact on SQLite too."""
    query = select(Activity.currency, Activity.amount, Activity.count).where(
        Activity.team_id == team_id,
        Activity.user_id == user_id,
        Activity.activity_key == key,
        Activity.amount.is_not(None),
        Activity.local_day >= first,
        Activity.local_day <= last,
        *COUNTS,
    )
    return [(currency, amount, count) for currency, amount, count in session.execute(query)]


def teams_active_in(session: Session, week: str) -> list[str]:
    """Teams with at least one live entry that week: no leaderboard for a silent team."""
    query = (
        select(Activity.team_id)
        .where(Activity.week == week, *COUNTS)
        .distinct()
        .order_by(Activity.team_id)
    )
    return list(session.scalars(query))


def counts_by_activity(
    session: Session, team_id: str, user_id: str, weeks: Collection[str]
) -> dict[str, int]:
    """How many of each activity a rep logged (live entries) over `weeks`: their usual mix."""
    query = (
        select(Activity.activity_key, func.sum(Activity.count))
        .where(
            Activity.team_id == team_id,
            Activity.user_id == user_id,
            Activity.week.in_(list(weeks)),
            *COUNTS,
        )
        .group_by(Activity.activity_key)
    )
    return {key: int(count) for key, count in session.execute(query)}


def pending_entry(session: Session, team_id: str, entry_id: int) -> Activity | None:
    """A team's entry by id, locked for its review; the caller checks who may review it."""
    return session.scalars(
        select(Activity)
        .where(Activity.id == entry_id, Activity.team_id == team_id)
        .with_for_update()
    ).one_or_none()


def review(
    session: Session, entry: Activity, approve: bool, by: str, reason: str | None, now: datetime
) -> bool:
    """Approve or reject a pending, live entry once; False when it was settled or undone."""
    if entry.status != PENDING or entry.deleted_at is not None:
        return False
    entry.status = COUNTED if approve else REJECTED
    entry.reviewed_by, entry.reviewed_at, entry.review_reason = by, now, reason
    session.flush()
    return True


def api_entries(
    session: Session, team_id: str, week: str, user_id: str | None, after: int, limit: int
) -> list[Activity]:
    """A week's live entries with ids over `after`, oldest first: the activity API's pages,
    which stay in order however many are logged while a client reads them."""
    query = select(Activity).where(
        Activity.team_id == team_id,
        Activity.week == week,
        Activity.deleted_at.is_(None),
        Activity.id > after,
    )
    if user_id is not None:
        query = query.where(Activity.user_id == user_id)
    return list(session.scalars(query.order_by(Activity.id).limit(limit)))
