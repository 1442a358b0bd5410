"""The knobs an org sets once: which activities count, the weekly goal, and when it applies."""

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
        return cls(catalog=catalog, weekly_goal=goal, goal_window=(window[0], window[1]))
