"""A rep's week summed up, a progress bar for it, and the team leaderboard."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from scoring.catalog import Catalog


class LineItem(NamedTuple):
    """A tuple, not a frozen dataclass: a Friday makes one per rep and activity (118,000 at
    10,000 reps), and a frozen dataclass's `__init__` sets each field through
    `object.__setattr__`."""

    key: str
    label: str
    count: int
    points: int


@dataclass(frozen=True)
class WeekTally:
    total: int
    items: tuple[LineItem, ...]  # biggest earners first, then by label


def tally_week(rows: Iterable[tuple[str, int, int]], catalog: Catalog) -> WeekTally:
    """Sum (activity key, count, points earned) rows per activity.

    Points are taken as stored, not re-priced, so changing the catalog never rewrites a past
    week; a key since dropped from the catalog is shown under the key itself.
    """
    counts: dict[str, int] = {}
    points: dict[str, int] = {}
    for key, count, earned in rows:
        counts[key] = counts.get(key, 0) + count
        points[key] = points.get(key, 0) + earned
    labels = catalog.labels
    # Sorted as plain tuples, biggest first: a key function is a Python call per item, and a
    # Friday sorts the lines of every rep.
    order = sorted([(-earned, labels.get(key, key), key) for key, earned in points.items()])
    items = tuple(LineItem(key, label, counts[key], -earned) for earned, label, key in order)
    return WeekTally(sum(points.values()), items)


def progress_bar(total: int, goal: int, width: int = 10) -> str:
    """E.g. "▰▰▰▰▱▱▱▱▱▱ 40%"; the bar stops at full, the percentage doesn't."""
    if goal <= 0:
        raise ValueError(f"The goal must be above 0, not {goal}.")
    filled = min(width, max(0, total * width // goal))
    return f"{'▰' * filled}{'▱' * (width - filled)} {max(0, total) * 100 // goal}%"


@dataclass(frozen=True)
class Standing:
    rank: int
    user_id: str
    points: int


def rank_totals(totals: Mapping[str, int]) -> list[Standing]:
    """Leaderboard with competition ranking (1, 2, 2, 4); ties listed by user id so it's stable."""
    ordered = sorted(totals.items(), key=lambda entry: (-entry[1], entry[0]))
    standings: list[Standing] = []
    for position, (user_id, points) in enumerate(ordered, start=1):
        tied = standings and standings[-1].points == points
        standings.append(Standing(standings[-1].rank if tied else position, user_id, points))
    return standings
