"""Schema creation and connection setup, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage.db import MIGRATIONS_DIR, is_ready, make_engine, upgrade
from storage.models import Base


def test_upgrade_creates_the_schema_and_can_run_again(engine: Engine) -> None:
    upgrade(engine)  # the fixture already ran it once: a restart must not fail

    inspector = inspect(engine)
    assert {"members", "activities"} <= set(inspector.get_table_names())
    with engine.connect() as connection:
        head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head
        assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert drift == []


def test_is_ready_answers_for_a_live_database(engine: Engine) -> None:
    assert is_ready(engine)


def test_is_ready_is_false_when_the_database_cannot_be_opened(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'tally.db'}")
    assert not is_ready(engine)


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'tally.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_heroku_style_postgres_urls_use_psycopg() -> None:
    for url in ("postgres://u@db.example/tally", "postgresql://u@db.example/tally"):
        engine = make_engine(url)
        assert engine.dialect.driver == "psycopg"
        assert engine.url.database == "tally"
