"""Benchmark 6: how long `tally serve` takes to answer, and the memory of each of its processes.

`tally serve` starts as production starts it (gunicorn gthread with its defaults per database)
on a fresh database of each kind, migrations included; the time is from the
process starting to /healthz answering 200. Memory is each process's resident set (VmRSS)
right after start, and again after signed `/log` requests from many users.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench import Section, scratch_database, table
from bench.command_path import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    ZONES,
    SlashCommands,
    post,
    tally_accepts,
)
from bot.fakeslack import FakeSlack
from bot.local_server import free_port, healthy
from bot.settings import serving_defaults


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _workers(pid: int, expected: int) -> list[int]:
    """The master's workers, once all are forked: /healthz answers as soon as the first is up."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for _ in range(300):
        workers = [int(c) for c in children.read_text().split()]
        if len(workers) >= expected:
            return workers
        time.sleep(0.01)
    raise RuntimeError(f"tally serve forked {len(workers)} of {expected} workers")


@dataclass(frozen=True)
class Mode:
    starts: int
    requests: int
    backends: tuple[str, ...]


FULL = Mode(starts=4, requests=1000, backends=("sqlite", "postgresql"))
QUICK = Mode(starts=2, requests=200, backends=("sqlite", "postgresql"))
SMOKE = Mode(starts=1, requests=5, backends=("sqlite",))


def _start(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str, float]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve"],
        env={**os.environ, **env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while not healthy(url):
        if process.poll() is not None or time.perf_counter() - began > 60:
            raise RuntimeError("tally serve did not start")
        time.sleep(0.01)
    return process, url, time.perf_counter() - began


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def run(mode: Mode, log: Callable[[str], None] = print) -> Section:
    starts, requests = mode.starts, mode.requests
    users = [f"U0S{n:04d}" for n in range(200)]
    rows = []
    with FakeSlack(team_id=TEAM_ID) as slack:
        for n, user in enumerate(users):
            slack.add_user(user, f"rep{n}", tz=ZONES[n % len(ZONES)])
        base = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "TALLY_ADMINS": "",
        }
        for backend in mode.backends:
            with scratch_database(backend, "start") as database_url:
                env = base | {"DATABASE_URL": database_url}
                times = []
                for n in range(starts):
                    process, url, seconds = _start(env)
                    times.append(seconds)
                    if n < starts - 1:
                        _stop(process)
                workers = _workers(process.pid, int(serving_defaults(database_url)[0]))
                fresh = [_rss_mb(process.pid), *(_rss_mb(w) for w in workers)]
                commands = SlashCommands(users, slack.base_url)
                for _ in range(requests):
                    status, body = post(url, *commands.next())
                    assert tally_accepts(status, body), (status, body[:200])
                loaded = [_rss_mb(process.pid), *(_rss_mb(w) for w in workers)]
                _stop(process)
            first = f"{times[0]:.2f}"
            later = f"{statistics.median(times[1:]):.2f}" if starts > 1 else "–"
            worker_fresh = "/".join(f"{mb:.0f}" for mb in fresh[1:])
            worker_loaded = "/".join(f"{mb:.0f}" for mb in loaded[1:])
            log(f"  {backend}: up in {first} s (then {later} s), workers {worker_loaded} MB")
            rows.append([backend, first, later, f"{fresh[0]:.0f}", worker_fresh, worker_loaded])
    body = "\n".join(
        [
            "`tally serve` (gunicorn gthread; 1 × 16 threads on SQLite, 2 × 8 on PostgreSQL) on a "
            f"fresh database, started {starts} times: seconds from the process starting to "
            "/healthz answering (the first start also creates the schema), and each process's "
            f"resident memory (VmRSS) when up and after {requests} signed `/log` requests from "
            f"{len(users)} users. The workers are forked from the master after the app is "
            "built, so much of their memory is shared with it (copy-on-write).",
            "",
            table(
                [
                    "database",
                    "first start s (migrates)",
                    "start s (median of the rest)",
                    "master MB",
                    "workers MB when up",
                    f"workers MB after {requests} /log",
                ],
                rows,
            ),
        ]
    )
    return Section("startup", "6. `tally serve` startup and memory", body, True)
