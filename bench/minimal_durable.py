"""The yardstick for `/log`: a Bolt app doing only the work a durable `/log` cannot skip.

It parses the text with Tally's own parser, stores one row idempotently (the request's team,
user and trigger_id are unique), sums the user's week, and acks with the total — one INSERT and
one SUM in one transaction, in raw SQL. Served on Tally's exact stack (`TallyServer`, the edge,
`process_before_response`), so Tally / this ratio is the cost of everything else Tally does.

- PostgreSQL: a pool of 4 connections per worker.
- SQLite: WAL with the default synchronous=FULL (durable, as Tally), one connection per thread,
  and writers queued on a thread lock and an flock on a lock file around BEGIN IMMEDIATE, so
  no writer sleeps in SQLite's busy handler.

Run as `python -m bench.minimal_durable` with Tally's environment (DATABASE_URL included).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

from slack_bolt import Ack, App
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.app import web_client
from bot.server import TallyServer
from bot.settings import Settings, load_settings
from bot.web import wsgi_app
from scoring.catalog import DEFAULT_CATALOG
from scoring.parser import LogParseError, parse_log_text
from scoring.weeks import iso_week_label

TABLE = """CREATE TABLE IF NOT EXISTS minimal_log (
    team_id VARCHAR(32) NOT NULL, user_id VARCHAR(32) NOT NULL, request VARCHAR(255) NOT NULL,
    points INTEGER NOT NULL, week VARCHAR(8) NOT NULL, created_at VARCHAR(40) NOT NULL,
    PRIMARY KEY (team_id, user_id, request))"""
INSERT = (
    "INSERT INTO minimal_log VALUES (:team, :user, :request, :points, :week, :at) "
    "ON CONFLICT DO NOTHING"
)
WEEK_SUM = (
    "SELECT COALESCE(SUM(points), 0) FROM minimal_log WHERE team_id = :team AND user_id = :user "
    "AND week = :week"
)


class Store(Protocol):
    def record(self, row: dict[str, Any]) -> int: ...


class PostgresStore:
    def __init__(self, url: str):
        self._engine = create_engine(
            make_url(url).set(drivername="postgresql+psycopg"), pool_size=4
        )
        with self._engine.begin() as connection:
            connection.execute(text(TABLE))
        self._engine.dispose()  # built before gunicorn forks: no worker may share its socket

    def record(self, row: dict[str, Any]) -> int:
        with self._engine.begin() as connection:
            connection.execute(text(INSERT), row)
            return int(connection.execute(text(WEEK_SUM), row).scalar_one())


class SqliteStore:
    def __init__(self, url: str):
        self._path = make_url(url).database or "tally.db"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._lock_fds: dict[int, int] = {}
        with self._writing() as connection:
            connection.execute(TABLE)

    def _connection(self) -> sqlite3.Connection:
        if not hasattr(self._local, "connection"):
            connection = sqlite3.connect(self._path, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=5000")
            self._local.connection = connection
        return self._local.connection

    def _lock_fd(self) -> int:
        """This process's own open of the lock file: an flock belongs to the open file, which
        gunicorn's forked workers would otherwise share (and never exclude each other)."""
        pid = os.getpid()
        if pid not in self._lock_fds:
            self._lock_fds[pid] = os.open(f"{self._path}.writer-lock", os.O_CREAT | os.O_RDWR)
        return self._lock_fds[pid]

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        with self._lock:
            lock_fd = self._lock_fd()
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            finally:
                fcntl.flock(lock_fd, fcntl.LOCK_UN)

    def record(self, row: dict[str, Any]) -> int:
        with self._writing() as connection:
            connection.execute(INSERT, row)
            return int(connection.execute(WEEK_SUM, row).fetchone()[0])


def minimal_app(settings: Settings, store: Store) -> App:
    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
    )

    @app.command("/log")
    def log(ack: Ack, command: dict[str, Any]) -> None:
        now = datetime.now(UTC)
        try:
            parsed = parse_log_text(command.get("text", ""), DEFAULT_CATALOG, now.date())
        except LogParseError as error:
            ack(response_type="ephemeral", text=error.message)
            return
        points = parsed.activity.points * parsed.count
        row = {
            "team": command["team_id"],
            "user": command["user_id"],
            "request": command["trigger_id"],
            "points": points,
            "week": iso_week_label(now.date()),
            "at": now.isoformat(),
        }
        total = store.record(row)
        undo = {"type": "button", "text": {"type": "plain_text", "text": "Undo"}, "value": "0"}
        undo["action_id"] = "undo"
        blocks = [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"+{points} pts · {total}"}},
            {"type": "actions", "elements": [undo]},
        ]
        ack(response_type="ephemeral", text=f"+{points} pts, {total} this week", blocks=blocks)

    return app


def main() -> int:
    settings = load_settings(os.environ)
    url = settings.database_url
    store: Store = SqliteStore(url) if url.startswith("sqlite") else PostgresStore(url)
    engine = create_engine("sqlite://")  # only /healthz reads it
    wsgi = wsgi_app(minimal_app(settings, store), engine, settings.slack_signing_secret)
    TallyServer(wsgi, engine, settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
