"""How a rep's week is going against the goal, and what would close the gap.

Pace is measured in working time — Monday to Friday, 09:00 to 17:00 local, less the rep's days
off and holidays — so a quiet Monday morning isn't "behind", nor is a Monday off; once the
weekend starts the week counts as over. Suggestions plan one realistic working day, made of
what this rep usually logs.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache

from scoring.catalog import ActivityType, Catalog
from scoring.rules import default_day_points

_DAY_START = 9 * 60  # minutes after midnight
_DAY = 8 * 60
_WEEKDAYS = range(5)
_TOO_EARLY = _DAY  # a straight line through less than a working day says little
_TOO_LATE = 60  # with less than an hour of the working day left, plan the next one
_MOST_FILLERS = 5  # more than this many small activities reads as a chore, not a suggestion
_MOST_KINDS = 3  # a day of more kinds of activity than this reads as a list, not a plan
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")

Plan = list[tuple[ActivityType, int]]


@dataclass(frozen=True)
class Coaching:
    """One day's plan and what it would achieve, worded for the rep or about them."""

    kind: str  # "met" | "goal" | "pace" | "keep" | "in_reach" | "out_of_reach" | "week_over"
    #            | "weekend" | "points"
    to_go: int = 0
    plan: str = ""  # "4 self-led demos and 3 calls"
    when: str = ""  # "today" | "tomorrow" | "on Monday"

    def say(self, name: str | None = None) -> str:
        """The sentence; `name` (shown as given) speaks about the rep instead of to them."""
        would = "You'd" if name is None else f"{name} would"
        are = "You're" if name is None else f"{name} is"
        day = f"{self.plan} {self.when}"
        monday = f" {self.plan} on Monday would start next week on pace." if self.plan else ""
        sentences = {
            "met": "Goal met — nice work!",
            "points": f"{self.to_go} pts to go.",
            "goal": f"{would} reach the goal with {day}.",
            "pace": f"{would} be on pace with {day}.",
            "keep": f"{are} on pace; {day} would keep it that way.",
            "in_reach": f"Strong days can still reach the goal: {day} would be one.",
            "out_of_reach": (
                f"The goal is out of reach this week, and that's okay: {day} would still make "
                "it a strong day."
            ),
            "week_over": f"This week ends {self.to_go} pts short of the goal.{monday}",
            "weekend": f"The week ended {self.to_go} pts short of the goal.{monday}",
        }
        return sentences[self.kind]


@dataclass(frozen=True)
class Pace:
    goal: int
    total: int
    to_go: int
    expected_by_now: int  # the goal times the share of the working week gone
    projected: int | None  # where the current rate ends the week; None while too early to say
    status: str  # "met" | "ahead" | "on_track" | "behind" | "no_goal" (outside the goal weeks)
    coaching: Coaching | None  # None: nothing to coach, the goal doesn't apply this week

    @cached_property
    def suggestion(self) -> str:
        """What to do next, said to the rep; empty when the goal doesn't apply (worded once:
        a receipt's week line asks twice)."""
        return self.coaching.say() if self.coaching else ""

    def suggestion_about(self, name: str) -> str:
        """The same, said to someone else about the rep."""
        return self.coaching.say(name) if self.coaching else ""


def pace_for(
    total: int,
    goal: int,
    now_local: datetime,
    catalog: Catalog,
    *,
    mix: Mapping[str, int] | None = None,
    max_day: int | None = None,
    goal_applies: bool = True,
    days_off: Collection[int] = (),
) -> Pace:
    """Pace at `now_local`, the rep's wall-clock time (its tzinfo, if any, is not consulted).

    `mix` is how many of each activity (by key) the rep logged in recent weeks, so suggestions
    sound like their own days; `max_day` caps what one day's suggestion asks for. `days_off`
    are the weekdays (0 is Monday) not worked this week: no time passes on them, and `goal`
    is already the goal of the days that are left (a week with none has no goal).
    """
    if goal <= 0:
        raise ValueError(f"The goal must be above 0, not {goal}.")
    worked = [day for day in _WEEKDAYS if day not in days_off]
    week = len(worked) * _DAY
    goal_applies = goal_applies and week > 0
    elapsed = _working_minutes(now_local, worked)
    coaching = None
    if goal_applies:
        habits = _habits(catalog, mix or {})
        most = max_day or default_day_points(goal)
        coaching = _coaching(total, goal, now_local, _Planner(catalog, habits), most, worked)
    return Pace(
        goal=goal,
        total=total,
        to_go=max(0, goal - total),
        expected_by_now=goal * elapsed // week if week else 0,
        projected=None if elapsed < _TOO_EARLY else total * week // elapsed,
        status=_status(total, goal, elapsed, week) if goal_applies else "no_goal",
        coaching=coaching,
    )


def _working_minutes(now_local: datetime, worked: list[int]) -> int:
    """Working minutes gone this week, counting only the days worked."""
    weekday = now_local.weekday()
    today = min(_DAY, max(0, now_local.hour * 60 + now_local.minute - _DAY_START))
    before = sum(1 for day in worked if day < weekday)
    return before * _DAY + (today if weekday in worked else 0)


def _status(total: int, goal: int, elapsed: int, week: int) -> str:
    """Within 10% of the expected points is on track; only a whole working day can be behind."""
    if total >= goal:
        return "met"
    if elapsed >= week:
        return "behind"
    done, due = 10 * total * week, goal * elapsed
    if total > 0 and done >= 11 * due:
        return "ahead"
    if done >= 9 * due or elapsed < _TOO_EARLY:
        return "on_track"
    return "behind"


def _days_left(now_local: datetime, worked: list[int]) -> list[tuple[int, int]]:
    """(weekday, working minutes) still ahead this week; today only while an hour is left."""
    weekday = now_local.weekday()
    left_today = min(_DAY, _DAY_START + _DAY - now_local.hour * 60 - now_local.minute)
    today = [(weekday, left_today)] if weekday in worked and left_today >= _TOO_LATE else []
    return today + [(later, _DAY) for later in worked if later > weekday]


def _coaching(
    total: int,
    goal: int,
    now_local: datetime,
    planner: "_Planner",
    max_day: int,
    worked: list[int],
) -> Coaching:
    """Plan the next working day: catch up to pace if a realistic day can, else say so."""
    to_go = goal - total
    if to_go <= 0:
        return Coaching("met")
    if not planner.habits:
        return Coaching("points", to_go)
    days = _days_left(now_local, worked)
    if not days:
        monday = planner.within(-(-goal // len(worked)), max_day)
        kind = "weekend" if now_local.weekday() >= 5 else "week_over"
        return Coaching(kind, to_go, _phrase(monday))
    weekday, minutes = days[0]
    when = "today" if weekday == now_local.weekday() else _next(weekday, now_local)
    room = max_day * minutes // _DAY
    reach = sum(max_day * left // _DAY for _, left in days)
    done = sum(1 for day in worked if day <= weekday)
    need = -(-goal * done // len(worked)) - total  # to be on pace when that day ends
    target: int | None = None
    if to_go <= room:
        kind, target = "goal", to_go
    elif to_go > reach:
        kind = "out_of_reach"
    elif need > room:
        kind = "in_reach"
    elif need > 0:
        kind, target = "pace", need
    else:
        kind, target = "keep", -(-to_go * room // reach)
    plan = planner.cover(target) if target else []
    if not plan or _points(plan) > room:
        plan = planner.within(room, room)
        if target is None or _points(plan) < target:
            kind = "in_reach" if to_go - _points(plan) <= reach - room else "out_of_reach"
    if not plan:
        return Coaching("points", to_go)
    return Coaching(kind, to_go, _phrase(plan), when)


def _habits(catalog: Catalog, mix: Mapping[str, int]) -> list[tuple[ActivityType, int]]:
    """The few activities the rep earns most points with, and how many of each they logged;
    without a history, the catalog's most valuable activity (the later one on a tie: the
    catalog runs down the funnel, so that is the one nearer a deal)."""
    order, best = _suggestible(catalog)
    if best is None:
        return []
    logged = [(catalog.get(key), count) for key, count in mix.items() if key in order]
    habits = [(activity, count) for activity, count in logged if activity and count > 0]
    habits.sort(key=lambda habit: (-habit[0].points * habit[1], order[habit[0].key]))
    if habits:
        return habits[:_MOST_KINDS]
    return [(best, 1)]


@lru_cache(maxsize=64)
def _suggestible(catalog: Catalog) -> tuple[dict[str, int], ActivityType | None]:
    """The activities suggestions may ask for, as their place in the catalog by key, and the
    most valuable of them: once per catalog, not on every receipt."""
    options = [activity for activity in catalog if activity.suggest]
    best = max(reversed(options), key=lambda activity: activity.points) if options else None
    return {activity.key: index for index, activity in enumerate(options)}, best


@dataclass(frozen=True)
class _Planner:
    """Whole activities in the rep's proportions, topped up to or trimmed under a target."""

    catalog: Catalog
    habits: list[tuple[ActivityType, int]]

    def _shares(self, points: int) -> dict[str, int]:
        """Each habit's share of `points`, to the nearest whole activity."""
        weight = sum(activity.points * count for activity, count in self.habits)
        return {
            activity.key: (2 * count * points + weight) // (2 * weight)
            for activity, count in self.habits
        }

    def cover(self, points: int) -> Plan:
        """At least `points`, overshooting as little as one top-up allows."""
        counts = self._shares(points)
        gap = points - self._sum(counts)
        if gap > 0:
            _, _, units, _, activity = min(self._top_ups(gap, counts))
            counts[activity.key] = counts.get(activity.key, 0) + units
        for activity in sorted(self._used(counts), key=lambda used: used.points):
            spare = (self._sum(counts) - points) // activity.points
            counts[activity.key] -= min(spare, counts[activity.key])
        return self._plan(counts)

    def within(self, points: int, ceiling: int) -> Plan:
        """`points` when whole activities allow, else the most that stays under `ceiling`."""
        counts = {activity.key: count for activity, count in self.cover(points)}
        while (over := self._sum(counts) - ceiling) > 0:
            used = self._used(counts)
            enough = [activity for activity in used if activity.points >= over]
            step = min(enough, key=_worth) if enough else max(used, key=_worth)
            counts[step.key] -= 1
        room = min(points, ceiling) - self._sum(counts)
        fillers = [
            (-units * activity.points, units, index, activity)
            for index, activity in enumerate(self._others)
            if (units := min(_MOST_FILLERS, room // activity.points)) > 0
        ]
        if fillers and self._kinds(counts) < _MOST_KINDS:
            _, units, _, activity = min(fillers)
            counts[activity.key] = counts.get(activity.key, 0) + units
        return self._plan(counts)

    def _top_ups(self, gap: int, counts: dict[str, int]) -> list[tuple]:
        """(waste, new kind?, units, order, activity): more of a habit, or a few of another."""
        options = [(activity, False) for activity, _ in self.habits]
        if self._kinds(counts) < _MOST_KINDS:
            options += [(activity, True) for activity in self._others]
        found = []
        for index, (activity, other) in enumerate(options):
            units = -(-gap // activity.points)
            if not other or units <= _MOST_FILLERS:
                new = other or counts[activity.key] == 0
                found.append((units * activity.points - gap, new, units, index, activity))
        return found

    def _used(self, counts: dict[str, int]) -> list[ActivityType]:
        return [self._get(key) for key, count in counts.items() if count]

    @cached_property
    def _others(self) -> list[ActivityType]:
        """Asked for by every top-up and filler the plan considers: worked out once."""
        habits = {activity.key for activity, _ in self.habits}
        return [a for a in self.catalog if a.suggest and a.key not in habits]

    def _sum(self, counts: dict[str, int]) -> int:
        return sum(self._get(key).points * count for key, count in counts.items())

    def _kinds(self, counts: dict[str, int]) -> int:
        return sum(1 for count in counts.values() if count)

    def _get(self, key: str) -> ActivityType:
        activity = self.catalog.get(key)
        assert activity is not None
        return activity

    def _plan(self, counts: dict[str, int]) -> Plan:
        return [(self._get(key), count) for key, count in counts.items() if count]


def _next(weekday: int, now_local: datetime) -> str:
    """The next working day as the rep would name it: "tomorrow", or "on Thursday" after a
    day off."""
    if weekday == now_local.weekday() + 1:
        return "tomorrow"
    return f"on {_DAY_NAMES[weekday]}"


def _worth(activity: ActivityType) -> int:
    return activity.points


def _points(plan: Plan) -> int:
    return sum(activity.points * count for activity, count in plan)


def _phrase(plan: Plan) -> str:
    """E.g. "2 self-led demos and 3 calls" or "20 calls, 2 emails and 1 self-led demo"."""
    parts = [activity.describe(count) for activity, count in plan]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)
