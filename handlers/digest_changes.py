"""What makes a manager's digest out of date, counted in the transaction that changes it.

Apart from `handlers.digest` so that every surface that changes entries or plans can say so
without importing the digest's rendering (which itself reads plans).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from scoring.weeks import iso_week_label, local_date
from storage.models import Member
from storage.outbox import count_change

KIND = "digest"


def digest_key(manager_id: str, week: str) -> str:
    return f"{KIND}:{manager_id}:{week}"


def digest_changed(session: Session, rep: Member, week: str, now: datetime) -> None:
    """`rep`'s entries of `week` changed: their manager's digest for it, queued or posted, is
    due a new draft. The clock drafts it (`handlers.digest.redraft_changed`), so it never
    keeps an old total, even when this process dies right after its reply."""
    if rep.manager_id is not None:
        count_change(session, rep.team_id, digest_key(rep.manager_id, week), now)


def plans_changed(session: Session, owner: Member, now: datetime) -> None:
    """`owner`'s account plans changed: the overdue list of their manager's digest. Last
    week's counts too: it stays editable until Monday noon."""
    today = local_date(now, owner.tz)
    for day in (today, today - timedelta(days=7)):
        digest_changed(session, owner, iso_week_label(day), now)
