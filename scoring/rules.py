"""The knobs an org sets once: which activities count, the weekly goal, when it applies, and
the most a coaching suggestion may ask of one day."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scoring.catalog import Catalog

DEFAULT_WEEKLY_GOAL = 500
DEFAULT_GOAL_WINDOW = (3, 13)


@dataclass(frozen=True)
class ScoringRules:
    catalog: Catalog
    weekly_goal: int = DEFAULT_WEEKLY_GOAL
    goal_window: tuple[int, int] = DEFAULT_GOAL_WINDOW
    max_day_points: int | None = None  # None: 1.5 × an even day's share of the goal

    @property
    def realistic_day(self) -> int:
        """The most points a suggestion asks for in one working day."""
        return self.max_day_points or default_day_points(self.weekly_goal)

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
        )


def default_day_points(weekly_goal: int) -> int:
    """A strong but believable day: one and a half times an even fifth of the weekly goal."""
    return max(1, weekly_goal * 3 // 10)
