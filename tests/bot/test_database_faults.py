"""A database that is locked, silent or gone: Slack still gets an answer in time, the rep is told
nothing was saved (and nothing is), and commands stop with one line instead of a traceback."""

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.clock import wait_for_database
from bot.delivery import Deliverer
from bot.fakeslack import FakeSlack
from bot.fakeslack.readable import as_read
from bot.fakeslack.signed_requests import Reply, SignedSlack
from bot.local_server import serving
from bot.web import SLACK_PATH
from storage.db import make_engine, make_session_factory
from storage.outbox import Draft, enqueue
from tests.fixtures.database_host import DatabaseHost
from tests.fixtures.server import REP, RunningTally
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

NOT_SAVED = "Not saved — the database is busy"
REFUSING_URL = "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/tally"
HANG_GUARD_S = 10  # far past Slack's 3 s: only a request that hangs takes this long


@contextmanager
def _activities_locked(engine: Engine) -> Iterator[None]:
    """Another transaction holds the activities table, as a stuck writer or a migration would."""
    with engine.connect() as connection, connection.begin():
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql("LOCK TABLE activities IN ACCESS EXCLUSIVE MODE")
        # SQLite: our engine's BEGIN IMMEDIATE already holds the database's write lock
        yield


def _replayable_log(tally: RunningTally, text: str, trigger_id: str) -> str:
    """A /log body with a fixed trigger_id, to send the very same request again."""
    return urlencode(
        {
            "team_id": tally.slack.team_id,
            "channel_id": "C0GENERAL",
            "user_id": REP,
            "user_name": "rita",
            "command": "/log",
            "text": text,
            "trigger_id": trigger_id,
        }
    )


def _ephemeral_text(reply: Reply) -> str:
    assert reply.status == 200
    body = reply.json()
    assert body is not None and body["response_type"] == "ephemeral"
    return as_read(body, lambda _user: None)


def test_log_behind_a_locked_table_is_not_saved_and_a_retry_counts_once(
    tally: RunningTally,
) -> None:
    tally.command(REP, "/log", "undo")  # Tally knows the rep: /log takes its common path
    replayed = _replayable_log(tally, "demo self-led", trigger_id="1001.retried")
    form = "application/x-www-form-urlencoded"

    with _activities_locked(tally.engine):
        first = tally.command(REP, "/log", "demo self-led")
        same_request = tally.signed.post(replayed, form)

    assert NOT_SAVED in _ephemeral_text(first)
    assert NOT_SAVED in _ephemeral_text(same_request)
    assert tally.entries(REP) == []  # released, the lock let nothing through after the answer
    for _ in range(2):
        saved = tally.signed.post(replayed, form)
        assert "+25 pts" in tally.read(saved.json())
    assert [entry.points for entry in tally.entries(REP)] == [25]
    assert "Traceback" not in tally.log_text()


def _health(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=HANG_GUARD_S) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_silent_database_host_gets_503_and_not_saved_then_recovers(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    fake_slack.add_user(REP, "rita", tz="America/New_York")
    log_path = tmp_path / "serve.log"
    with DatabaseHost(database_url) as host:
        host.on()
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.url,
            "DATABASE_URL": host.url,
            "WEB_CONCURRENCY": "1",
        }
        with serving(env, log_path=log_path) as url:
            slack = SignedSlack(url + SLACK_PATH, SIGNING_SECRET, fake_slack.team_id, fake_slack)
            slack.command(REP, "/log", "undo")

            host.silent()
            # The pooled connection is dropped, then a new one meets a host that never answers.
            assert [_health(url), _health(url)] == [503, 503]
            assert NOT_SAVED in _ephemeral_text(slack.command(REP, "/log", "demo self-led"))

            host.on()
            assert _health(url) == 200
            saved = slack.command(REP, "/log", "demo self-led")
            assert "+25 pts" in as_read(saved.json() or {}, fake_slack.user_name)
    assert "Traceback" not in log_path.read_text()


def _tally(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    clean.pop("LOG_LEVEL", None)
    env = {
        **clean,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": "http://127.0.0.1:1/api/",
        "DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "command", [["serve"], ["digest"], ["db", "upgrade"], ["outbox"], ["export"]]
)
def test_a_database_that_refuses_connections_stops_a_command_in_one_line(
    command: list[str],
) -> None:
    result = _tally(*command, database_url=REFUSING_URL)

    assert result.stderr.splitlines() == [
        "tally: cannot reach the database at 127.0.0.1:1: connection refused"
    ]
    assert result.returncode == 2


def test_a_database_host_that_never_answers_stops_serve_in_one_line() -> None:
    with DatabaseHost("postgresql+psycopg://postgres@127.0.0.1/tally") as host:
        host.silent()
        result = _tally("serve", database_url=host.url)

    assert result.stderr.splitlines() == [
        f"tally: cannot reach the database at 127.0.0.1:{host.port}: connection timeout expired"
    ]
    assert result.returncode == 2


def test_an_sqlite_file_that_cannot_be_opened_stops_a_command_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "tally.db"

    result = _tally("digest", database_url=f"sqlite:///{path}")

    assert result.stderr.splitlines() == [
        f"tally: cannot open the database at {path}: unable to open database file"
    ]
    assert result.returncode == 2


@contextmanager
def _outbox_held_for(database_url: str, seconds: float) -> Iterator[None]:
    """Another process's writer holds the outbox for `seconds` (SQLite: the whole database)."""
    engine = make_engine(database_url)
    holding = threading.Event()

    def hold() -> None:
        with engine.connect() as connection, connection.begin():
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
            holding.set()
            time.sleep(seconds)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10), "the holder never got the lock"
        yield
    finally:
        holder.join()
        engine.dispose()


def test_a_clock_waits_out_a_writer_holding_the_database_and_still_sends(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """A request gives up after 1.5 s, in time for Slack; the clock has no one waiting on it.
    Before, its claim failed after 1.5 s and the tick sent nothing."""
    engine = wait_for_database(database_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        draft = Draft("T0TALLY", "plan_reminder", "U0RITA", "2026-12-03", "Review Acme", [])
        enqueue(session, draft, datetime.now(UTC))
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.url)
    deliverer = Deliverer(sessions, client, lambda: datetime.now(UTC))

    with _outbox_held_for(database_url, seconds=3):
        report = deliverer.deliver_due()

    assert (report.sent, report.failed) == (1, 0)
    assert [m["text"] for m in fake_slack.messages_in("DU0RITA")] == ["Review Acme"]
    engine.dispose()
