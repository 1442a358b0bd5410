"""Schema creation and connection setup, on SQLite and PostgreSQL."""

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from storage.activities import record_activity
from storage.db import (
    BACKGROUND_WAITS,
    MIGRATIONS_DIR,
    Waits,
    database_trouble,
    is_ready,
    joined_write,
    make_engine,
    make_session_factory,
    upgrade,
)
from storage.digest_rows import rep_weeks
from storage.members import ensure_member
from storage.models import Activity, Base, Member
from tests.storage.builders import NOW, WEEK, new_activity, statements_sent

# Longer than a request may wait for a lock, short of what a migration waits.
HOLD_S = 4.0


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
        # A writer queued behind another gives up in time to tell Slack (3 s) so.
        assert 0 < connection.exec_driver_sql("PRAGMA busy_timeout").scalar() <= 2000
    engine.dispose()


def test_heroku_style_postgres_urls_use_psycopg() -> None:
    for url in ("postgres://u@db.example/tally", "postgresql://u@db.example/tally"):
        engine = make_engine(url)
        assert engine.dialect.driver == "psycopg"
        assert engine.url.database == "tally"


@contextmanager
def _locked_for_a_while(engine: Engine, table: str) -> Iterator[threading.Event]:
    """Another transaction holds `table` (SQLite: the write lock) for HOLD_S, or until set."""
    held, done = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.connect() as connection, connection.begin():
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            held.set()
            done.wait(HOLD_S)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait()
    try:
        yield done
    finally:
        done.set()
        holder.join()


def test_a_write_behind_a_held_lock_gives_up_and_says_why(engine: Engine) -> None:
    writer = make_engine(engine.url)  # a request's engine, in another process
    with (
        _locked_for_a_while(engine, "members"),
        pytest.raises(OperationalError) as raised,
        make_session_factory(writer).begin() as session,
    ):
        ensure_member(session, "T1", "U1", datetime.now(UTC))
    writer.dispose()

    assert database_trouble(raised.value) in (
        "database is locked",
        "canceling statement due to lock timeout",
        "canceling statement due to statement timeout",
    )
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM members")) == 0


def test_a_write_behind_a_writer_outside_tally_gives_up_at_begin_and_says_why(tmp_path) -> None:
    """The sqlite3 shell or a backup tool holds the write lock without Tally's writer line:
    BEGIN IMMEDIATE (sent on the driver) waits out busy_timeout, and the request is told why
    in SQLAlchemy's terms, as every other database error."""
    path = tmp_path / "tally.db"
    engine = make_engine(f"sqlite:///{path}", waits=Waits(lock_ms=200, statement_ms=None))
    upgrade(engine)
    outsider = sqlite3.connect(path, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError) as raised, make_session_factory(engine).begin() as s:
            ensure_member(s, "T1", "U1", datetime.now(UTC))
    finally:
        outsider.execute("ROLLBACK")
        outsider.close()
    assert database_trouble(raised.value) == "database is locked"
    with make_session_factory(engine).begin() as session:  # the line was left: writes go on
        ensure_member(session, "T1", "U1", datetime.now(UTC))
    engine.dispose()


def test_a_migration_waits_behind_a_lock_longer_than_a_request_would(engine: Engine) -> None:
    with _locked_for_a_while(engine, "alembic_version"):
        upgrade(engine)

    with engine.connect() as connection:
        head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == head


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_friday_chunk_is_read_without_compiling_it_first(engine: Engine) -> None:
    """Past PostgreSQL's jit_above_cost (a chunk's statement at some 50,000 reps) its JIT
    spent 33 ms compiling each chunk's read, which then ran in 90: Fridays grew faster than
    the workspace. Here every statement is past it."""
    clock_engine = make_engine(engine.url, waits=BACKGROUND_WAITS)  # what `tally clock` opens
    with make_session_factory(clock_engine).begin() as session:
        ensure_member(session, "T1", "U_ANA", NOW).manager_id = "U_MGR"
        record_activity(session, new_activity(), NOW)
    with make_session_factory(clock_engine, read_only=True)() as session:
        connection = session.connection()
        connection.exec_driver_sql("SET jit_above_cost = 0")
        with statements_sent(clock_engine) as sent:
            found = rep_weeks(session, "T1", {"U_MGR"}, {WEEK: ["2026-W47", "2026-W46"]})
        statement, params = next((s, p) for s, p in sent if "chunk_reps" in s)
        explain = f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}"
        plan = connection.exec_driver_sql(explain, params).scalar()
    clock_engine.dispose()

    assert found.rows == {("U_ANA", WEEK): [("demo", 1, 50)]}
    assert "JIT" not in plan[0], plan[0].get("JIT")


@pytest.mark.parametrize("flushed", [False, True], ids=["orm-pending", "orm-flushed"])
def test_a_joined_write_keeps_all_of_its_work_or_none_of_it(engine: Engine, flushed: bool) -> None:
    """/log's transaction: statements on the driver and the ORM's work in one commit; a failure
    after the ORM has written (a cheer queued) undoes the entry too."""
    sessions = make_session_factory(engine)

    def counts() -> tuple[int, int]:
        with engine.connect() as connection:
            entries = connection.scalar(text("SELECT count(*) FROM activities"))
            return entries, connection.scalar(text("SELECT count(*) FROM members"))

    with pytest.raises(RuntimeError), joined_write(sessions) as session:
        record_activity(session, new_activity(), NOW)
        session.add(Member(team_id="T1", user_id="U1", created_at=NOW))
        if flushed:
            session.flush()
        raise RuntimeError("the receipt could not be drawn")
    assert counts() == (0, 0)
    with joined_write(sessions) as session:
        record_activity(session, new_activity(), NOW)
        session.add(Member(team_id="T1", user_id="U1", created_at=NOW))  # flushed at the end
    assert counts() == (1, 1)


def test_more_request_threads_than_pooled_connections_all_write_without_waiting(
    engine: Engine,
) -> None:
    """24 threads, more than a default pool holds (15), each log and then read while the
    others wait or read: the writer SQLite's threads share holds one connection of the pool."""
    sessions = make_session_factory(engine)
    all_in = threading.Barrier(24, timeout=20)

    def log_then_read(n: int) -> int:
        with joined_write(sessions) as session:
            record_activity(session, new_activity(idempotency_key=f"k{n}"), NOW)
        all_in.wait()  # every thread now keeps (or has returned) its write connection
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(Activity)) or 0

    with ThreadPoolExecutor(24) as pool:
        seen = list(pool.map(log_then_read, range(24), timeout=60))
    assert seen == [24] * 24


def test_a_write_after_the_engine_is_disposed_lands(engine: Engine) -> None:
    """gunicorn's workers dispose the pool they inherit (post_fork); the shared writer's
    connection goes with it and the next /log writes through a new one."""
    sessions = make_session_factory(engine)
    with joined_write(sessions) as session:
        record_activity(session, new_activity(idempotency_key="before"), NOW)
    engine.dispose()
    with joined_write(sessions) as session:
        record_activity(session, new_activity(idempotency_key="after"), NOW)
    with sessions() as session:
        keys = set(session.scalars(select(Activity.idempotency_key)))
    assert keys == {"before", "after"}
