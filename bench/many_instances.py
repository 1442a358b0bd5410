"""Benchmark 4: many instances — two `tally serve` and three `tally clock` on one database.

This is how Tally scales past one process: web processes share nothing but the database, and
clocks coordinate through the outbox. The run seeds managers (each with reps, and one rep per
manager owning an overdue account plan), starts the clocks with the digest, the leaderboard
and the reminders due now, and once the first is posted, while the clocks work, sends signed
`/log` commands alternately to the two servers, plus a second delivery of some of them (the
same body, so the same `trigger_id`) to the *other* server. Then it checks what a user would:

- every stored total equals the sum of what was logged (a re-delivery is one entry, and its
  reply is the first one's, with the same Undo);
- every manager's digest, the leaderboard and every reminder was posted exactly once, and
  each digest, edited for entries logged after it went out, ends showing every rep's true total.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench import Section, scratch_database, table, verdict
from bench.command_path import BOT_TOKEN, SIGNING_SECRET, SlashCommands, post
from bot.fakeslack import FakeSlack
from bot.fakeslack.readable import as_read
from bot.local_server import serving
from scoring.catalog import DEFAULT_CATALOG
from scoring.parser import parse_log_text
from scoring.plans import MONTHLY
from scoring.schedule import WEEKDAY_NAMES
from storage.db import make_engine, make_session_factory, upgrade
from storage.members import save_profile, set_manager
from storage.models import Activity
from storage.plans import add_plan

TEAM_ID = "T0BENCH"
BOARD_CHANNEL = "C0BOARD"
# One of these is always between 09:00 and 17:00, whatever the time of the run.
ZONES = (
    "UTC",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "America/Sao_Paulo",
    "America/Chicago",
    "America/Los_Angeles",
    "Pacific/Honolulu",
)
NOT_SAVED = "Not saved"
SETTLE_QUIET_S = 6.0  # no Slack call for this long after the load: every clock has caught up


@dataclass(frozen=True)
class Mode:
    managers: int
    reps_per_manager: int
    logs: int
    redeliveries: int
    servers: int
    clocks: int
    connections: int
    backends: tuple[str, ...]


FULL = Mode(
    managers=200,
    reps_per_manager=2,
    logs=2_000,
    redeliveries=200,
    servers=2,
    clocks=3,
    connections=8,
    backends=("postgresql", "sqlite"),
)
QUICK = Mode(
    managers=50,
    reps_per_manager=2,
    logs=500,
    redeliveries=50,
    servers=2,
    clocks=3,
    connections=8,
    backends=("postgresql", "sqlite"),
)
SMOKE = Mode(
    managers=3,
    reps_per_manager=1,
    logs=12,
    redeliveries=3,
    servers=2,
    clocks=2,
    connections=2,
    backends=("sqlite",),
)


@dataclass
class Outcome:
    """What one backend's run found; every count but the first two should be zero."""

    backend: str
    sent: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    not_saved: int = 0  # "Not saved — busy" replies, sent again as the rep would
    errors: int = 0  # any other non-receipt reply
    redelivered_other_reply: int = 0  # a re-delivery answered with a different entry
    entries_off: int = 0  # stored entries beyond or short of the commands saved
    reps_off: int = 0  # reps whose stored points differ from what they logged
    posts_off: int = 0  # channels posted to other than exactly once
    digests_wrong: int = 0  # digests whose final text misses a rep's true total
    missing: int = 0  # digests, boards or reminders never posted
    trouble_lines: int = 0  # tracebacks or failed ticks in the clocks' logs
    digests: int = 0
    reminders: int = 0
    updates: int = 0
    settle_seconds: float = 0.0
    samples: list[str] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return (
            self.errors
            + self.redelivered_other_reply
            + self.entries_off
            + self.reps_off
            + self.posts_off
            + self.digests_wrong
            + self.missing
            + self.trouble_lines
        )

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def working_zone(now: datetime) -> str:
    """A zone where it is now between 09:00 and 17:00, so today's 08:00 slots are due.

    Any day of the week: the slots name today's weekday, and a run on a Saturday is as much a
    run as one on a Tuesday (CI must not go red because of the day it runs)."""
    for name in ZONES:
        if 9 <= now.astimezone(ZoneInfo(name)).hour < 17:
            return name
    raise RuntimeError("no zone in ZONES is in working hours right now")


@dataclass(frozen=True)
class Cast:
    managers: list[str]
    reps: dict[str, str]  # rep: manager
    plan_owners: list[str]

    @property
    def everyone(self) -> list[str]:
        return self.managers + list(self.reps)


def cast_for(mode: Mode) -> Cast:
    managers = [f"U0M{m:04d}" for m in range(mode.managers)]
    reps = {
        f"U0R{m:04d}{r}": manager
        for m, manager in enumerate(managers)
        for r in range(mode.reps_per_manager)
    }
    owners = [f"U0R{m:04d}0" for m in range(mode.managers)]
    return Cast(managers, reps, owners)


def seed(database_url: str, cast: Cast, zone: str, now: datetime) -> None:
    """Teams and overdue plans through the storage functions the handlers use."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        with make_session_factory(engine).begin() as session:
            for user in cast.everyone:
                name = user.lower()
                save_profile(
                    session,
                    TEAM_ID,
                    user,
                    display_name=name,
                    tz=zone,
                    is_workspace_admin=False,
                    now=now,
                )
            for rep, manager in cast.reps.items():
                set_manager(session, TEAM_ID, rep, manager, None, now)
            reviewed = now.date() - timedelta(days=90)
            for owner in cast.plan_owners:
                add_plan(
                    session, TEAM_ID, owner, f"Account of {owner}", MONTHLY, reviewed, owner, now
                )
    finally:
        engine.dispose()


def config_file(folder: Path, zone: str, now: datetime) -> Path:
    day = WEEKDAY_NAMES[now.astimezone(ZoneInfo(zone)).weekday()]
    path = folder / "tally.toml"
    path.write_text(
        f'leaderboard_channel = "{BOARD_CHANNEL}"\nleaderboard_tz = "{zone}"\n'
        f'[schedule]\ndigest = "{day} 08:00"\nleaderboard = "{day} 08:00"\n'
        f'reminders = "{day} 08:00"\nnudges = "{day} 08:00"\n'
    )
    return path


@contextmanager
def clocks(env: dict[str, str], count: int, folder: Path) -> Iterator[list[Path]]:
    """`count` clock processes; stopped with SIGTERM (killed if they ignore it) on the way out."""
    logs = [folder / f"clock-{n}.log" for n in range(count)]
    processes = []
    try:
        for path in logs:
            with path.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "bot.cli", "clock"],
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        yield logs
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Load:
    """Sends every command once (again when "Not saved"), alternating servers; records replies."""

    def __init__(self, urls: list[str], commands: SlashCommands, outcome: Outcome):
        self.urls, self.commands, self.outcome = urls, commands, outcome
        self.saved: list[tuple[bytes, str, int]] = []  # body, its Undo value, server
        self._lock = threading.Lock()

    def one(self, n: int) -> None:
        server = n % len(self.urls)
        for _attempt in range(10):
            body, headers = self.commands.next()
            began = time.perf_counter()
            status, reply = post(self.urls[server], body, headers)
            elapsed = (time.perf_counter() - began) * 1000
            undo = _undo_value(reply)
            with self._lock:
                if undo is not None:
                    self.outcome.latencies_ms.append(elapsed)
                    self.saved.append((body, undo, server))
                    return
                if status == 200 and NOT_SAVED.encode() in reply:
                    self.outcome.not_saved += 1
                    continue
                self.outcome.errors += 1
                self.outcome.samples.append(f"HTTP {status}: {reply[:160]!r}")
                return

    def redeliver(self, item: tuple[bytes, str, int]) -> None:
        body, undo, server = item
        other = self.urls[(server + 1) % len(self.urls)]
        for _attempt in range(10):
            status, reply = post(other, body, self.commands.signed(body))
            if status == 200 and NOT_SAVED.encode() in reply:
                with self._lock:
                    self.outcome.not_saved += 1
                continue
            if _undo_value(reply) != undo:
                with self._lock:
                    self.outcome.redelivered_other_reply += 1
                    self.outcome.samples.append(f"re-delivery: HTTP {status}: {reply[:160]!r}")
            return


def _undo_value(reply: bytes) -> str | None:
    try:
        payload = json.loads(reply)
    except ValueError:
        return None
    for block in payload.get("blocks", []) if isinstance(payload, dict) else []:
        for element in block.get("elements", []):
            if isinstance(element, dict) and element.get("action_id"):
                return str(element.get("value"))
    return None


def expected_points(saved: list[tuple[bytes, str, int]], zone: str) -> Counter[str]:
    """What each rep logged, scored by the pure domain from the texts that were saved."""
    today = datetime.now(ZoneInfo(zone)).date()
    points: Counter[str] = Counter()
    for body, *_ in saved:
        fields = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        parsed = parse_log_text(fields["text"], DEFAULT_CATALOG, today)
        points[fields["user_id"]] += parsed.activity.points * parsed.count
    return points


def stored_points(database_url: str) -> tuple[int, Counter[str]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(Activity.user_id, func.count(), func.sum(Activity.points))
                .where(Activity.team_id == TEAM_ID, Activity.deleted_at.is_(None))
                .group_by(Activity.user_id)
            ).all()
    finally:
        engine.dispose()
    return sum(r[1] for r in rows), Counter({r[0]: int(r[2]) for r in rows})


def _quiet_for(slack: FakeSlack, seconds: float, timeout: float) -> float:
    """Wait until Slack has had no call for `seconds`; returns how long that took."""
    began = time.monotonic()
    seen, since = len(slack.calls), time.monotonic()
    while time.monotonic() - since < seconds:
        if time.monotonic() - began > timeout:
            break
        time.sleep(0.2)
        now_seen = len(slack.calls)
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()
    return time.monotonic() - began - seconds


def run_backend(mode: Mode, backend: str, log: Callable[[str], None]) -> Outcome:
    outcome = Outcome(backend)
    now = datetime.now(UTC)
    zone = working_zone(now)
    cast = cast_for(mode)
    with (
        FakeSlack(team_id=TEAM_ID) as slack,
        scratch_database(backend, "many") as database_url,
        tempfile.TemporaryDirectory(prefix="tally-many-") as folder,
        ExitStack() as running,
    ):
        for user in cast.everyone:
            slack.add_user(user, user.lower(), tz=zone)
        seed(database_url, cast, zone, now)
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
        clean.pop("LOG_LEVEL", None)
        env = {
            **clean,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": database_url,
            "TALLY_CONFIG": str(config_file(Path(folder), zone, now)),
            "TALLY_TICK_SECONDS": "1",
            "TALLY_ADMINS": "",
            "WEB_CONCURRENCY": "1",
            "WEB_THREADS": "8",
        }
        urls = [running.enter_context(serving(env)) for _ in range(mode.servers)]
        clock_logs = running.enter_context(clocks(env, mode.clocks, Path(folder)))
        load = Load(urls, SlashCommands(list(cast.reps), slack.base_url), outcome)
        # The first messages are out before the load starts, so later entries must edit them.
        slack.wait_until(lambda: slack.calls_to("chat.postMessage"), timeout=120)
        began = time.perf_counter()
        with ThreadPoolExecutor(mode.connections) as pool:
            list(pool.map(load.one, range(mode.logs)))
            step = max(1, len(load.saved) // max(1, mode.redeliveries))
            list(pool.map(load.redeliver, load.saved[::step][: mode.redeliveries]))
        outcome.seconds = time.perf_counter() - began
        outcome.sent = mode.logs
        log(f"  {backend}: {mode.logs} /log in {outcome.seconds:.1f} s; waiting for the clocks")
        outcome.settle_seconds = _quiet_for(slack, SETTLE_QUIET_S, timeout=300)
        _check(outcome, slack, cast, load, database_url, zone, clock_logs)
    return outcome


def _check(
    outcome: Outcome,
    slack: FakeSlack,
    cast: Cast,
    load: Load,
    database_url: str,
    zone: str,
    clock_logs: list[Path],
) -> None:
    entries, stored = stored_points(database_url)
    expected = expected_points(load.saved, zone)
    outcome.entries_off = abs(entries - len(load.saved))
    outcome.reps_off = sum(1 for rep in cast.reps if stored.get(rep, 0) != expected.get(rep, 0))
    posts = Counter(call.args["channel"] for call in slack.calls_to("chat.postMessage"))
    wanted = {"D" + m for m in cast.managers} | {"D" + o for o in cast.plan_owners}
    wanted.add(BOARD_CHANNEL)
    outcome.missing = len(wanted - set(posts))
    outcome.posts_off = sum(1 for channel in posts if posts[channel] != 1)
    outcome.digests = sum(1 for m in cast.managers if posts.get("D" + m))
    outcome.reminders = sum(1 for o in cast.plan_owners if posts.get("D" + o))
    outcome.updates = len(slack.calls_to("chat.update"))
    for manager in cast.managers:
        shown = [as_read(m, slack.user_name) for m in slack.messages_in("D" + manager)]
        reads = "\n".join(shown).replace("*", "")
        team = [rep for rep, boss in cast.reps.items() if boss == manager]
        if not all(f"@{rep.lower()} — {expected.get(rep, 0)} /" in reads for rep in team):
            outcome.digests_wrong += 1
            if len(outcome.samples) < 6:
                outcome.samples.append(f"digest for {manager}: {reads[:300]!r}")
    for path in clock_logs:
        for line in path.read_text(errors="replace").splitlines():
            if "Traceback" in line or "tick failed" in line:
                outcome.trouble_lines += 1
                if len(outcome.samples) < 6:
                    outcome.samples.append(f"{path.name}: {line[:200]}")


def run(mode: Mode, log: Callable[[str], None] = print) -> Section:
    outcomes = []
    for backend in mode.backends:
        outcome = run_backend(mode, backend, log)
        outcomes.append(outcome)
        log(f"  {backend}: {outcome.failures} failures; p99 {outcome.percentile(99):.0f} ms")
        for sample in outcome.samples:
            log(f"    e.g. {sample}")
    return _section(mode, outcomes)


def _section(mode: Mode, outcomes: list[Outcome]) -> Section:
    rows = [
        [
            o.backend,
            f"{o.sent:,} + {mode.redeliveries:,}",
            f"{o.sent / o.seconds:.0f}" if o.seconds else "-",
            f"{o.percentile(50):.0f} / {o.percentile(99):.0f}",
            o.not_saved,
            o.errors,
            o.redelivered_other_reply,
            o.entries_off,
            o.reps_off,
            f"{o.digests} + 1 + {o.reminders}",
            o.posts_off + o.missing,
            o.updates,
            o.digests_wrong,
            o.trouble_lines,
            f"{o.settle_seconds:.0f}",
            verdict(o.failures == 0),
        ]
        for o in outcomes
    ]
    reps = mode.managers * mode.reps_per_manager
    body = "\n".join(
        [
            f"{mode.servers} `tally serve` (gunicorn, 1 worker × 8 threads each) and "
            f"{mode.clocks} `tally clock` (a tick a second) on one database, against the fake "
            f"Slack. {mode.managers} managers with {reps} reps; {mode.managers} of the reps own "
            f"an overdue account plan; the digest, the leaderboard and the reminders are due "
            f"when the clocks start. Once the first is posted, while they send, {mode.logs:,} "
            f"signed `/log` commands arrive alternately at the two servers over "
            f"{mode.connections} connections, then "
            f"{mode.redeliveries} of them again (same body and `trigger_id`) at the *other* "
            f'server. A "Not saved" reply (the database busy) is sent again as a new command, '
            f"as the rep would. Then the run waits until Slack has heard nothing for "
            f"{SETTLE_QUIET_S:g} s.",
            "",
            "Target: zero in every column from *errors* on, except the posts and edits: every "
            "total exact, a re-delivery answered with the first reply (same Undo), each digest, "
            "the board and each reminder posted exactly once, every digest edited to show each "
            "rep's true total.",
            "",
            table(
                [
                    "database",
                    "/log + re-deliveries",
                    "req/s",
                    "p50 / p99 ms",
                    "not saved (sent again)",
                    "errors",
                    "re-delivery with another reply",
                    "entries off",
                    "reps' totals off",
                    "posted (digests + board + reminders)",
                    "channels not posted exactly once",
                    "digest edits",
                    "digests not showing true totals",
                    "clock tracebacks",
                    "settled after (s)",
                    "target",
                ],
                rows,
            ),
        ]
    )
    met = all(o.failures == 0 for o in outcomes)
    return Section("instances", "4. Many instances: 2 servers, 3 clocks, one database", body, met)
