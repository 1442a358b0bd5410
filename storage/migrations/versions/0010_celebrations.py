"""Celebrations: a rep may leave them (`members.celebrate`), and a posted one can be taken back
when its entry is undone (`outbox.retracted_at`: the deliverer deletes it, then marks it
withdrawn). Downgrading drops both: everyone is celebrated again and a withdrawal still waiting
is forgotten, so that celebration stays in its channel.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("celebrate", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("retracted_at")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("celebrate")
