"""What a chunk of Friday digests reads of its reps: who they are, their weeks' rows with the last
day each logged, and their deals, each in one statement.

Reps are picked by their managers (`chunk_reps`, a subquery on (team_id, manager_id)) rather
than by a list of their ids: a chunk of a thousand reps bound as a thousand parameters, once per
statement and week, cost more in the driver than the rows themselves. Each week is a branch of
its own, with the week as an equality, which `ix_activities_week_sums` (team_id, week,
user_id, …) serves: only the weeks asked for are read, so a Friday doesn't grow with stored
history. Rows come back through Core, not the ORM: a Friday at 100,000 reps reads millions of
them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from sqlalchemy import CTE, ColumnElement, Select, func, literal, null, select, text, union_all
from sqlalchemy.orm import Session

from storage.activities import COUNTED
from storage.models import AccountPlan, Activity, Member, TimeOff
from storage.recent import last_logged_days
from storage.sheet_rows import Deals, summed_deals
from storage.time_off import DaysOff

RowsByUserWeek = dict[tuple[str, str], list[tuple[str, int, int]]]

_ROWS = Activity.__table__.c
_MEMBERS = Member.__table__.c
_OFF = TimeOff.__table__.c
_PLANS = AccountPlan.__table__.c
# Past this many people, a list of ids is split: PostgreSQL takes at most 65k parameters.
IN_LIST_LIMIT = 1000
# Rows fetched at a time: one at a time, psycopg checks its result for every row (a twentieth
# of a Friday on PostgreSQL); all at once, SQLite's Friday did more work (a list of 12,000).
_FETCH_BATCH = 500


@dataclass(frozen=True)
class Rep:
    """What a digest shows of a rep: read through Core, not as ORM members, for 100,000 reps."""

    user_id: str
    display_name: str
    manager_id: str | None
    onboarding_start: date | None


@dataclass(frozen=True)
class RepWeeks:
    """A chunk's rows by (user, week) of the weeks shown in full, the points of the weeks
    before them (a total per week: what a trend and "who to coach" read), and the local day
    each rep last logged anything."""

    rows: RowsByUserWeek
    last_days: dict[str, date]
    totals: dict[tuple[str, str], int] = field(default_factory=dict)  # weeks with entries only


def chunk_reps(team_id: str, manager_ids: Collection[str]) -> CTE:
    """The user ids of `manager_ids`' reps, as a CTE the chunk's statements select from."""
    query = select(_MEMBERS.user_id).where(
        _MEMBERS.team_id == team_id, _MEMBERS.manager_id.in_(sorted(manager_ids))
    )
    return query.cte("chunk_reps")


def reps_of(session: Session, team_id: str, manager_ids: Collection[str]) -> list[Rep]:
    """The managers' reps, ordered as `storage.members.team_of` orders a team."""
    query = (
        select(
            _MEMBERS.user_id, _MEMBERS.display_name, _MEMBERS.manager_id, _MEMBERS.onboarding_start
        )
        .where(_MEMBERS.team_id == team_id, _MEMBERS.manager_id.in_(sorted(manager_ids)))
        .order_by(func.lower(_MEMBERS.display_name), _MEMBERS.display_name, _MEMBERS.user_id)
    )
    return [Rep(*row) for row in session.connection().execute(query)]


def _live(team_id: str, week: str, reps: CTE) -> list[ColumnElement[bool]]:
    """A week's live, counted rows of the chunk's reps."""
    return [
        _ROWS.team_id == team_id,
        _ROWS.week == week,
        _ROWS.user_id.in_(select(reps.c.user_id)),
        _ROWS.deleted_at.is_(None),
        _ROWS.status == COUNTED,
    ]


def _week_rows(team_id: str, week: str, reps: CTE) -> Select:
    """(user, week, activity, count, points, latest day) of one week."""
    return (
        select(
            _ROWS.user_id,
            literal(week).label("week"),
            _ROWS.activity_key,
            func.sum(_ROWS.count),
            func.sum(_ROWS.points),
            func.max(_ROWS.local_day),
        )
        .where(*_live(team_id, week, reps))
        .group_by(_ROWS.user_id, _ROWS.activity_key)
    )


def _week_totals(team_id: str, week: str, reps: CTE, points: bool = True) -> Select:
    """(user, week, no activity, no count, points, latest day) of one week before a shown one;
    without `points`, only the latest day (a week read for it alone)."""
    return (
        select(
            _ROWS.user_id,
            literal(week).label("week"),
            null(),
            null(),
            func.sum(_ROWS.points) if points else null(),
            func.max(_ROWS.local_day),
        )
        .where(*_live(team_id, week, reps))
        .group_by(_ROWS.user_id)
    )


def points_by_activity(
    session: Session, team_id: str, user_ids: Collection[str], weeks: Collection[str]
) -> dict[str, dict[str, int]]:
    """Each rep's points per activity summed over `weeks`: what "who to coach" names for the
    few reps a digest coaches (`scoring.insights.coached` picks them from totals). Read for
    all of a chunk's reps, it was a third of a Friday on SQLite, most of it sorting their
    entries of four weeks. For these few, one statement over the weeks serves (SQLite probes
    the week index per week and rep); the chunk's statements are per week because beside a
    thousand reps SQLite chose (team_id, user_id, created_at) and read whole histories."""
    if not user_ids or not weeks:
        return {}
    query = (
        select(_ROWS.user_id, _ROWS.activity_key, func.sum(_ROWS.points))
        .where(
            _ROWS.team_id == team_id,
            _ROWS.week.in_(sorted(weeks)),
            _ROWS.user_id.in_(sorted(user_ids)),
            _ROWS.deleted_at.is_(None),
            _ROWS.status == COUNTED,
        )
        .group_by(_ROWS.user_id, _ROWS.activity_key)
    )
    found: dict[str, dict[str, int]] = {}
    for user_id, key, points in session.connection().execute(query):
        found.setdefault(user_id, {})[key] = int(points)
    return found


# Each week anyone in the team has an entry in, from :first on: one index probe per week, as
# PostgreSQL has no skip scan and SQLite's DISTINCT would read every entry of those weeks.
_WEEKS_FROM = text(
    """
    WITH RECURSIVE logged(week) AS (
        SELECT (SELECT week FROM activities
                WHERE team_id = :team AND week >= :first ORDER BY week LIMIT 1)
        UNION ALL
        SELECT (SELECT a.week FROM activities a
                WHERE a.team_id = :team AND a.week > logged.week ORDER BY a.week LIMIT 1)
        FROM logged WHERE logged.week IS NOT NULL
    )
    SELECT week FROM logged WHERE week IS NOT NULL
    """
)


def _weeks_from(session: Session, team_id: str, first: str) -> list[str]:
    found = session.connection().execute(_WEEKS_FROM, {"team": team_id, "first": first})
    return list(found.scalars())


def rep_weeks(
    session: Session,
    team_id: str,
    manager_ids: Collection[str],
    shown: Mapping[str, Collection[str]],
) -> RepWeeks:
    """For each week in `shown` (a digest's) and the weeks before it that it names: the
    shown week's rows, (user, week) -> [(activity, count, points)] as
    `storage.activities.rows_by_user_and_week` gives them; the weeks before as totals (a Friday
    at 100,000 reps read a row per rep, week and activity of each: three times the rows); and
    each rep's last day as
    `storage.recent.last_logged_days` finds it. That day is read from every week from the
    oldest asked for on (a week is the ISO week of its days, so nothing older can be later);
    only a rep who logged nothing since is looked up in their whole history."""
    if not shown or not manager_ids:
        return RepWeeks({}, {})
    reps = chunk_reps(team_id, manager_ids)
    full = sorted(shown)
    earlier = sorted({w for before in shown.values() for w in before} - set(full))
    asked = set(full) | set(earlier)
    others = [w for w in _weeks_from(session, team_id, min(asked)) if w not in asked]
    branches = [_week_rows(team_id, w, reps) for w in full]
    branches += [_week_totals(team_id, w, reps) for w in earlier]
    branches += [_week_totals(team_id, w, reps, points=False) for w in others]
    query = branches[0] if len(branches) == 1 else union_all(*branches)
    rows: RowsByUserWeek = {}
    totals: dict[tuple[str, str], int] = {}
    last_days: dict[str, date] = {}
    for batch in session.connection().execute(query).partitions(_FETCH_BATCH):
        for user_id, week, key, count, points, day in batch:
            if count is not None:
                rows.setdefault((user_id, week), []).append((key, int(count), int(points)))
            elif points is not None:
                totals[user_id, week] = int(points)
            if day is not None and (user_id not in last_days or day > last_days[user_id]):
                last_days[user_id] = day
    return RepWeeks(rows, last_days, totals)


def last_days_of(
    session: Session, team_id: str, user_ids: Iterable[str], found: dict[str, date]
) -> dict[str, date]:
    """`found` with the last day of everyone in `user_ids` it lacks, from their whole history:
    reps quiet in every week `rep_weeks` read (usually none)."""
    missing = sorted(set(user_ids) - found.keys())
    days = dict(found)
    for start in range(0, len(missing), IN_LIST_LIMIT):
        days.update(last_logged_days(session, team_id, missing[start : start + IN_LIST_LIMIT]))
    return days


class PlanRow(NamedTuple):
    """An account plan as a digest reads it, with its owner's time zone (whose day says
    whether it is overdue)."""

    owner_id: str
    account: str
    cadence_unit: str
    cadence_count: int
    last_reviewed: date
    snoozed_until: date | None
    tz: str


def chunk_plans(session: Session, team_id: str, manager_ids: Collection[str]) -> list[PlanRow]:
    """The account plans of the managers' reps and their owners' zones, in one statement
    through Core: read by owner id as ORM objects, a chunk's 2,000 plans and the thousand ids
    bound twice (plans, then zones) were a twentieth of a Friday."""
    if not manager_ids:
        return []
    query = (
        select(
            _PLANS.owner_id,
            _PLANS.account,
            _PLANS.cadence_unit,
            _PLANS.cadence_count,
            _PLANS.last_reviewed,
            _PLANS.snoozed_until,
            _MEMBERS.tz,
        )
        .join_from(
            Member.__table__,
            AccountPlan.__table__,
            (_PLANS.team_id == _MEMBERS.team_id) & (_PLANS.owner_id == _MEMBERS.user_id),
        )
        .where(_MEMBERS.team_id == team_id, _MEMBERS.manager_id.in_(sorted(manager_ids)))
    )
    return [PlanRow(*row) for row in session.connection().execute(query)]


def chunk_days_off(
    session: Session, team_id: str, manager_ids: Collection[str], first: date, last: date
) -> DaysOff:
    """The managers' reps' days off from `first` to `last`, as `days_off_between` gives them."""
    if not manager_ids:
        return {}
    reps = chunk_reps(team_id, manager_ids)
    query = select(_OFF.user_id, _OFF.day).where(
        _OFF.team_id == team_id,
        _OFF.user_id.in_(select(reps.c.user_id)),
        _OFF.day >= first,
        _OFF.day <= last,
    )
    found: DaysOff = {}
    for user_id, day in session.connection().execute(query):
        found.setdefault(user_id, set()).add(day)
    return found


def chunk_deals(
    session: Session,
    team_id: str,
    manager_ids: Collection[str],
    weeks: Collection[str],
    closed_won_key: str,
) -> Deals:
    """Deals with an amount of the managers' reps in `weeks`, counted and summed per currency
    in Decimal (exact cents on SQLite too), as `storage.sheet_rows.deal_amounts` gives them."""
    if not weeks or not manager_ids:
        return {}
    reps = chunk_reps(team_id, manager_ids)
    branches = [
        select(_ROWS.user_id, _ROWS.week, _ROWS.currency, _ROWS.amount).where(
            *_live(team_id, week, reps),
            _ROWS.activity_key == closed_won_key,
            _ROWS.amount.is_not(None),
        )
        for week in sorted(set(weeks))
    ]
    query = branches[0] if len(branches) == 1 else union_all(*branches)
    return summed_deals(session.connection().execute(query))
