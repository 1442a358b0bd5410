"""`members.home_opened_at`: when the person last opened Tally's App Home. Only people who have
a Home get it refreshed after each log, undo or review, so a `/log` by someone who never opened
the tab costs no views.publish. Downgrading drops it: Homes refresh only when opened.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("home_opened_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("home_opened_at")
