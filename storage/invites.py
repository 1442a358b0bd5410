"""Team invitations: a manager asks, the rep answers; one row per (team, rep, manager).

Every function flushes and leaves committing to the caller's transaction.
"""

from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.insert_once import insert_once
from storage.models import TeamInvite

PENDING, ACCEPTED, DECLINED, WITHDRAWN = "pending", "accepted", "declined", "withdrawn"


def ask_to_join(
    session: Session,
    team_id: str,
    rep_id: str,
    manager_id: str,
    onboarding_start: date | None,
    now: datetime,
) -> tuple[TeamInvite, bool]:
    """Open the manager's invitation, or reopen an answered one; False if it was pending already.

    Asking again while it is pending only updates the onboarding start, when one is given.
    """
    invite, created = insert_once(
        session,
        TeamInvite(
            team_id=team_id,
            rep_id=rep_id,
            manager_id=manager_id,
            onboarding_start=onboarding_start,
            status=PENDING,
            created_at=now,
        ),
        lambda: _between(session, team_id, rep_id, manager_id),
    )
    if created:
        return invite, True
    if invite.status == PENDING:
        if onboarding_start is not None:
            invite.onboarding_start = onboarding_start
        session.flush()
        return invite, False
    invite.status, invite.answered_at = PENDING, None
    invite.onboarding_start, invite.created_at = onboarding_start, now
    session.flush()
    return invite, True


def invite_for_rep(
    session: Session, team_id: str, invite_id: int, rep_id: str
) -> TeamInvite | None:
    """The invitation only when it was sent to this rep in this team; anyone else gets None."""
    return session.scalars(
        select(TeamInvite).where(
            TeamInvite.id == invite_id,
            TeamInvite.team_id == team_id,
            TeamInvite.rep_id == rep_id,
        )
    ).one_or_none()


def settle(session: Session, invite: TeamInvite, status: str, now: datetime) -> bool:
    """Move a pending invitation to `status`; False when a concurrent answer got there first."""
    result = session.execute(
        update(TeamInvite)
        .where(TeamInvite.id == invite.id, TeamInvite.status == PENDING)
        .values(status=status, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(invite)
    return result.rowcount == 1  # type: ignore[attr-defined]


def withdraw(session: Session, team_id: str, rep_id: str, manager_id: str, now: datetime) -> bool:
    """Withdraw the manager's pending invitation to the rep; False if none was pending."""
    invite = _between(session, team_id, rep_id, manager_id)
    return invite is not None and settle(session, invite, WITHDRAWN, now)


def _between(session: Session, team_id: str, rep_id: str, manager_id: str) -> TeamInvite | None:
    return session.scalars(
        select(TeamInvite).where(
            TeamInvite.team_id == team_id,
            TeamInvite.rep_id == rep_id,
            TeamInvite.manager_id == manager_id,
        )
    ).one_or_none()
