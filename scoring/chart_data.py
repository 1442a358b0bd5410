"""The numbers a chart draws, taken from the sheet's rows so a chart never disagrees with
`/tally`, the export or the digest: a rep's recent weeks, and a team's week rep by rep."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.sheet import RepWeek
from scoring.weeks import iso_week_label, week_start

CHART_WEEKS = 13  # a quarter: the onboarding SOP's span


@dataclass(frozen=True)
class WeekBar:
    """One week of a rep's chart."""

    week: str  # ISO label, "2026-W48"
    points: int
    goal: int | None  # None: no goal that week (onboarding weeks 1–2, a week away)
    onboarding_week: int | None

    @property
    def below_goal(self) -> bool:
        return self.goal is not None and self.points < self.goal


@dataclass(frozen=True)
class RepBar:
    """One rep of a team's chart."""

    name: str
    points: int
    goal: int | None  # None: no goal for this rep this week

    @property
    def below_goal(self) -> bool:
        return self.goal is not None and self.points < self.goal


def chart_weeks(today: date, count: int = CHART_WEEKS) -> tuple[str, ...]:
    """The `count` ISO weeks up to and including `today`'s, oldest first."""
    monday = week_start(today)
    return tuple(iso_week_label(monday - timedelta(weeks=n)) for n in reversed(range(count)))


def rep_series(rows: Iterable[RepWeek], user_id: str) -> list[WeekBar]:
    """`user_id`'s weeks among the sheet's rows, oldest first."""
    mine = sorted((row for row in rows if row.rep.user_id == user_id), key=lambda r: r.week)
    return [WeekBar(r.week, r.points, r.goal, r.onboarding_week) for r in mine]


def team_bars(rows: Sequence[RepWeek], week: str) -> list[RepBar]:
    """Each rep's `week`, most points first, ties by name: the order of the board."""
    bars = [RepBar(row.rep.name, row.points, row.goal) for row in rows if row.week == week]
    return sorted(bars, key=lambda bar: (-bar.points, bar.name.lower(), bar.name))
