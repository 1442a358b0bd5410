"""Benchmark 5: drawing `/tally chart`'s PNGs — a rep's 13 weeks and a team's week.

Only the drawing is timed (`handlers.chart_images`, no database, no Slack), each chart many
times in one process after a warm-up; the first chart of a fresh process (importing matplotlib,
loading fonts) is timed apart, in a child process, since a worker pays it once.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from bench import Section, table, verdict
from handlers.chart_images import rep_chart_png, team_chart_png
from scoring.chart_data import RepBar, WeekBar

TARGET_MS = 300.0  # per chart, at the median and at p95
TARGET_TEAM = 10  # reps: bench/friday.py's team size
SURNAMES = ("Lee", "Okafor", "Castellanos", "Nguyen", "Van der Berg-Hollister", "Smith", "Ito")


@dataclass(frozen=True)
class Mode:
    repeats: int
    team_sizes: tuple[int, ...]


FULL = Mode(repeats=60, team_sizes=(10, 25, 50))
QUICK = Mode(repeats=20, team_sizes=(10, 50))
SMOKE = Mode(repeats=2, team_sizes=(10,))


def rep_weeks() -> list[WeekBar]:
    """A new rep's quarter: two weeks without a goal, a pro-rated week, weeks met and missed."""
    points = [40, 180, 420, 510, 560, 290, 640, 260, 505, 530, 610, 95, 380]
    return [
        WeekBar(f"2026-W{36 + n}", p, None if n < 2 else 300 if n == 7 else 500, n + 1)
        for n, p in enumerate(points)
    ]


def team(size: int) -> list[RepBar]:
    """`size` reps with names of everyday lengths, most points first."""
    names = (f"{SURNAMES[n % len(SURNAMES)]} {n:02d}" for n in range(size))
    bars = [  # every ninth rep in an onboarding week without a goal
        RepBar(name, (n * 137) % 720, None if n % 9 == 8 else 500) for n, name in enumerate(names)
    ]
    return sorted(bars, key=lambda bar: -bar.points)


def _cold_first_chart_ms() -> float:
    """Importing matplotlib and the first chart in a fresh interpreter that has loaded the
    app's handlers already, as a worker's first `/tally chart`."""
    code = (
        "import handlers.tally_command, scoring.chart_data, time\n"
        "t = time.perf_counter()\n"
        "from handlers.chart_images import rep_chart_png\n"
        "from scoring.chart_data import WeekBar\n"
        "rep_chart_png('first', [WeekBar('2026-W48', 120, 500, None)])\n"
        "print((time.perf_counter() - t) * 1000)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return float(done.strip().splitlines()[-1])


def _timed(draw: Callable[[], bytes], repeats: int) -> tuple[list[float], float, int]:
    """Wall-clock ms of each draw, sorted; the median CPU ms, which other processes on the
    machine don't inflate; the PNG's size."""
    draw()  # warm-up: fonts and glyph caches
    times, cpu, size = [], [], 0
    for _ in range(repeats):
        began, began_cpu = time.perf_counter(), time.process_time()
        size = len(draw())
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return sorted(times), statistics.median(cpu), size


def run(mode: Mode, log: Callable[[str], None] = print) -> Section:
    charts: list[tuple[str, Callable[[], bytes], bool]] = [
        ("rep, 13 weeks", partial(rep_chart_png, "Rep: points per week", rep_weeks()), True)
    ]
    for size in mode.team_sizes:
        bars = team(size)
        draw = partial(team_chart_png, "Team week", bars)
        charts.append((f"team, {size} reps", draw, size <= TARGET_TEAM))
    rows, met = [], True
    for label, draw, targeted in charts:
        times, cpu, size = _timed(draw, mode.repeats)
        median = statistics.median(times)
        p95 = times[math.ceil(0.95 * len(times)) - 1]
        ok = median <= TARGET_MS and p95 <= TARGET_MS
        met &= ok or not targeted
        log(
            f"  {label:<16} median {median:6.1f} ms  p95 {p95:6.1f} ms  "
            f"CPU {cpu:6.1f} ms  {size / 1024:.0f} KB"
        )
        rows.append(
            [
                label,
                mode.repeats,
                f"{median:.1f}",
                f"{p95:.1f}",
                f"{times[-1]:.1f}",
                f"{cpu:.1f}",
                f"{size / 1024:.0f}",
                verdict(ok) if targeted else "—",
            ]
        )
    cold = _cold_first_chart_ms()
    log(f"  a worker's first chart (import matplotlib + fonts + draw): {cold:.0f} ms")
    body = "\n".join(
        [
            "`handlers.chart_images.rep_chart_png` and `team_chart_png` as `/tally chart` calls "
            "them: a Figure of its own per chart on the Agg canvas, 1,600 px wide at 200 dpi, "
            f"PNG bytes out. Each chart drawn {mode.repeats} times after one warm-up, in one "
            "thread; no database, no Slack. Times are wall-clock; CPU ms (the median) is "
            "what the drawing itself costs when other processes share the cores.",
            "",
            f"Targets: median and p95 ≤ {TARGET_MS:g} ms for a rep's chart and a "
            f"{TARGET_TEAM}-rep team; bigger teams (taller images) are shown for the trend.",
            "",
            table(
                ["chart", "draws", "median ms", "p95 ms", "max ms", "CPU ms", "PNG KB", "target"],
                rows,
            ),
            "",
            f"A worker's first chart (a fresh process with the handlers loaded: importing "
            f"matplotlib, loading fonts, drawing): {cold:.0f} ms, paid once per worker, since "
            "matplotlib is imported only when a worker first draws.",
        ]
    )
    return Section("charts", "5. Charts (`/tally chart` PNGs)", body, met)
