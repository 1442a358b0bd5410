"""Activity `status` and its review: an entry of an activity that needs approval waits as
pending, and counts only once its rep's manager (or an admin) approves it.

Every entry stored before counts, as it always has. Downgrading drops the review columns and
keeps every row: the older release counts pending and rejected entries too, so settle or undo
them first (`SELECT … WHERE status <> 'counted'` finds them).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(
            sa.Column("status", sa.String(8), server_default="counted", nullable=False)
        )
        batch.add_column(sa.Column("reviewed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("review_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        for column in ("review_reason", "reviewed_at", "reviewed_by", "status"):
            batch.drop_column(column)
