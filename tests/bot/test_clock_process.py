"""`tally clock` as production runs it: two processes at once on one database, the real clock.

The managers live in a zone where it is now working hours and the digest slot is put at 08:00
today there, so when the clocks start it is due and late: they must catch up, and between them
send each manager's digest exactly once.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.fakeslack import FakeSlack
from bot.fakeslack.readable import as_read
from scoring.schedule import WEEKDAY_NAMES
from scoring.weeks import iso_week_label
from storage.db import make_engine
from tests.fixtures.database_host import DatabaseHost
from tests.fixtures.seed import log, person, seeding, team
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

MANAGERS = {"U0MONA": "U0RITA", "U0MIKE": "U0RAVI", "U0MAYA": "U0ROSA"}  # manager: rep
TICKS_TO_WATCH = 3
# One of these is always between 09:00 and 17:00, whatever the time of the run.
ZONES = [
    "UTC",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "America/Sao_Paulo",
    "America/Chicago",
    "America/Los_Angeles",
    "Pacific/Honolulu",
]
SQLITE_HOLD_S = 2.0  # long enough for both clocks to start; migrations wait longer


def _log_text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@contextmanager
def _clock(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A `tally clock` process; killed if the test leaves it running."""
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "clock"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def _start_together(
    running: ExitStack, env: dict[str, str], logs: list[Path], database_url: str
) -> list[subprocess.Popen[bytes]]:
    """Start one clock per log, held back by a lock so they then race for the same digests.

    Each clock's start-up migration check waits behind the lock (migrations may wait for
    locks far longer than requests): on PostgreSQL an ACCESS EXCLUSIVE lock on alembic_version,
    released once every clock is seen waiting for it; on SQLite the write lock our engine takes
    at BEGIN IMMEDIATE, held a while. Released, they start ticking within moments of each other.
    """
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            else:
                connection.exec_driver_sql("SELECT count(*) FROM outbox")
            clocks = [running.enter_context(_clock(env, path)) for path in logs]
            if engine.dialect.name == "postgresql":
                _wait_for(
                    lambda: _waiting_for_locks(database_url) == len(logs),
                    30,
                    "both clocks to wait for the lock",
                )
            else:
                time.sleep(SQLITE_HOLD_S)
        return clocks
    finally:
        engine.dispose()


def _waiting_for_locks(database_url: str) -> int:
    """How many sessions of this PostgreSQL database are waiting for a lock."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ).scalar_one()
    finally:
        engine.dispose()


@pytest.fixture
def zone() -> str:
    """A zone where it is now between 09:00 and 17:00, so a digest due at 08:00 goes out."""
    now = datetime.now(UTC)
    return next(z for z in ZONES if 9 <= now.astimezone(ZoneInfo(z)).hour < 17)


@pytest.fixture
def clock_env(
    fake_slack: FakeSlack, database_url: str, tmp_path: Path, zone: str
) -> dict[str, str]:
    """Three managers, each with a rep who logged this week; the digest slot passed at 08:00
    today in their zone."""
    now = datetime.now(UTC)
    local_today = now.astimezone(ZoneInfo(zone)).date()
    with seeding(database_url) as session:
        for manager, rep in MANAGERS.items():
            person(session, manager, tz=zone)
            person(session, rep, tz=zone)
            fake_slack.add_user(manager, manager.removeprefix("U0").lower(), tz=zone)
            fake_slack.add_user(rep, rep.removeprefix("U0").lower(), tz=zone)
            team(session, manager, [rep])
            log(session, rep, "meeting_booked", 3, at=now, tz=zone)
    config = tmp_path / "tally.toml"
    config.write_text(f'[schedule]\ndigest = "{WEEKDAY_NAMES[local_today.weekday()]} 08:00"\n')
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    clean.pop("LOG_LEVEL", None)
    return {
        **clean,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
        "DATABASE_URL": database_url,
        "TALLY_CONFIG": str(config),
        "TALLY_TICK_SECONDS": "1",
    }


def test_two_late_clocks_send_each_digest_exactly_once_and_stop_on_sigterm(
    fake_slack: FakeSlack,
    clock_env: dict[str, str],
    database_url: str,
    tmp_path: Path,
    zone: str,
) -> None:
    week = iso_week_label(datetime.now(ZoneInfo(zone)).date())
    logs = [tmp_path / "clock-a.log", tmp_path / "clock-b.log"]
    dms = {"D" + manager for manager in MANAGERS}

    with ExitStack() as running:
        clocks = _start_together(running, clock_env, logs, database_url)

        def delivered() -> bool:
            return all(fake_slack.messages_in(dm) for dm in dms)

        _wait_for(delivered, 30, "every manager's digest")
        # Each sender logs one outbox run per tick: let both tick a few more times.
        ticked = [_log_text(path).count("outbox run:") for path in logs]
        _wait_for(
            lambda: all(
                _log_text(path).count("outbox run:") >= seen + TICKS_TO_WATCH
                for path, seen in zip(logs, ticked, strict=True)
            ),
            30,
            f"{TICKS_TO_WATCH} more ticks of both clocks",
        )
        assert all(clock.poll() is None for clock in clocks), "a clock died"

        for clock in clocks:
            clock.send_signal(signal.SIGTERM)
        for clock in clocks:
            try:
                clock.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pytest.fail("a clock ignored SIGTERM for 10 s")
        exit_codes = [clock.returncode for clock in clocks]

    posts = fake_slack.calls_to("chat.postMessage")
    per_channel = Counter(call.args["channel"] for call in posts)
    assert per_channel == {dm: 1 for dm in dms}, per_channel
    assert all(call.status == 200 for call in posts)
    assert Counter(m["channel"] for m in fake_slack.messages) == {dm: 1 for dm in dms}
    for manager, rep in MANAGERS.items():
        [digest] = fake_slack.messages_in("D" + manager)
        reads = as_read(digest, fake_slack.user_name).replace("*", "")
        assert f"Weekly digest · {week}" in reads
        assert f"@{rep.removeprefix('U0').lower()} — 30 / 500 pts" in reads
    trouble = [
        line
        for path in logs
        for line in _log_text(path).splitlines()
        if "Traceback" in line or "tick failed" in line or "WARNING bot." in line
    ]
    assert trouble == [], "\n".join(trouble)
    # Quiet by default: the clock's own progress, none of the libraries' INFO chatter.
    chatter = [
        line
        for path in logs
        for line in _log_text(path).splitlines()
        if "INFO alembic" in line or "INFO apscheduler" in line
    ]
    assert chatter == [], "\n".join(chatter)
    assert exit_codes == [0, 0], [_log_text(path)[-2000:] for path in logs]


# Every line a process logs starts with its time: a traceback's lines do not.
_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING) ")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_clock_waits_for_its_database_and_rides_out_an_outage(
    fake_slack: FakeSlack, clock_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "clock.log"
    dms = {"D" + manager for manager in MANAGERS}

    def logged(text: str) -> int:
        return _log_text(log_path).count(text)

    with (
        DatabaseHost(database_url) as host,
        _clock({**clock_env, "DATABASE_URL": host.url}, log_path) as clock,
    ):
        _wait_for(lambda: logged("cannot reach the database") >= 2, 30, "two attempts")
        host.on()
        _wait_for(lambda: all(fake_slack.messages_in(dm) for dm in dms), 30, "the digests")

        host.off()  # the database goes away mid-run, dropping the clock's connections
        _wait_for(lambda: logged("clock tick failed") >= 2, 30, "ticks to fail")
        ticks = logged("outbox run:")
        host.on()
        _wait_for(lambda: logged("outbox run:") > ticks, 30, "a tick once the database is back")

        assert clock.poll() is None, "the clock died"
        clock.send_signal(signal.SIGTERM)
        assert clock.wait(timeout=10) == 0

    lines = _log_text(log_path).splitlines()
    assert [line for line in lines if not _LOG_LINE.match(line)] == []
    waits = [line for line in lines if "cannot reach the database at 127.0.0.1" in line]
    assert "trying again in 1 s" in waits[0] and "trying again in 2 s" in waits[1], waits
    per_channel = Counter(call.args["channel"] for call in fake_slack.calls_to("chat.postMessage"))
    assert per_channel == {dm: 1 for dm in dms}, per_channel
