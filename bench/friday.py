"""Benchmark 2: Friday at scale — every manager's digest, the leaderboard, `/tally team`.

Each size is seeded in bulk into a database migrated by `storage.db.upgrade`: executemany
through SQLAlchemy Core on SQLite; on PostgreSQL the same rows are generated server-side (one
INSERT … SELECT FROM generate_series per week) with the activities' indexes dropped for the load
and rebuilt after from their own definitions, checked identical to production's. The timings
run in a fresh child process (`python -m bench.friday measure …`) on the production engine, so
peak RSS is that of building the Friday messages, not of seeding.
"""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert, text

from bench import Section, scratch_database, table, verdict
from scoring.catalog import DEFAULT_CATALOG
from scoring.weeks import iso_week_label
from storage.db import BACKGROUND_WAITS, MIGRATION_WAITS, make_engine, upgrade
from storage.models import AccountPlan, Activity, Member

TEAM_ID = "T0BENCH"
REPS_PER_MANAGER = 10
ROWS_PER_REP_13_WEEKS = 200  # 10,000 reps → 2,000,000 rows over 13 weeks
WEEK_MONDAY = date(2026, 11, 23)  # the digest's week: 2026-W48
NOW = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Friday afternoon
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "UTC")
CHUNK = 20_000

TARGET_RSS_MB = 250.0
# All digests of a 13-week workspace of this many reps, in at most so many seconds.
TARGET_DIGESTS_S = {10_000: 2.0, 100_000: 20.0}


@dataclass(frozen=True)
class Size:
    reps: int
    weeks: int = 13
    only_on: tuple[str, ...] = ()  # the databases it runs on, when not every one of the mode's

    @property
    def rows(self) -> int:
        return self.reps * ROWS_PER_REP_13_WEEKS * self.weeks // 13

    @property
    def label(self) -> str:
        return f"{self.reps:,} reps, {self.rows:,} rows / {self.weeks} wk"

    @property
    def target_s(self) -> float | None:
        return TARGET_DIGESTS_S.get(self.reps) if self.weeks == 13 else None

    def runs_on(self, backend: str) -> bool:
        return not self.only_on or backend in self.only_on


@dataclass(frozen=True)
class Mode:
    sizes: tuple[Size, ...]
    backends: tuple[str, ...]
    note: str = ""


FULL = Mode(
    sizes=(
        Size(1_000),
        Size(10_000),
        Size(10_000, weeks=26),
        Size(30_000),
        Size(100_000, only_on=("postgresql",)),
    ),
    backends=("sqlite", "postgresql"),
    note=(
        "100,000 reps (20,000,000 rows) is measured on PostgreSQL only: SQLite is seeded "
        "through executemany from Python (about 4 s per 1,000 reps here, so some 6–7 minutes "
        "for 100,000) and stops at 30,000 reps."
    ),
)
QUICK = Mode(
    sizes=(Size(1_000), Size(3_000), Size(3_000, weeks=26)),
    backends=("sqlite", "postgresql"),
    note="--quick: 1k and 3k reps (3k with 2× rows) instead of 1k / 10k / 100k.",
)
SMOKE = Mode(sizes=(Size(40), Size(40, weeks=26)), backends=("sqlite",), note="smoke")


# --- seeding ------------------------------------------------------------------------------


def _mondays(weeks: int) -> list[date]:
    return [WEEK_MONDAY - timedelta(days=7 * back) for back in range(weeks)]


def _members(size: Size) -> Iterator[dict[str, Any]]:
    created = datetime(2026, 1, 5, tzinfo=UTC)
    checked = NOW - timedelta(hours=3)
    managers = max(1, size.reps // REPS_PER_MANAGER)
    for m in range(managers):
        yield _member(
            f"UM{m:06d}",
            f"manager {m}",
            ZONES[m % len(ZONES)],
            None,
            None,
            "manager",
            created,
            checked,
        )
    for r in range(size.reps):
        start = WEEK_MONDAY - timedelta(days=7 * (r % 20)) if r % 3 == 0 else None
        yield _member(
            f"UR{r:07d}",
            f"rep {r}",
            ZONES[r % len(ZONES)],
            f"UM{r // REPS_PER_MANAGER:06d}",
            start,
            "rep",
            created,
            checked,
        )


def _member(user_id, name, tz, manager_id, start, role, created, checked) -> dict[str, Any]:
    return {
        "team_id": TEAM_ID,
        "user_id": user_id,
        "display_name": name,
        "tz": tz,
        "tz_checked_at": checked,
        "is_workspace_admin": False,
        "manager_id": manager_id,
        "onboarding_start": start,
        "role": role,
        "nudges_enabled": True,
        "created_at": created,
    }


def _activities(size: Size) -> Iterator[dict[str, Any]]:
    """Oldest week first, as rows arrive in production, so a week's rows sit together."""
    catalog = list(DEFAULT_CATALOG)
    mondays = _mondays(size.weeks)
    labels = [iso_week_label(m) for m in mondays]
    per_rep = size.rows // size.reps
    n = 0
    for w in reversed(range(size.weeks)):
        for r in range(size.reps):
            user = f"UR{r:07d}"
            for i in range(w, per_rep, size.weeks):
                activity = catalog[(i * 7 + r) % len(catalog)]
                count = 1 + (i + r) % 4 if activity.points == 1 else 1
                day = mondays[w] + timedelta(days=(i + r) % 5)
                when = datetime(day.year, day.month, day.day, 14, (i * 13) % 60, tzinfo=UTC)
                yield {
                    "team_id": TEAM_ID,
                    "user_id": user,
                    "activity_key": activity.key,
                    "count": count,
                    "points": activity.points * count,
                    "happened_at": when,
                    "local_day": day,
                    "week": labels[w],
                    "note": "",
                    "amount": None,
                    "source": "slash",
                    "logged_by": user,
                    "idempotency_key": f"seed:{n}",
                    "created_at": when,
                    "deleted_at": when + timedelta(minutes=1) if n % 50 == 0 else None,
                }
                n += 1


def _plans(size: Size) -> Iterator[dict[str, Any]]:
    for r in range(0, size.reps, 5):
        yield {
            "team_id": TEAM_ID,
            "owner_id": f"UR{r:07d}",
            "account": f"Account {r}",
            "account_key": f"account {r}",
            "cadence_unit": "month",
            "cadence_count": 1,
            "last_reviewed": WEEK_MONDAY - timedelta(days=20 + r % 30),
            "snoozed_until": None,
            "created_by": f"UR{r:07d}",
            "created_at": NOW - timedelta(days=60),
        }


def _chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed(engine: Engine, size: Size) -> float:
    """Fill an upgraded, empty database; returns the seconds it took."""
    started = time.perf_counter()
    with engine.begin() as connection:
        for model, rows in ((Member, _members(size)), (AccountPlan, _plans(size))):
            for chunk in _chunks(rows):
                connection.execute(insert(model.__table__), chunk)
        if engine.dialect.name != "postgresql":
            for chunk in _chunks(_activities(size)):
                connection.execute(insert(Activity.__table__), chunk)
    if engine.dialect.name == "postgresql":
        _generate_activities(engine, size)
        # What autovacuum does to a freshly loaded table in production.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("SET statement_timeout = 0"))
            connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


# The rows of `_activities`, made by PostgreSQL itself: one INSERT … SELECT FROM generate_series
# per week, oldest week first, n numbering the rows exactly as `_activities` counts them.
_WEEK_SQL = """
INSERT INTO activities (team_id, user_id, activity_key, count, points, happened_at, local_day,
    week, note, amount, currency, source, logged_by, idempotency_key, created_at, deleted_at,
    status, reviewed_by, reviewed_at, review_reason)
SELECT :team_id, u, keys[k], c, pts[k] * c, at, day, :week, '', NULL, NULL, 'slash', u,
    'seed:' || n, at, CASE WHEN n % 50 = 0 THEN at + interval '1 minute' END,
    'counted', NULL, NULL, NULL
FROM (SELECT CAST(:keys AS text[]) AS keys, CAST(:points AS int[]) AS pts,
             CAST(:first AS bigint) AS first, CAST(:per_week AS bigint) AS per_week) AS p,
    generate_series(p.first, p.first + CAST(:reps AS bigint) * p.per_week - 1) AS n,
    LATERAL (SELECT CAST((n - p.first) / p.per_week AS int) AS r,
                    CAST(:w + (n - p.first) % p.per_week * :weeks AS int) AS i) AS ri,
    LATERAL (SELECT 'UR' || lpad(r::text, 7, '0') AS u, (i * 7 + r) % CAST(:kinds AS int) + 1 AS k,
                    CAST(:monday AS date) + (i + r) % 5 AS day) AS who,
    LATERAL (SELECT CASE WHEN pts[k] = 1 THEN 1 + (i + r) % 4 ELSE 1 END AS c,
                    (day + make_time(14, (i * 13) % 60, 0)) AT TIME ZONE 'UTC' AS at) AS what
"""


def _generate_activities(engine: Engine, size: Size) -> None:
    """`_activities(size)` generated server-side, with the table's indexes and unique
    constraints dropped for the load and rebuilt after from their own definitions, so the
    schema ends up exactly as `storage.db.upgrade` made it (checked)."""
    catalog = list(DEFAULT_CATALOG)
    mondays = _mondays(size.weeks)
    per_rep = size.rows // size.reps
    with engine.begin() as connection:
        connection.execute(text("SET LOCAL statement_timeout = 0"))
        before = _activity_schema(connection)
        rebuild = _drop_activity_indexes(connection)
        first = 0
        for w in reversed(range(size.weeks)):
            per_week = len(range(w, per_rep, size.weeks))
            connection.execute(
                text(_WEEK_SQL),
                {
                    "team_id": TEAM_ID,
                    "week": iso_week_label(mondays[w]),
                    "monday": mondays[w],
                    "keys": [a.key for a in catalog],
                    "points": [a.points for a in catalog],
                    "kinds": len(catalog),
                    "first": first,
                    "reps": size.reps,
                    "per_week": per_week,
                    "w": w,
                    "weeks": size.weeks,
                },
            )
            first += size.reps * per_week
        connection.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
        for statement in rebuild:
            connection.execute(text(statement))
        after = _activity_schema(connection)
    if after != before:
        raise RuntimeError(f"activities' indexes changed in seeding:\n{before}\n{after}")


def _activity_schema(connection: Any) -> list[tuple[str, ...]]:
    """Every index and constraint on activities, as PostgreSQL defines them."""
    indexes = connection.execute(
        text(
            "SELECT 'index', indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = 'activities'"
        )
    )
    constraints = connection.execute(
        text(
            "SELECT contype::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'activities'::regclass OR confrelid = 'activities'::regclass"
        )
    )
    return sorted(tuple(row) for row in [*indexes, *constraints])


def _drop_activity_indexes(connection: Any) -> list[str]:
    """Drop activities' primary key, unique constraints and other indexes; returns the
    statements that rebuild them. A foreign key pointing at the table keeps its key."""
    referenced = connection.execute(
        text("SELECT 1 FROM pg_constraint WHERE confrelid = 'activities'::regclass")
    ).first()
    kinds = "('u')" if referenced else "('p', 'u')"
    constraints = connection.execute(
        text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            f"WHERE conrelid = 'activities'::regclass AND contype IN {kinds} ORDER BY conname"
        )
    ).all()
    indexes = connection.execute(
        text(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = 'activities'::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname"
        )
    ).all()
    rebuild = []
    for name, definition in constraints:
        connection.execute(text(f'ALTER TABLE activities DROP CONSTRAINT "{name}"'))
        rebuild.append(f'ALTER TABLE activities ADD CONSTRAINT "{name}" {definition}')
    for name, definition in indexes:
        connection.execute(text(f'DROP INDEX "{name}"'))
        rebuild.append(definition)
    return rebuild


# --- measuring (in a child process) -------------------------------------------------------


def measure(url: str) -> dict[str, Any]:
    """Time the Friday work on a seeded database; run in a fresh process for a clean peak RSS."""
    from bot.settings import load_settings
    from handlers.digest import digests_for_week
    from handlers.leaderboard import leaderboard_draft
    from handlers.reports import team_reports
    from storage.db import make_session_factory
    from storage.members import team_of

    _forget_inherited_peak()
    rules = load_settings({}, slack=False).rules
    week = iso_week_label(WEEK_MONDAY)
    # What `tally clock` and `tally digest` open (their statements may take 2 minutes, a
    # request's 1.5 s), and apart from it what a request uses, for `/tally team`.
    engine = make_engine(url, waits=BACKGROUND_WAITS)
    sessions = make_session_factory(engine, read_only=True)  # as the clock drafts
    request_engine = make_engine(url)
    requests = make_session_factory(request_engine)
    statements = [0]

    def _count(*_args: object) -> None:
        statements[0] += 1

    for counted in (engine, request_engine):
        event.listen(counted, "before_cursor_execute", _count)

    rss_before = _peak_rss_mb()
    result: dict[str, Any] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        statements[0] = 0
        began = time.perf_counter()
        value = work()
        result[name] = time.perf_counter() - began
        result[f"{name}_statements"] = statements[0]
        return value

    with sessions() as session:
        # Counted as they stream, as `tally digest` enqueues them, so RSS is what a run holds.
        drafts = timed(
            "digests", lambda: sum(1 for _ in digests_for_week(session, rules, week, NOW))
        )
        result["digest_count"] = drafts
    with sessions() as session:
        timed("digests_again", lambda: sum(1 for _ in digests_for_week(session, rules, week, NOW)))
    with sessions() as session:
        board = timed(
            "leaderboard", lambda: leaderboard_draft(session, rules, TEAM_ID, "C0BOARD", week)
        )
        result["board_ok"] = board is not None
    with requests() as session:
        managers = [f"UM{m:06d}" for m in range(5)]

        def team() -> int:
            reps = [r for m in managers for r in team_of(session, TEAM_ID, m)]
            return len(team_reports(session, rules, reps, NOW))

        result["team_size"] = timed("team", team)
    result["rss_before_mb"] = rss_before
    result["peak_rss_mb"] = _peak_rss_mb()
    engine.dispose()
    request_engine.dispose()
    return result


def _forget_inherited_peak() -> None:
    """Start this process's peak RSS afresh. Linux keeps ru_maxrss across execve, so the
    measuring child of a big process (the profile section's, ~480 MB) reported its parent's
    peak; VmHWM, reset here, is this program's own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_mb() -> float:
    """Peak RSS since `_forget_inherited_peak` (ru_maxrss where there is no /proc)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    [kb] = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    return int(kb) / 1024


def _measure_in_child(url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.friday", "measure", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"measuring failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the benchmark ------------------------------------------------------------------------


def run(mode: Mode, log: Callable[[str], None] = print) -> Section:
    rows = []
    results: dict[tuple[str, Size], dict[str, Any]] = {}
    for backend in mode.backends:
        for size in mode.sizes:
            if not size.runs_on(backend):
                continue
            with scratch_database(backend, "friday") as url:
                engine = make_engine(url, waits=MIGRATION_WAITS)
                upgrade(engine)
                seeded = seed(engine, size)
                engine.dispose()
                found = _measure_in_child(url)
            found["seed_s"] = seeded
            results[(backend, size)] = found
            log(
                f"  {backend:<10} {size.label:<38} seed {seeded:6.1f} s  "
                f"digests {found['digests']:6.2f} s ({found['digest_count']} msgs, "
                f"{found['digests_statements']} SQL)  board {found['leaderboard']:.3f} s  "
                f"team {found['team']:.3f} s  peak RSS {found['peak_rss_mb']:.0f} MB"
            )
            rows.append(_row(backend, size, found))
    all_met = all(
        r["digests"] <= s.target_s for (b, s), r in results.items() if s.target_s is not None
    ) and all(r["peak_rss_mb"] <= TARGET_RSS_MB for r in results.values())
    growth = _growth(mode, results)
    all_met &= growth[1]
    body = "\n".join(
        [
            f"One workspace, {REPS_PER_MANAGER} reps per manager, {ROWS_PER_REP_13_WEEKS} "
            "activities per rep per 13 weeks (2% undone), a fifth of reps with an account plan. "
            "Seeded oldest week first, as production inserts, in bulk: executemany on SQLite; "
            "on PostgreSQL the same rows generated server-side (INSERT … SELECT FROM "
            "generate_series, a statement per week) with the activities' primary key, unique "
            "constraint and indexes dropped for the load and rebuilt from their own definitions "
            "after it (checked identical to `storage.db.upgrade`'s), then VACUUM ANALYZE as "
            "autovacuum would. Timed in a fresh process on the engine `tally clock` uses "
            "(`BACKGROUND_WAITS`): "
            "`handlers.digest.digests_for_week` (every manager's `digest_draft`, no network), "
            "`handlers.leaderboard.leaderboard_draft` for the whole workspace, and "
            "`/tally team` for a 50-rep team (`storage.members.team_of` + "
            '`handlers.reports.team_reports`). "again" is a second pass in the same process.',
            "",
            "Targets: all digests ≤ "
            + " and ".join(f"{t:g} s for {n:,} reps" for n, t in TARGET_DIGESTS_S.items())
            + f" on each database that runs the size; peak RSS ≤ {TARGET_RSS_MB:g} MB; cost "
            "grows linearly with reps, not with stored rows.",
            "",
            mode.note,
            "",
            table(
                [
                    "database",
                    "size",
                    "seed s",
                    "digests s",
                    "again s",
                    "SQL stmts",
                    "board s",
                    "team (50) s",
                    "peak RSS MB",
                    "target",
                ],
                rows,
            ),
            "",
            growth[0],
        ]
    )
    return Section(
        "friday", "2. Friday at scale (digests, leaderboard, `/tally team`)", body, all_met
    )


def _row(backend: str, size: Size, found: dict[str, Any]) -> list[object]:
    checks = [found["peak_rss_mb"] <= TARGET_RSS_MB]
    if size.target_s is not None:
        checks.append(found["digests"] <= size.target_s)
    return [
        backend,
        size.label,
        f"{found['seed_s']:.1f}",
        f"{found['digests']:.2f}",
        f"{found['digests_again']:.2f}",
        found["digests_statements"],
        f"{found['leaderboard']:.3f}",
        f"{found['team']:.3f}",
        f"{found['peak_rss_mb']:.0f}",
        verdict(all(checks)) + ("" if len(checks) > 1 else " (RSS only)"),
    ]


def _growth(mode: Mode, results: dict[tuple[str, Size], dict[str, Any]]) -> tuple[str, bool]:
    """Digest time per 1,000 reps across sizes (linear: within 1.3× of the 10,000-rep figure
    from 10,000 reps up), and the 2×-rows pair (same reps, twice the history)."""
    lines = ["Growth: digest time per 1,000 reps, and the effect of doubling stored history:", ""]
    rows, ok = [], True
    for backend in mode.backends:
        base = results.get((backend, Size(10_000)))
        base_k = base["digests"] / 10 if base else None
        for size in mode.sizes:
            found = results.get((backend, size))
            if found is None:
                continue
            per_k = found["digests"] / (size.reps / 1000)
            versus = ""
            if base_k and size.weeks == 13:
                versus = f"×{per_k / base_k:.2f}"
                if size.reps > 10_000 and per_k / base_k > 1.3:
                    ok = False
                    versus += " **not linear**"
            rows.append([backend, size.label, f"{per_k * 1000:.0f} ms", versus])
        pairs = [
            (s, d)
            for s in mode.sizes
            for d in mode.sizes
            if s.reps == d.reps and s.weeks == 13 and d.weeks == 26
        ]
        for single, double in pairs:
            if (backend, single) not in results or (backend, double) not in results:
                continue
            a, b = results[(backend, single)], results[(backend, double)]
            ratio = b["digests"] / a["digests"]
            board = b["leaderboard"] / a["leaderboard"]
            fine = ratio <= 1.3
            ok &= fine
            lines.append(
                f"- {backend}, {single.reps:,} reps: digests {a['digests']:.2f} s with "
                f"{single.rows:,} rows, {b['digests']:.2f} s with {double.rows:,} rows "
                f"(×{ratio:.2f}: {'flat' if fine else '**grows with stored rows**'}); "
                f"leaderboard {a['leaderboard']:.3f} → {b['leaderboard']:.3f} s "
                f"(×{board:.2f}{': **grows with stored rows**' if board > 1.3 else ''})"
            )
    headers = ["database", "size", "digest time per 1,000 reps", "vs 10,000 reps"]
    lines += ["", table(headers, rows)]
    lines += [
        "",
        "All digests of a team are built a chunk of 100 managers (1,000 reps here) at a time "
        "(`handlers.digest.build_digests`); on PostgreSQL two chunks are read ahead by two "
        "sessions while a helper thread draws the one before, so the database's work overlaps "
        "Python's (SQLite reads and draws in turn: its driver takes the GIL back per row, so "
        "threads only take turns); PostgreSQL connections run with jit=off (past "
        "jit_above_cost, at some 50,000 reps, compiling each chunk's statement cost a third of "
        "it). Drafts are read in a read-only transaction and stream into the outbox a hundred "
        "per write transaction, so "
        "peak memory stays flat whatever the workspace size, the cost is work per rep, and no "
        "`/log` waits behind the drafting. A chunk's reps are picked by their managers in SQL "
        "(`storage.digest_rows`), so no statement binds a thousand ids; its five weeks (the "
        "week in full, and the four before it as a total per rep and week and a sum per rep "
        "and activity: what the trend and whom to coach read) are one statement with a branch "
        "per week, each served by `ix_activities_week_sums` (team_id, week, "
        "user_id), and carry each rep's latest day too: the last day is read from the weeks "
        "from the oldest shown on (found by an index probe per week), and only a rep quiet in "
        "all of them is looked up in their whole history, so only those weeks are read "
        "whatever the history length. Each rep's line is drawn by a plain function "
        "(`handlers.digest.rep_line`), not a template.",
    ]
    return "\n".join(lines), ok


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "measure":
        print(json.dumps(measure(sys.argv[2])))
        sys.exit(0)
    sys.exit("usage: python -m bench.friday measure DATABASE_URL")
