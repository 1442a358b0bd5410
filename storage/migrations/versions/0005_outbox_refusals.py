"""Outbox refusals: a message the recipient's side refuses for good is abandoned, not retried
every 6 hours forever.

`refusals` counts permanent refusals since the message last reached Slack; a status of
"abandoned" takes a row out of every claim until an operator retries it. A row that failed
with a refusal before this revision counts one (its earlier refusals were not recorded).
Downgrading turns abandoned rows back into what the older release retries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("refusals", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        "UPDATE outbox SET refusals = 1 "
        "WHERE status IN ('failed', 'sent') AND last_error LIKE 'Slack refused it:%'"
    )


def downgrade() -> None:
    # The older release knows no "abandoned": a posted message keeps its pending edit, the rest
    # go back to "failed", which it retries.
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'abandoned' AND ts IS NOT NULL")
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'abandoned'")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("refusals")
