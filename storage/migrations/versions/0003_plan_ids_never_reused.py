"""Account plan ids are never reused on SQLite, so old reminder buttons can't hit a newer plan.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL sequences never hand out an id twice
    with op.batch_alter_table(
        "account_plans",
        recreate="always",
        table_kwargs={"sqlite_autoincrement": autoincrement},
    ) as batch:
        if not autoincrement:
            # An AUTOINCREMENT key is written inline, without its name: give the name back.
            batch.create_primary_key("pk_account_plans", ["id"])


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
