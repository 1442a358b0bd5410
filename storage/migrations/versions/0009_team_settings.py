"""Team settings changed from Slack (`/tally admin`) and their audit log (`/tally admin log`).
Downgrading drops both tables: every team falls back to TALLY_CONFIG's settings; points already
earned stay as they were logged.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "team_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("updated_by", SLACK_ID, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_team_settings"),
        sa.UniqueConstraint("team_id", name="uq_team_settings_team_id"),
    )
    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("user_id", SLACK_ID, nullable=False),
        sa.Column("what", sa.String(255), nullable=False),
        sa.Column("was", sa.Text(), nullable=False),
        sa.Column("now", sa.Text(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_settings_changes"),
    )
    op.create_index(
        "ix_settings_changes_team_id_changed_at", "settings_changes", ["team_id", "changed_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_settings_changes_team_id_changed_at", table_name="settings_changes")
    op.drop_table("settings_changes")
    op.drop_table("team_settings")
