"""Outbox `drafted`: how many of a message's counted changes (`stale`, now a running count)
its content shows. Two clocks redrafting one digest at once each took back the changes they
had seen from one pending count, so both could take back the same ones and the older draft
could land last: the digest then showed an old total until the next change. With a running
count and `drafted`, a draft lands only if it saw more changes than the content shows.
Downgrading drops `drafted`: the older release then drafts each message ever changed once
more (it reads the running count as pending) and settles it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("drafted", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("drafted")
