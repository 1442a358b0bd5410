"""Account plans: one per owner and account, found by name, reviewed, snoozed and removed.

Every function flushes and leaves committing to the caller's transaction.
"""

from collections.abc import Iterable
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.plans import Cadence, account_key
from storage.insert_once import insert_once
from storage.models import AccountPlan


class HasCadence(Protocol):
    """A plan as stored, or as a digest reads it (`storage.digest_rows.PlanRow`)."""

    @property
    def cadence_unit(self) -> str: ...

    @property
    def cadence_count(self) -> int: ...


def cadence_of(plan: HasCadence) -> Cadence:
    return Cadence(plan.cadence_unit, plan.cadence_count)  # type: ignore[arg-type]


def add_plan(
    session: Session,
    team_id: str,
    owner_id: str,
    account: str,
    cadence: Cadence,
    last_reviewed: date,
    created_by: str,
    now: datetime,
) -> tuple[AccountPlan, bool]:
    """Create the plan, or return the owner's existing one for that account and False.

    "acme corp" and "Acme  Corp" are the same account; a concurrent add of it loses quietly.
    """
    key = account_key(account)
    plan = AccountPlan(
        team_id=team_id,
        owner_id=owner_id,
        account=" ".join(account.split()),
        account_key=key,
        cadence_unit=cadence.unit,
        cadence_count=cadence.count,
        last_reviewed=last_reviewed,
        snoozed_until=None,
        created_by=created_by,
        created_at=now,
    )
    return insert_once(session, plan, lambda: _by_key(session, team_id, owner_id, key))


def get_plan(session: Session, team_id: str, owner_id: str, plan_id: int) -> AccountPlan | None:
    """The plan only when it is this owner's in this team: an id alone proves nothing."""
    return session.scalars(
        select(AccountPlan).where(
            AccountPlan.id == plan_id,
            AccountPlan.team_id == team_id,
            AccountPlan.owner_id == owner_id,
        )
    ).one_or_none()


def plans_of(session: Session, team_id: str, owner_id: str) -> list[AccountPlan]:
    """The owner's plans, alphabetical by account."""
    return _sorted(
        session.scalars(
            select(AccountPlan).where(
                AccountPlan.team_id == team_id, AccountPlan.owner_id == owner_id
            )
        )
    )


def find_plans(session: Session, team_id: str, owner_id: str, text: str) -> list[AccountPlan]:
    """The plan named `text` (any case) if there is one, else every plan whose name starts so.

    One result is the plan meant; several are the candidates to offer; none means no match.
    """
    key = account_key(text)
    if not key:
        return []
    exact = _by_key(session, team_id, owner_id, key)
    if exact is not None:
        return [exact]
    return _sorted(
        session.scalars(
            select(AccountPlan).where(
                AccountPlan.team_id == team_id,
                AccountPlan.owner_id == owner_id,
                AccountPlan.account_key.startswith(key, autoescape=True),
            )
        )
    )


def mark_reviewed(
    session: Session, team_id: str, owner_id: str, plan_id: int, day: date
) -> AccountPlan | None:
    """Record a review on `day` and end any snooze; None unless the plan is the owner's."""
    plan = get_plan(session, team_id, owner_id, plan_id)
    if plan is not None:
        plan.last_reviewed = day
        plan.snoozed_until = None
        session.flush()
    return plan


def snooze(
    session: Session, team_id: str, owner_id: str, plan_id: int, until: date
) -> AccountPlan | None:
    """Keep the plan out of reminders before `until`; None unless the plan is the owner's."""
    plan = get_plan(session, team_id, owner_id, plan_id)
    if plan is not None:
        plan.snoozed_until = until
        session.flush()
    return plan


def remove_plan(session: Session, team_id: str, owner_id: str, plan_id: int) -> AccountPlan | None:
    """Delete the owner's plan and return what it was; None if it isn't theirs or is gone."""
    plan = get_plan(session, team_id, owner_id, plan_id)
    if plan is not None:
        session.delete(plan)
        session.flush()
    return plan


def owners_with_plans(session: Session, team_id: str | None = None) -> list[tuple[str, str]]:
    """(team_id, owner_id) of everyone with at least one plan, in one team or all of them."""
    query = select(AccountPlan.team_id, AccountPlan.owner_id).distinct()
    if team_id is not None:
        query = query.where(AccountPlan.team_id == team_id)
    return sorted((team, owner) for team, owner in session.execute(query))


def all_plans(session: Session, team_id: str | None = None) -> list[AccountPlan]:
    """Every plan, in one team or all, by team, owner and account: one query for reminders."""
    query = select(AccountPlan)
    if team_id is not None:
        query = query.where(AccountPlan.team_id == team_id)
    return _sorted(session.scalars(query))


def _sorted(plans: Iterable[AccountPlan]) -> list[AccountPlan]:
    """Sorted here, not in SQL: PostgreSQL collations and SQLite order spaces differently."""
    return sorted(plans, key=lambda p: (p.team_id, p.owner_id, p.account_key, p.id))


def _by_key(session: Session, team_id: str, owner_id: str, key: str) -> AccountPlan | None:
    return session.scalars(
        select(AccountPlan).where(
            AccountPlan.team_id == team_id,
            AccountPlan.owner_id == owner_id,
            AccountPlan.account_key == key,
        )
    ).one_or_none()
