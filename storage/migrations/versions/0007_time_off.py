"""Time off: the weekdays each rep is away, so a week's goal is pro-rated to the days worked and
no nudge goes out on a day off. Downgrading drops the days off with the table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "time_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("user_id", SLACK_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_time_off"),
        sa.UniqueConstraint("team_id", "user_id", "day", name="uq_time_off_team_id_user_id_day"),
    )
    op.create_index("ix_time_off_team_id_day", "time_off", ["team_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_time_off_team_id_day", table_name="time_off")
    op.drop_table("time_off")
