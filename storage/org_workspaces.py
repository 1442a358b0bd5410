"""Which Enterprise Grid org a workspace belongs to, so that an org-wide install's one bot
token serves each of its workspaces' rows (a row carries only the workspace's `team_id`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.insert_once import insert_once
from storage.models import OrgWorkspace


def remember_org(session: Session, team_id: str, enterprise_id: str, now: datetime) -> None:
    """`team_id` is a workspace of `enterprise_id` (as a request from it said)."""

    def find() -> OrgWorkspace | None:
        query = select(OrgWorkspace).where(OrgWorkspace.team_id == team_id)
        return session.scalars(query).one_or_none()

    row = OrgWorkspace(team_id=team_id, enterprise_id=enterprise_id, seen_at=now)
    stored, created = insert_once(session, row, find)
    if not created and stored.enterprise_id != enterprise_id:  # moved to another org
        stored.enterprise_id, stored.seen_at = enterprise_id, now


def workspaces_of_org(session: Session, enterprise_id: str) -> list[str]:
    query = select(OrgWorkspace.team_id).where(OrgWorkspace.enterprise_id == enterprise_id)
    return list(session.scalars(query.order_by(OrgWorkspace.team_id)))
