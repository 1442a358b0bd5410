"""Account plans and the outbox of messages Tally sends on its own.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = sa.String(64)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "account_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("owner_id", SLACK_ID, nullable=False),
        sa.Column("account", sa.String(200), nullable=False),
        sa.Column("account_key", sa.String(200), nullable=False),
        sa.Column("cadence_unit", sa.String(8), nullable=False),
        sa.Column("cadence_count", sa.Integer(), nullable=False),
        sa.Column("last_reviewed", sa.Date(), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("created_by", SLACK_ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_account_plans"),
        sa.UniqueConstraint(
            "team_id",
            "owner_id",
            "account_key",
            name="uq_account_plans_team_id_owner_id_account_key",
        ),
    )
    op.create_index("ix_account_plans_team_id_owner_id", "account_plans", ["team_id", "owner_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", SLACK_ID, nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("blocks", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", WHEN, nullable=False),
        sa.Column("lease_until", WHEN, nullable=True),
        sa.Column("channel_id", SLACK_ID, nullable=True),
        sa.Column("ts", sa.String(32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("needs_update", sa.Boolean(), nullable=False),
        sa.Column("editable_until", WHEN, nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("sent_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("team_id", "key", name="uq_outbox_team_id_key"),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_team_id_kind_period", "outbox", ["team_id", "kind", "period"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("account_plans")
