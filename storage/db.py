"""Engines, sessions and schema upgrades: the one place that knows which database we run on."""

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool

from storage.prebuilt import on_driver
from storage.sqlite_writers import LinedConnection, WriterLine, lined

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@dataclass(frozen=True)
class Waits:
    """How long one statement may wait for a lock (SQLite: for the write lock) and run.

    None runs a statement as long as it takes (PostgreSQL; SQLite statements don't time out).
    """

    lock_ms: int
    statement_ms: int | None


# Slack drops an answer after 3 s: a request gives up waiting at 1.5 s, in time to say so.
REQUEST_WAITS = Waits(lock_ms=1500, statement_ms=1500)
# The clock and operator commands answer no one within seconds: a busy SQLite writer or a long
# digest query is waited out rather than failing a tick halfway through a batch it claimed.
BACKGROUND_WAITS = Waits(lock_ms=15_000, statement_ms=120_000)
# Migrations may queue behind a busy process or rewrite a big table; nobody waits on a reply.
MIGRATION_WAITS = Waits(lock_ms=60_000, statement_ms=None)
# libpq's (and psycopg's) least timeout for a connection attempt: a host that never answers.
CONNECT_TIMEOUT_S = 2


class DatabaseUnavailable(Exception):
    """The database could not be reached or opened: a one-line message, never a traceback."""


def make_engine(url: str | URL, *, waits: Waits = REQUEST_WAITS) -> Engine:
    """Build the process-wide engine: concurrent requests queue for locks, never past `waits`."""
    parsed = _with_psycopg(make_url(url))
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        on_disk = path not in ("", ":memory:") and not path.startswith("file:")
        # No cap on connections (a file has no server to spare): the shared writer keeps one
        # (`joined_write`), and a cap would leave reads waiting.
        options = {"max_overflow": -1} if on_disk else {}
        line = WriterLine(path, waits.lock_ms / 1000) if on_disk else None
        engine = create_engine(parsed, connect_args=lined(line) if line else {}, **options)
        _configure_sqlite(engine, waits)
        if line is not None:
            vars(engine)[_SHARED] = _SharedWriter(line)
        return engine
    # No pool_pre_ping: it cost a round trip per checkout (about 2.5 ms of a 13 ms /log). A
    # connection the server dropped fails one transaction, which rolls back whole, and SQLAlchemy
    # then discards the pool; pool_recycle retires connections before server-side idle limits.
    # The timeouts travel in the startup packet: no extra round trip per connection. JIT is
    # off: past jit_above_cost (a Friday chunk's statement once a workspace has some 50,000
    # reps) PostgreSQL spent ~33 ms compiling each statement that then ran in ~90 ms.
    settings = {
        "lock_timeout": waits.lock_ms,
        "statement_timeout": waits.statement_ms or 0,
        "jit": "off",
    }
    options = " ".join(f"-c {name}={value}" for name, value in settings.items())
    return create_engine(
        parsed,
        pool_recycle=1800,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "options": options},
    )


def open_database(url: str, *, waits: Waits = REQUEST_WAITS) -> Engine:
    """The engine of a process that needs its database now, migrated to the newest schema.

    Raises DatabaseUnavailable, naming where and why, when it can't be reached or opened.
    """
    engine = make_engine(url, waits=waits)
    try:
        upgrade(engine)
    except OperationalError as error:
        engine.dispose()
        raise DatabaseUnavailable(_cannot_reach(engine.url, error)) from None
    return engine


def database_trouble(error: BaseException) -> str | None:
    """Why the database failed us, in words, when it was unreachable or too busy to answer in
    time (nothing was done: a retry may succeed); None for any other error."""
    if not isinstance(error, OperationalError):
        return None
    lines = str(error.orig).strip().splitlines()
    cause = _LIBPQ_PREFIXES.sub("", lines[0]).strip() if lines else ""
    return (cause[:1].lower() + cause[1:]) if cause else type(error.orig).__name__


READ_ONLY = "tally_read_only"


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions whose objects stay readable after commit, for rendering replies.

    Read-only sessions don't take SQLite's write lock, so reads never queue behind writers.
    """
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def joined_write(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A write transaction for a request's hot path (`/log`): a session joined to a connection's
    transaction, committed with it. Why: the ORM session's own transaction bookkeeping costs
    ~35 µs per transaction (`sessions.begin()` with one statement: 83 µs on SQLite, the
    connection's: 48); joined, a session that only runs `storage.prebuilt` statements never
    starts one, and one that does ORM work (a cheer queued, an approval asked) works as ever,
    flushed before the commit, and is closed after it. On SQLite the connection and its session
    are the process's one writer (`_SharedWriter`), used by one thread at a time: the line is
    taken first and left last, and the transaction is begun and ended on the driver
    (SQLAlchemy's begin and commit of a connection: ~25 µs), the ORM joining it if it works."""
    engine = _engine_of_factory(sessions)
    shared: _SharedWriter | None = vars(engine).get(_SHARED)
    if shared is None:
        with engine.begin() as begun, sessions(bind=begun) as session:
            yield session
            session.flush()
        return
    with shared.turn(engine, sessions) as (connection, session):
        on_driver(connection, "BEGIN IMMEDIATE")
        try:
            yield session
            session.flush()
            _end_writing(connection, "COMMIT")
        except BaseException:
            session.close()
            _end_writing(connection, "ROLLBACK")
            raise
        if session.in_transaction() or session.identity_map:  # the ORM worked: start afresh
            session.close()


_SHARED = "tally_shared_writer"


class _SharedWriter:
    """An SQLite file's one write connection in this process, and a session on it, which the
    request threads take turns with, in line (storage.sqlite_writers). Why one, not one per
    thread: a connection drops its whole page cache once another connection has committed, so
    with a connection per gunicorn thread nearly every /log read its pages from the file again
    (~33 preads per request); and checking a connection out of the pool and making a session
    cost ~80 µs of a /log's ~1 ms (issue #12). Kept on the engine (`make_engine`), opened again
    in a forked child (it never touches its parent's) and after `dispose`."""

    def __init__(self, line: WriterLine) -> None:
        self._line = line
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._sessions: sessionmaker[Session] | None = None  # what made `_session`
        self._pool: Pool | None = None
        self._pid = 0

    @contextmanager
    def turn(
        self, engine: Engine, sessions: sessionmaker[Session]
    ) -> Iterator[tuple[Connection, Session]]:
        """The connection and a session of `sessions` on it, this thread's alone till the end."""
        self._line.enter()
        try:
            connection, pid = self._connection, os.getpid()
            if (
                connection is None
                or self._pid != pid
                or self._pool is not engine.pool
                or connection.closed
                or connection.invalidated  # the driver failed it (storage.prebuilt.on_driver)
            ):
                if connection is not None and self._pid == pid:
                    connection.close()
                connection = self._connection = engine.connect()
                self._pool, self._pid, self._session = engine.pool, pid, None
            if self._session is None or self._sessions is not sessions:
                self._session, self._sessions = sessions(bind=connection), sessions
            yield connection, self._session
        finally:
            self._line.leave()


def read_only(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Read-only sessions on the engine `sessions` use, for a job that reads long before it
    writes: on SQLite they take no write lock, so no request waits behind the reading."""
    return make_session_factory(_engine_of_factory(sessions), read_only=True)


def reader_beside(session: Session) -> Session | None:
    """A read-only session on `session`'s engine, for another thread to read with at the same
    time (a session is one connection, and one thread's): on PostgreSQL one statement's server
    time then overlaps another's rows being turned into Python. None on SQLite, where that
    gains nothing: its driver takes the GIL back for every row, so two readers take turns."""
    engine = _engine_of(session)
    if engine.dialect.name == "sqlite":
        return None
    return make_session_factory(engine, read_only=True)()


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    assert isinstance(bind, Engine), "Tally's sessions are bound to an engine"
    return bind


def _engine_of_factory(sessions: sessionmaker[Session]) -> Engine:
    bind = sessions.kw.get("bind")
    assert isinstance(bind, Engine), "Tally's sessions are bound to an engine"
    return bind


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; a no-op when it is already there.

    Runs on an engine of its own with MIGRATION_WAITS: a request's waits would cut a
    migration short.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    migrating = make_engine(engine.url, waits=MIGRATION_WAITS)
    try:
        with migrating.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        migrating.dispose()


def is_ready(engine: Engine) -> bool:
    """Whether the database answers, for health checks."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


# libpq names the server before the cause: 'connection failed: connection to server at
# "127.0.0.1", port 1 failed: Connection refused', 'FATAL:  database "x" does not exist'.
_LIBPQ_PREFIXES = re.compile(
    r"^(connection failed: )?(connection to server .*? failed: )?(FATAL: +)?"
)


def _cannot_reach(url: URL, error: OperationalError) -> str:
    """Where (never the password) and why, in one line."""
    why = database_trouble(error)
    if url.get_backend_name() == "sqlite":
        return f"cannot open the database at {url.database}: {why}"
    return f"cannot reach the database at {url.host or 'localhost'}:{url.port or 5432}: {why}"


def _with_psycopg(url: URL) -> URL:
    """Hosting platforms hand out postgres:// URLs; we only ship the psycopg 3 driver."""
    if url.drivername in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _configure_sqlite(engine: Engine, waits: Waits) -> None:
    """Set pragmas on every connection and take the write lock at BEGIN.

    BEGIN IMMEDIATE takes the write lock up front: a deferred BEGIN lets two transactions read,
    then fails one with "database is locked" when both try to write. A file's writers queue for
    it in line (storage.sqlite_writers), for at most `waits.lock_ms`, with busy_timeout behind.
    Taking BEGIN away from the sqlite3 driver also makes SAVEPOINTs work.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={waits.lock_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # On the driver, not through SQLAlchemy's execution: ~25 µs of every write (issue #12).
        if connection.get_execution_options().get(READ_ONLY, False):
            on_driver(connection, "BEGIN")
        elif not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            _begin_writing(connection)
        # else joined_write began it on the driver: the session's ORM work joins it


def _begin_writing(connection: Connection) -> None:
    """Take the write lock: the line (storage.sqlite_writers), then BEGIN IMMEDIATE."""
    raw = connection.connection.dbapi_connection
    lined = isinstance(raw, LinedConnection)
    if lined:
        raw.begin_writing()
    try:
        on_driver(connection, "BEGIN IMMEDIATE")
    except BaseException:
        if lined:
            raw.stop_writing()
        raise


def _end_writing(connection: Connection, verb: str) -> None:
    """COMMIT or ROLLBACK what `joined_write` began on the driver, through SQLAlchemy when the
    session's ORM work began its view of it. The line is left by `_SharedWriter.turn`."""
    if connection.in_transaction():
        (connection.commit if verb == "COMMIT" else connection.rollback)()
    elif connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        on_driver(connection, verb)
