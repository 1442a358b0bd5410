"""Members: who someone is, which zone their week runs in, and who manages them."""

from collections.abc import Collection
from datetime import date, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from storage.insert_once import insert_once
from storage.models import Member


def get_member(session: Session, team_id: str, user_id: str) -> Member | None:
    return session.scalars(
        select(Member).where(Member.team_id == team_id, Member.user_id == user_id)
    ).one_or_none()


def ensure_member(session: Session, team_id: str, user_id: str, now: datetime) -> Member:
    """Get or create; two first requests from one person can arrive at once."""
    member, _created = insert_once(
        session,
        Member(team_id=team_id, user_id=user_id, created_at=now),
        lambda: get_member(session, team_id, user_id),
    )
    return member


def save_profile(
    session: Session,
    team_id: str,
    user_id: str,
    *,
    display_name: str,
    tz: str,
    is_workspace_admin: bool,
    now: datetime,
) -> Member:
    """Store what Slack's users.info said, and when, so callers know when to ask again."""
    member = ensure_member(session, team_id, user_id, now)
    member.display_name = display_name
    member.tz = tz
    member.is_workspace_admin = is_workspace_admin
    member.tz_checked_at = now
    session.flush()
    return member


def set_manager(
    session: Session,
    team_id: str,
    rep_id: str,
    manager_id: str,
    onboarding_start: date | None,
    now: datetime,
) -> Member:
    """Put a rep on a manager's team; None keeps the rep's existing onboarding start."""
    manager = ensure_member(session, team_id, manager_id, now)
    rep = ensure_member(session, team_id, rep_id, now)
    manager.role = "manager"
    rep.manager_id = manager_id
    if onboarding_start is not None:
        rep.onboarding_start = onboarding_start
    session.flush()
    return rep


def remove_from_team(session: Session, team_id: str, rep_id: str, manager_id: str) -> bool:
    """Only the rep's own manager can let them go; anyone else gets False."""
    rep = get_member(session, team_id, rep_id)
    if rep is None or rep.manager_id != manager_id:
        return False
    rep.manager_id = None
    session.flush()
    return True


def team_of(session: Session, team_id: str, manager_id: str) -> list[Member]:
    """The manager's reps, alphabetical regardless of case so both databases agree."""
    return list(
        session.scalars(
            select(Member)
            .where(Member.team_id == team_id, Member.manager_id == manager_id)
            .order_by(func.lower(Member.display_name), Member.display_name, Member.user_id)
        )
    )


def managers(session: Session) -> list[Member]:
    """Everyone who manages at least one rep, across teams: the digest's recipients."""
    rep = aliased(Member)
    has_reps = (
        select(rep.id)
        .where(rep.team_id == Member.team_id, rep.manager_id == Member.user_id)
        .exists()
    )
    return list(session.scalars(select(Member).where(has_reps).order_by(Member.id)))


def reps_of_managers(session: Session, team_id: str, manager_ids: Collection[str]) -> list[Member]:
    """Several managers' reps in one query on (team_id, manager_id), ordered as `team_of`."""
    query = select(Member).where(
        Member.team_id == team_id, Member.manager_id.in_(list(manager_ids))
    )
    return list(
        session.scalars(
            query.order_by(func.lower(Member.display_name), Member.display_name, Member.user_id)
        )
    )


def onboarding_reps(session: Session) -> list[Member]:
    """Reps with an onboarding start who still accept nudges, across teams."""
    query = select(Member).where(
        Member.onboarding_start.is_not(None), Member.nudges_enabled.is_(True)
    )
    return list(session.scalars(query.order_by(Member.id)))


def manages_anyone(session: Session, team_id: str, user_id: str) -> bool:
    """Whether the user has at least one rep: whose team `/tally board team` means."""
    query = select(Member.id).where(Member.team_id == team_id, Member.manager_id == user_id)
    return session.scalar(query.limit(1)) is not None


def members_among(session: Session, team_id: str, user_ids: Collection[str]) -> dict[str, Member]:
    """The members of a short list (a board's 25), by user id; people with no row are absent."""
    if not user_ids:
        return {}
    query = select(Member).where(Member.team_id == team_id, Member.user_id.in_(list(user_ids)))
    return {member.user_id: member for member in session.scalars(query)}


# What a rep turns on and off themselves.
Switch = Literal["nudges_enabled", "celebrate", "on_boards"]


def set_switch(
    session: Session, team_id: str, user_id: str, switch: Switch, enabled: bool, now: datetime
) -> None:
    setattr(ensure_member(session, team_id, user_id, now), switch, enabled)
    session.flush()


def home_opened(session: Session, team_id: str, user_id: str, now: datetime) -> None:
    ensure_member(session, team_id, user_id, now).home_opened_at = now
    session.flush()


def set_nudges(session: Session, team_id: str, user_id: str, enabled: bool, now: datetime) -> None:
    set_switch(session, team_id, user_id, "nudges_enabled", enabled, now)


def managers_above(session: Session, team_id: str, user_id: str) -> list[str]:
    """The user's manager, their manager, and so on up: none of them may become the user's rep.

    Stops at a repeat, so a chain that already loops (from before cycles were refused) ends.
    """
    chain: list[str] = []
    current: str | None = user_id
    while current is not None:
        current = session.scalar(
            select(Member.manager_id).where(Member.team_id == team_id, Member.user_id == current)
        )
        if current is None or current in chain or current == user_id:
            break
        chain.append(current)
    return chain


def workspace_admins(session: Session, team_id: str) -> list[str]:
    """Members Slack last said are workspace admins, by user id."""
    query = select(Member.user_id).where(
        Member.team_id == team_id, Member.is_workspace_admin.is_(True)
    )
    return list(session.scalars(query.order_by(Member.user_id)))
