"""Benchmark 1: signed `/log` requests over loopback HTTP to `tally serve`, against bare Bolt.

`tally serve` runs as production runs it (gunicorn gthread with the documented defaults: one
process of 16 threads on SQLite, two of 8 on PostgreSQL), talking to the fake Slack.
A bare Bolt app that only acks the same command runs on the same stack. Each load level keeps
N keep-alive connections busy for a fixed time; every request is a fresh, signed slash command
(unique trigger_id, so every one is a new entry) from one of many users, with varied activities.
Tally and the minimal durable app of the same database are up side by side and take turns, level
by level, for several rounds: req/s is the median round, so one noisy moment on a shared 2-core
machine moves neither side alone.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import itertools
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from sqlalchemy import text, update

from bench import Section, scratch_database, table, verdict
from bot.fakeslack import FakeSlack
from bot.local_server import serving
from bot.web import SLACK_PATH
from storage.db import make_engine
from storage.models import Member

BOT_TOKEN = "xoxb-bench"
SIGNING_SECRET = "bench-signing-secret"
TEAM_ID = "T0BENCH"
MANAGER = "U0BMANAGER"
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Asia/Tokyo",
)
TEXTS = (
    "demo self-led",
    "12 calls",
    "call x3",
    "3 emails",
    "meeting",
    "2 linkedin connections",
    "disco mentor-led",
    "closed won Acme Corp $12,500",
    "dm convo",
    "demo booked",
    "5 dials",
    "shadow",
)
BARE_ENV = {"WEB_CONCURRENCY": "2", "WEB_THREADS": "8"}  # no database: a process per core

TARGET_RATIO = 0.7  # Tally / the minimal durable app on the same database
TARGET_P99_MS = 150.0


@dataclass(frozen=True)
class Mode:
    users: int
    levels: tuple[int, ...]
    seconds: float  # per round
    warm_seconds: float
    backends: tuple[str, ...]
    rounds: int = 1


FULL = Mode(
    users=200,
    levels=(1, 8, 32),
    seconds=8,
    warm_seconds=3,
    backends=("sqlite", "postgresql"),
    rounds=3,
)
QUICK = Mode(
    users=60, levels=(1, 8, 32), seconds=4, warm_seconds=1, backends=("sqlite", "postgresql")
)
SMOKE = Mode(users=4, levels=(2,), seconds=0.5, warm_seconds=0, backends=("sqlite",), rounds=2)


@dataclass
class Load:
    """The outcome of one load level against one server."""

    connections: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, p: float) -> float:
        return percentile(self.latencies_ms, p)


def percentile(latencies_ms: list[float], p: float) -> float:
    if not latencies_ms:
        return float("nan")
    ordered = sorted(latencies_ms)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


@dataclass
class Rounds:
    """One load level's rounds against one server: the median round's req/s, the latencies and
    errors of them all."""

    loads: list[Load] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        ordered = sorted(load.throughput for load in self.loads)
        return ordered[len(ordered) // 2]

    @property
    def requests(self) -> int:
        return sum(len(load.latencies_ms) for load in self.loads)

    @property
    def errors(self) -> int:
        return sum(load.errors for load in self.loads)

    def percentile(self, p: float) -> float:
        return percentile([ms for load in self.loads for ms in load.latencies_ms], p)


class SlashCommands:
    """Builds signed `/log` requests the way Slack sends them: form-encoded, v0 HMAC-signed."""

    def __init__(self, users: list[str], response_base: str):
        self._users = users
        self._response_base = response_base
        self._counter = itertools.count()
        self._secret = SIGNING_SECRET.encode()

    def next(self) -> tuple[bytes, dict[str, str]]:
        n = next(self._counter)
        user = self._users[(n * 7919) % len(self._users)]
        fields = {
            "token": "bench-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "bench",
            "channel_id": "C0GENERAL",
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/log",
            "text": TEXTS[(n * 31 + n // len(self._users)) % len(TEXTS)],
            "api_app_id": "A0TALLY",
            "is_enterprise_install": "false",
            "trigger_id": f"{n}.{secrets.token_hex(12)}",
            "response_url": f"{self._response_base}/response/{n}",
        }
        body = urlencode(fields).encode()
        return body, self.signed(body)

    def signed(self, body: bytes) -> dict[str, str]:
        """Headers for `body` signed now: Slack signs a re-delivery of the same body afresh."""
        stamp = str(int(time.time()))
        base = b"v0:" + stamp.encode() + b":" + body
        digest = hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest}",
        }


def run_load(
    url: str,
    commands: SlashCommands,
    connections: int,
    seconds: float,
    accept: Callable[[int, bytes], bool],
) -> Load:
    """Keep `connections` keep-alive connections busy for `seconds`; one thread each."""
    target = urlsplit(url)
    result = Load(connections=connections, seconds=seconds)
    lock = threading.Lock()
    start = threading.Barrier(connections + 1)
    deadline = [0.0]

    def worker() -> None:
        latencies: list[float] = []
        errors: list[str] = []
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=15)
        start.wait()
        while time.perf_counter() < deadline[0]:
            body, headers = commands.next()
            began = time.perf_counter()
            try:
                connection.request("POST", SLACK_PATH, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
                status = response.status
                if response.will_close:
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=15)
                continue
            elapsed = (time.perf_counter() - began) * 1000
            if accept(status, data):
                latencies.append(elapsed)
            else:
                errors.append(f"HTTP {status}: {data[:200]!r}")
        connection.close()
        with lock:
            result.latencies_ms.extend(latencies)
            result.errors += len(errors)
            result.error_samples.extend(errors[: 3 - len(result.error_samples)])

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    start.wait()
    for thread in threads:
        thread.join()
    return result


def tally_accepts(status: int, body: bytes) -> bool:
    """A stored entry's receipt carries the Undo button; anything else is an error here."""
    return status == 200 and b'"action_id"' in body


def bare_accepts(status: int, _body: bytes) -> bool:
    return status == 200


def _measure(
    servers: dict[str, str],
    mode: Mode,
    commands: SlashCommands,
    accept: Callable[[int, bytes], bool],
    log: Callable[[str], None],
) -> dict[str, dict[int, Rounds]]:
    """Every level, `mode.rounds` times, each server in turn (the order flips every round)."""
    if mode.warm_seconds:
        for url in servers.values():
            run_load(url, commands, 8, mode.warm_seconds, accept)
    results: dict[str, dict[int, Rounds]] = {name: {} for name in servers}
    for level in mode.levels:
        for round_ in range(mode.rounds):
            turns = list(servers.items())
            for name, url in turns if round_ % 2 == 0 else reversed(turns):
                load = run_load(url, commands, level, mode.seconds, accept)
                results[name].setdefault(level, Rounds()).loads.append(load)
                log(
                    f"  {name:<28} {level:>2} conn: {load.throughput:7.1f} req/s  "
                    f"p50 {load.percentile(50):6.1f} ms  p99 {load.percentile(99):6.1f} ms  "
                    f"errors {load.errors}"
                )
                for sample in load.error_samples:
                    log(f"    e.g. {sample}")
    return results


def run(mode: Mode, log: Callable[[str], None] = print) -> Section:
    users = [f"U0B{n:05d}" for n in range(mode.users)]
    results: dict[str, dict[int, Rounds]] = {}
    with FakeSlack(team_id=TEAM_ID) as slack:
        for n, user in enumerate(users):
            slack.add_user(user, f"rep{n}", tz=ZONES[n % len(ZONES)])
        commands = SlashCommands(users, slack.base_url)
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "TALLY_ADMINS": "",
        }
        with serving(env | BARE_ENV, module=("bench.bare_bolt",)) as url:
            results |= _measure({"bare Bolt": url}, mode, commands, bare_accepts, log)
        for backend in mode.backends:
            minimal, tally = f"minimal durable ({backend})", f"Tally ({backend})"
            with (
                scratch_database(backend, "min") as minimal_url,
                serving(
                    env | {"DATABASE_URL": minimal_url}, module=("bench.minimal_durable",)
                ) as minimal_server,
                scratch_database(backend, "cmd") as tally_url,
                serving(env | {"DATABASE_URL": tally_url}) as tally_server,
            ):
                # Pre-warm: every user's first /log fetches their profile (users.info) once.
                before = len(slack.calls_to("users.info"))
                prewarm = SlashCommands(users, slack.base_url)
                for _ in users:
                    body, headers = prewarm.next()
                    post(tally_server, body, headers)
                looked_up = len(slack.calls_to("users.info")) - before
                give_everyone_a_manager(tally_url)
                for url in (minimal_url, tally_url):
                    settle_statistics(url)
                servers = {minimal: minimal_server, tally: tally_server}
                results |= _measure(servers, mode, commands, tally_accepts, log)
                during = len(slack.calls_to("users.info")) - before - looked_up
                log(f"  {tally}: users.info calls during prewarm {looked_up}, during load {during}")
    return _section(mode, results)


def give_everyone_a_manager(database_url: str) -> None:
    """As in production, each /log then also marks the manager's digest out of date."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Member).values(manager_id=MANAGER))
    engine.dispose()


def settle_statistics(database_url: str) -> None:
    """PostgreSQL: ANALYZE, as autovacuum soon does after a table fills; this machine's server
    runs with autovacuum off, and the planner's guesses for empty tables made the week's read
    scan every entry of the team (a /log slower the longer the run). SQLite gathers no
    statistics unless asked, in production too: left as it is."""
    if not database_url.startswith("postgresql"):
        return
    engine = make_engine(database_url).execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
    engine.dispose()


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """One signed request; the status and body, whatever the status."""
    request = urllib.request.Request(url + SLACK_PATH, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _section(mode: Mode, results: dict[str, dict[int, Rounds]]) -> Section:
    bare = results["bare Bolt"]
    rows = []
    all_met = True
    top = max(mode.levels)
    for name, loads in results.items():
        backend = name[name.find("(") + 1 : -1] if "(" in name else None
        minimal = results.get(f"minimal durable ({backend})") if name.startswith("Tally") else None
        for level, load in loads.items():
            vs_bare = load.throughput / bare[level].throughput if bare[level].throughput else 0.0
            vs_minimal = ""
            check = ""
            if minimal is not None:
                base = minimal[level].throughput
                ratio = load.throughput / base if base else 0.0
                vs_minimal = f"{ratio:.2f}"
                ok = ratio >= TARGET_RATIO and load.errors == 0
                if level == top:
                    ok = ok and load.percentile(99) <= TARGET_P99_MS
                all_met &= ok
                check = verdict(ok)
            rows.append(
                [
                    name,
                    level,
                    load.requests,
                    f"{load.throughput:.1f}",
                    f"{load.percentile(50):.1f}",
                    f"{load.percentile(99):.1f}",
                    load.errors,
                    f"{vs_bare:.2f}",
                    vs_minimal,
                    check,
                ]
            )
    body = "\n".join(
        [
            f"Signed `/log` requests on loopback, {mode.rounds} round(s) of {mode.seconds:g} s "
            f"per level after a {mode.warm_seconds:g} s warm-up, Tally and its minimal durable "
            "app taking turns (req/s: the median round; requests, p50, p99 and errors: all "
            f"rounds), {mode.users} users (profiles cached by a pre-warm "
            f"request each), {len(TEXTS)} activity phrasings; keep-alive connections, one "
            f"thread each; every rep has a manager. Servers: gunicorn gthread with Tally's "
            "defaults for the database (SQLite: 1 process × 16 threads, PostgreSQL: 2 × 8; bare "
            "Bolt 2 × 8). The load generator shares the machine's 2 cores with the server.",
            "",
            "Baselines on the same stack: bare Bolt only acks; the minimal durable app "
            "(`bench/minimal_durable.py`) parses, stores one row idempotently and sums the week "
            "in raw SQL, the work a durable `/log` cannot skip. PostgreSQL's statistics are "
            "gathered (ANALYZE) after the pre-warm, as autovacuum would.",
            "",
            f"Targets (issue #12): Tally / minimal durable on the same database ≥ "
            f"{TARGET_RATIO} at every level, p99 ≤ {TARGET_P99_MS:g} ms at {top} connections, "
            "zero errors.",
            "",
            table(
                [
                    "server",
                    "connections",
                    "requests",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "errors",
                    "÷ bare Bolt",
                    "÷ minimal durable",
                    "target",
                ],
                rows,
            ),
        ]
    )
    return Section("command", "1. Command path under load (`/log`)", body, all_met)
