"""Members and activities.

Revision ID: 0001
Revises:
Create Date: 2025-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("user_id", SLACK_ID, nullable=False),
        sa.Column("display_name", sa.String(255), nullable=False),
        sa.Column("tz", sa.String(64), nullable=False),
        sa.Column("tz_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_workspace_admin", sa.Boolean(), nullable=False),
        sa.Column("manager_id", SLACK_ID, nullable=True),
        sa.Column("onboarding_start", sa.Date(), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("nudges_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_members"),
        sa.UniqueConstraint("team_id", "user_id", name="uq_members_team_id_user_id"),
    )
    op.create_index("ix_members_team_id_manager_id", "members", ["team_id", "manager_id"])

    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("user_id", SLACK_ID, nullable=False),
        sa.Column("activity_key", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("logged_by", SLACK_ID, nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
        sa.UniqueConstraint(
            "team_id", "idempotency_key", name="uq_activities_team_id_idempotency_key"
        ),
    )
    op.create_index(
        "ix_activities_team_id_week_user_id", "activities", ["team_id", "week", "user_id"]
    )
    op.create_index(
        "ix_activities_team_id_user_id_created_at",
        "activities",
        ["team_id", "user_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("activities")
    op.drop_table("members")
