"""Alembic environment: runs on the connection storage.db.upgrade hands over.

The alembic CLI (root alembic.ini) has no connection to pass, so it builds one from
sqlalchemy.url through make_engine, which applies the same URL rewriting and pragmas, with the
waits of a migration (a request's 1.5 s statement timeout would cut one short).
"""

from alembic import context
from sqlalchemy import Connection

from storage.db import MIGRATION_WAITS, make_engine
from storage.models import Base

config = context.config


def run_offline() -> None:
    """Emit SQL for review (alembic upgrade head --sql) instead of touching a database."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url", ""), waits=MIGRATION_WAITS)
        with engine.begin() as connection:
            run_on(connection)
        engine.dispose()
    else:
        run_on(connection)


def run_on(connection: Connection) -> None:
    # SQLite cannot ALTER most things in place; batch mode recreates the table instead.
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
