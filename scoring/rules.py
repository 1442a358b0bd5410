"""The knobs an org sets once: which activities count, the weekly goal, when it applies, the
most a coaching suggestion may ask of one day, the holidays nobody works, the activities whose
entries count only once a manager approves them, and those celebrated in a channel."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from scoring.catalog import CLOSED_WON, Catalog
from scoring.time_off import days_not_worked, prorated_goal

DEFAULT_WEEKLY_GOAL = 500
DEFAULT_GOAL_WINDOW = (3, 13)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


@dataclass(frozen=True)
class ScoringRules:
    catalog: Catalog
    weekly_goal: int = DEFAULT_WEEKLY_GOAL
    goal_window: tuple[int, int] = DEFAULT_GOAL_WINDOW
    max_day_points: int | None = None  # None: 1.5 × an even day's share of the goal
    holidays: frozenset[date] = frozenset()  # company holidays: nobody's working days
    needs_approval: frozenset[str] = frozenset()  # activity keys a manager approves first
    celebrate: frozenset[str] = frozenset({CLOSED_WON})  # activity keys cheered in a channel

    @property
    def realistic_day(self) -> int:
        """The most points a suggestion asks for in one working day."""
        return self.max_day_points or default_day_points(self.weekly_goal)

    def not_worked(self, monday: date, days_off: Collection[date]) -> set[int]:
        """Weekdays (0 is Monday) of `monday`'s week this rep doesn't work: theirs and holidays."""
        return days_not_worked(monday, days_off, self.holidays)

    def week_goal(self, monday: date, days_off: Collection[date] = ()) -> int | None:
        """The weekly goal pro-rated to the week's working days; None for a week away."""
        return prorated_goal(self.weekly_goal, monday, days_off, self.holidays)

    @classmethod
    def from_config(cls, catalog: Catalog, data: Mapping[str, Any]) -> ScoringRules:
        """Validate the goal settings of a TALLY_CONFIG document."""
        goal = data.get("weekly_goal", DEFAULT_WEEKLY_GOAL)
        if not isinstance(goal, int) or isinstance(goal, bool) or goal <= 0:
            raise ValueError(f"weekly_goal must be a positive whole number, got {goal!r}.")
        window = data.get("goal_weeks", list(DEFAULT_GOAL_WINDOW))
        if (
            not isinstance(window, list)
            or len(window) != 2
            or not all(isinstance(w, int) and w >= 1 for w in window)
            or window[0] > window[1]
        ):
            raise ValueError(f"goal_weeks must be [first, last] onboarding weeks, got {window!r}.")
        most = data.get("max_day_points")
        if most is not None and (not isinstance(most, int) or isinstance(most, bool) or most <= 0):
            raise ValueError(f"max_day_points must be a positive whole number, got {most!r}.")
        return cls(
            catalog=catalog,
            weekly_goal=goal,
            goal_window=(window[0], window[1]),
            max_day_points=most,
            holidays=_holidays(data.get("holidays", [])),
            needs_approval=_keys(catalog, "needs_approval", data.get("needs_approval", [])),
            celebrate=_keys(catalog, "celebrate", data.get("celebrate", [CLOSED_WON])),
        )


def _keys(catalog: Catalog, name: str, keys: object) -> frozenset[str]:
    """`needs_approval = ["closed_won"]`, `celebrate = […]`: activity keys of the catalog. The
    default celebration of closed-won stays quiet in a catalog without one."""
    if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
        raise ValueError(f"{name} must be a list of activity keys, got {keys!r}.")
    unknown = [key for key in keys if catalog.get(key) is None]
    if unknown and not (name == "celebrate" and unknown == [CLOSED_WON]):
        known = ", ".join(activity.key for activity in catalog)
        raise ValueError(f"{name} names {', '.join(unknown)}: not in the catalog ({known}).")
    return frozenset(keys)


def _holidays(days: object) -> frozenset[date]:
    """`holidays = ["2026-12-25", …]`; TOML dates are taken too."""
    if not isinstance(days, list):
        raise ValueError(f'holidays must be a list of dates like ["2026-12-25"], got {days!r}.')
    dates = set()
    for day in days:
        parsed = _calendar_day(day)
        if parsed is None:
            raise ValueError(f'holidays must be dates like "2026-12-25", got {day!r}.')
        dates.add(parsed)
    return frozenset(dates)


def _calendar_day(value: object) -> date | None:
    """A TOML date or a "YYYY-MM-DD" string; a date-time is no day."""
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def default_day_points(weekly_goal: int) -> int:
    """A strong but believable day: one and a half times an even fifth of the weekly goal."""
    return max(1, weekly_goal * 3 // 10)
