"""Board visibility: a rep may leave the public boards (`members.on_boards`) while their manager
still sees them. Downgrading drops the column: everyone is on the boards again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("on_boards", sa.Boolean(), server_default=sa.true(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("on_boards")
