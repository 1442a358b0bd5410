"""What an export reads: whose rows, their managers, their weeks' entries, deal amounts and days
off, in five queries however many people and weeks it covers."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from scoring.deal_amounts import DEFAULT_CURRENCY
from scoring.weeks import parse_iso_week
from storage.activities import COUNTS, rows_by_user_and_week
from storage.members import get_member, team_of
from storage.models import Activity, Member
from storage.time_off import DaysOff, days_off_between

# Past this many people, the team-wide (team_id, week) index beats a long IN list (and stays
# under PostgreSQL's 65k parameters); people not asked for are then simply not looked up.
IN_LIST_LIMIT = 1000


@dataclass(frozen=True)
class SheetData:
    members: list[Member]  # the rows' people, alphabetical
    managers: dict[str, Member]  # their managers, by user id
    rows: dict[tuple[str, str], list[tuple[str, int, int]]]  # (user, week) -> key, count, points
    amounts: dict[tuple[str, str], dict[str, Decimal]]  # (user, week) -> currency -> total
    days_off: DaysOff = field(default_factory=dict)  # user -> days off in the weeks


def everyone_in(session: Session, team_id: str, weeks: Collection[str]) -> list[Member]:
    """Reps on a team, and anyone else who logged something in `weeks`: bystanders who only
    looked at a board are no rows, a rep with a quiet week is a row of zeros."""
    logged = select(Activity.user_id).where(
        Activity.team_id == team_id,
        Activity.week.in_(list(weeks)),
        *COUNTS,
    )
    query = select(Member).where(
        Member.team_id == team_id,
        or_(Member.manager_id.is_not(None), Member.user_id.in_(logged)),
    )
    return list(
        session.scalars(
            query.order_by(func.lower(Member.display_name), Member.display_name, Member.user_id)
        )
    )


def members_for(
    session: Session,
    team_id: str,
    weeks: Collection[str],
    *,
    manager_id: str | None = None,
    user_id: str | None = None,
) -> list[Member]:
    """A manager's reps, one person, or (neither given) everyone in the workspace."""
    if manager_id is not None:
        return team_of(session, team_id, manager_id)
    if user_id is not None:
        member = get_member(session, team_id, user_id)
        return [member] if member is not None else []
    return everyone_in(session, team_id, weeks)


def sheet_data(
    session: Session,
    team_id: str,
    weeks: Sequence[str],
    members: Sequence[Member],
    closed_won_key: str,
) -> SheetData:
    """Entries, amounts and days off for `members` in `weeks`; amounts are summed here, in
    Decimal, so cents stay exact on SQLite too."""
    if not members:
        return SheetData([], {}, {}, {}, {})
    user_ids = [m.user_id for m in members]
    manager_ids = {m.manager_id for m in members if m.manager_id}
    managers = (
        {
            m.user_id: m
            for m in session.scalars(
                select(Member).where(
                    Member.team_id == team_id, Member.user_id.in_(list(manager_ids))
                )
            )
        }
        if manager_ids
        else {}
    )
    scoped = user_ids if len(user_ids) <= IN_LIST_LIMIT else None
    rows = rows_by_user_and_week(session, team_id, weeks, scoped)
    deals = deal_amounts(session, team_id, weeks, scoped, closed_won_key)
    amounts = {
        rep_week: {code: total for code, (_, total) in by_code.items()}
        for rep_week, by_code in deals.items()
    }
    first, last = min(weeks), max(weeks)
    away = days_off_between(
        session, team_id, parse_iso_week(first), parse_iso_week(last) + timedelta(days=4), scoped
    )
    return SheetData(list(members), managers, rows, amounts, away)


Deals = dict[tuple[str, str], dict[str, tuple[int, Decimal]]]  # (user, week) -> code -> n, sum


def deal_amounts(
    session: Session,
    team_id: str,
    weeks: Collection[str],
    user_ids: Collection[str] | None,
    closed_won_key: str,
) -> Deals:
    """Deals that carry an amount, counted and summed per currency in Decimal (exact cents on
    SQLite too); `user_ids` None: everyone in the team."""
    query = select(Activity.user_id, Activity.week, Activity.currency, Activity.amount).where(
        Activity.team_id == team_id,
        Activity.week.in_(list(weeks)),
        Activity.activity_key == closed_won_key,
        Activity.amount.is_not(None),
        *COUNTS,
    )
    if user_ids is not None:
        query = query.where(Activity.user_id.in_(list(user_ids)))
    return summed_deals(session.execute(query))


def summed_deals(rows: Iterable[tuple[str, str, str | None, Decimal]]) -> Deals:
    """(user, week, currency, amount) rows counted and summed per currency, in Decimal."""
    deals: Deals = {}
    for rep_id, week, currency, amount in rows:
        by_code = deals.setdefault((rep_id, week), {})
        code = currency or DEFAULT_CURRENCY
        count, total = by_code.get(code, (0, Decimal(0)))
        by_code[code] = (count + 1, total + amount)
    return deals


def has_logged(session: Session, team_id: str, user_id: str) -> bool:
    """Whether the person ever logged an entry still live: a rep without a team yet."""
    query = select(Activity.id).where(
        Activity.team_id == team_id,
        Activity.user_id == user_id,
        *COUNTS,
    )
    return session.scalar(query.limit(1)) is not None


def workspaces(session: Session) -> list[str]:
    """Every Slack team Tally knows someone in, for an export of everyone."""
    return list(session.scalars(select(Member.team_id).distinct().order_by(Member.team_id)))


def managers_called(session: Session, who: str) -> list[Member]:
    """Managers (of at least one rep) whose user id or stored display name is `who`, any case."""
    rep = aliased(Member)
    has_reps = (
        select(rep.id)
        .where(rep.team_id == Member.team_id, rep.manager_id == Member.user_id)
        .exists()
    )
    named = or_(Member.user_id == who.upper(), func.lower(Member.display_name) == who.lower())
    query = select(Member).where(named, has_reps).order_by(Member.team_id, Member.user_id)
    return list(session.scalars(query))
