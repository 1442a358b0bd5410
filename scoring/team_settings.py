"""What a team's admins changed from Slack, over TALLY_CONFIG's defaults: the goal, its weeks,
the leaderboard and celebration channels, the schedule and the points table.

Kept as the differences only, so a default an operator changes later still reaches every team
that never touched it. Points are frozen on each entry when logged, so a change here prices the
next `/log` and never rewrites a past week.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import replace as with_changes
from functools import lru_cache
from typing import Any

from scoring.catalog import ActivityType, catalog_from_config
from scoring.rules import ScoringRules
from scoring.schedule import Slot, parse_slot

SCHEDULED = ("digest", "leaderboard", "reminders", "nudges")


@dataclass(frozen=True)
class NewActivity:
    key: str
    label: str
    points: int
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TeamSettings:
    weekly_goal: int | None = None
    goal_weeks: tuple[int, int] | None = None
    leaderboard_channel: str | None = None
    celebrate_channel: str | None = None
    schedule: Mapping[str, Slot] = field(default_factory=dict)  # SCHEDULED name -> slot
    points: Mapping[str, int] = field(default_factory=dict)  # activity key -> points
    added: tuple[NewActivity, ...] = ()
    retired: frozenset[str] = frozenset()

    def slot(self, name: str, default: Slot) -> Slot:
        return self.schedule.get(name, default)

    def rules(self, defaults: ScoringRules) -> ScoringRules:
        """The team's rules; ValueError says in one sentence what can't be (two activities
        answering to one name, every activity retired, …)."""
        return _overlay(defaults, self.to_json())

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "weekly_goal": self.weekly_goal,
            "goal_weeks": list(self.goal_weeks) if self.goal_weeks else None,
            "leaderboard_channel": self.leaderboard_channel,
            "celebrate_channel": self.celebrate_channel,
            "schedule": {name: slot.describe() for name, slot in sorted(self.schedule.items())},
            "points": dict(sorted(self.points.items())),
            "added": [
                {"key": a.key, "label": a.label, "points": a.points, "aliases": list(a.aliases)}
                for a in self.added
            ],
            "retired": sorted(self.retired),
        }
        return json.dumps({k: v for k, v in data.items() if v}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TeamSettings:
        data = json.loads(text) if text else {}
        weeks = data.get("goal_weeks")
        return cls(
            weekly_goal=data.get("weekly_goal"),
            goal_weeks=(weeks[0], weeks[1]) if weeks else None,
            leaderboard_channel=data.get("leaderboard_channel"),
            celebrate_channel=data.get("celebrate_channel"),
            schedule={name: parse_slot(text) for name, text in data.get("schedule", {}).items()},
            points=dict(data.get("points", {})),
            added=tuple(
                NewActivity(a["key"], a["label"], a["points"], tuple(a.get("aliases", ())))
                for a in data.get("added", [])
            ),
            retired=frozenset(data.get("retired", [])),
        )


@lru_cache(maxsize=256)
def _overlay(defaults: ScoringRules, text: str) -> ScoringRules:
    """Cached by the stored text: every `/log` asks, the settings rarely change."""
    mine = TeamSettings.from_json(text)
    entries: dict[str, dict[str, Any]] = {}
    for new in mine.added:
        entries[new.key] = {
            "key": new.key,
            "label": new.label,
            "points": new.points,
            "aliases": list(new.aliases),
        }
    for key, points in mine.points.items():
        entries.setdefault(key, {"key": key})["points"] = points
    for key in mine.retired:
        entries.setdefault(key, {"key": key})["retired"] = True
    known = {a.key for a in defaults.catalog.every} | {a.key for a in mine.added}
    catalog = catalog_from_config(
        [entry for key, entry in entries.items() if key in known], base=defaults.catalog
    )
    window = mine.goal_weeks or defaults.goal_window
    if window[0] > window[1]:
        raise ValueError(f"The goal's first week ({window[0]}) comes after its last ({window[1]}).")
    return with_changes(
        defaults,
        catalog=catalog,
        weekly_goal=mine.weekly_goal or defaults.weekly_goal,
        goal_window=window,
    )


@dataclass(frozen=True)
class Defaults:
    """What TALLY_CONFIG says, for every team that changed nothing."""

    rules: ScoringRules
    slots: Mapping[str, Slot]  # SCHEDULED name -> slot
    leaderboard_channel: str | None = None
    celebrate_channel: str | None = None


def changes(
    before: TeamSettings, after: TeamSettings, defaults: Defaults
) -> list[tuple[str, str, str]]:
    """(what, was, now) for each setting an admin changed, in words for the audit log; values
    are what was in force, a default included."""
    old, new = before.rules(defaults.rules), after.rules(defaults.rules)
    found: list[tuple[str, str, str]] = []

    def note(what: str, was: object, now: object) -> None:
        if was != now:
            found.append((what, _shown(was), _shown(now)))

    note("Weekly goal", old.weekly_goal, new.weekly_goal)
    note("Goal weeks", "{}–{}".format(*old.goal_window), "{}–{}".format(*new.goal_window))
    board, party = defaults.leaderboard_channel, defaults.celebrate_channel
    note(
        "Leaderboard channel",
        before.leaderboard_channel or board,
        after.leaderboard_channel or board,
    )
    note("Celebration channel", before.celebrate_channel or party, after.celebrate_channel or party)
    for name in SCHEDULED:
        default = defaults.slots[name]
        note(f"{name.capitalize()} time", before.slot(name, default), after.slot(name, default))
    for activity in new.catalog.every:
        was = old.catalog.get(activity.key)
        if was is None:
            note(f"{activity.label} (new)", None, f"{activity.points} pts")
            continue
        note(f"{activity.label} points", was.points, activity.points)
        note(f"{activity.label}", _state(was), _state(activity))
    return found


def _state(activity: ActivityType) -> str:
    return "retired" if activity.retired else "loggable"


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, Slot):
        return value.describe()
    return str(value)
