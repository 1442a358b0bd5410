"""`org_workspaces`: which Enterprise Grid org each workspace of an org-wide install belongs to,
so the clock and operator commands find the org's bot token for a workspace's rows.
Downgrading drops it: org-wide installs then serve incoming requests only.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_workspaces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(64), nullable=False),
        sa.Column("enterprise_id", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_org_workspaces"),
        sa.UniqueConstraint("team_id", name="uq_org_workspaces_team_id"),
    )
    op.create_index("ix_org_workspaces_enterprise_id", "org_workspaces", ["enterprise_id"])


def downgrade() -> None:
    op.drop_index("ix_org_workspaces_enterprise_id", table_name="org_workspaces")
    op.drop_table("org_workspaces")
