"""Deal currencies, and team invitations a rep accepts before a manager sees their week.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLACK_ID = sa.String(64)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("currency", sa.String(3), nullable=True))
    # Every amount stored before currencies existed was typed in dollars.
    op.execute("UPDATE activities SET currency = 'USD' WHERE amount IS NOT NULL")
    op.create_table(
        "team_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", SLACK_ID, nullable=False),
        sa.Column("rep_id", SLACK_ID, nullable=False),
        sa.Column("manager_id", SLACK_ID, nullable=False),
        sa.Column("onboarding_start", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_team_invites"),
        sa.UniqueConstraint(
            "team_id", "rep_id", "manager_id", name="uq_team_invites_team_id_rep_id_manager_id"
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("team_invites")
    with op.batch_alter_table("activities") as batch:
        batch.drop_column("currency")
