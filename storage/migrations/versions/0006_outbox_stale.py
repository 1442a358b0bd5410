"""Outbox `stale`: how many changes a queued or sent message's content has not caught up with.

An entry logged or undone after a digest was drafted counts one on that digest in the entry's
own transaction; the clock drafts it again and takes back what it saw. Before, a web process
re-drafted it after the reply, and a process that died or hit a busy database then left the
digest wrong for good. Downgrading drops the counts: the older release never re-drafts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("stale", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("stale")
