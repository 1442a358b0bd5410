"""Activity API keys: made and revoked by a workspace's admins, found by the hash of the secret.

The secret is random (32 bytes), so one SHA-256 is as good as a slow password hash here: there
is nothing to guess. It is shown once, when it is made; Tally keeps only the hash and a prefix
to name it by in lists and revocations.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import ApiKey

SECRET_START = "tally_"
PREFIX_LENGTH = len(SECRET_START) + 6


def hash_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_key(
    session: Session, team_id: str, name: str, created_by: str, now: datetime, *, receipts: bool
) -> tuple[ApiKey, str]:
    """A new key of `team_id` and its secret, which exists nowhere else once shown."""
    secret = SECRET_START + secrets.token_urlsafe(32)
    key = ApiKey(
        team_id=team_id,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        secret_hash=hash_of(secret),
        receipts=receipts,
        created_by=created_by,
        created_at=now,
    )
    session.add(key)
    session.flush()
    return key, secret


def key_of_secret(session: Session, secret: str) -> ApiKey | None:
    """The key `secret` belongs to, revoked or not (the caller tells the two apart)."""
    return session.scalars(select(ApiKey).where(ApiKey.secret_hash == hash_of(secret))).first()


def keys_of(session: Session, team_id: str) -> list[ApiKey]:
    """The workspace's keys that still work, oldest first."""
    query = select(ApiKey).where(ApiKey.team_id == team_id, ApiKey.revoked_at.is_(None))
    return list(session.scalars(query.order_by(ApiKey.id)))


def revoke_key(session: Session, team_id: str, prefix: str, by: str, now: datetime) -> list[ApiKey]:
    """Revoke the working keys of `team_id` whose prefix starts with `prefix`: the one revoked,
    or, when it names several or none, those (nothing changed)."""
    named = [key for key in keys_of(session, team_id) if key.prefix.startswith(prefix)]
    if len(named) == 1:
        named[0].revoked_at, named[0].revoked_by = now, by
        session.flush()
    return named
