"""How a rep's week is going against the goal, and what would close the gap.

Pace is measured in working time — Monday to Friday, 09:00 to 17:00 local — so a quiet Monday
morning isn't "behind"; once the weekend starts the week counts as over.
"""

from dataclasses import dataclass
from datetime import datetime

from scoring.catalog import ActivityType, Catalog

_DAY_START = 9 * 60  # minutes after midnight
_DAY = 8 * 60
_WEEK = 5 * _DAY
_TOO_EARLY = _DAY  # a straight line through less than a working day says little
_MOST_FILLERS = 5  # more than this many small activities reads as a chore, not a suggestion


@dataclass(frozen=True)
class Pace:
    goal: int
    total: int
    to_go: int
    expected_by_now: int  # the goal times the share of the working week gone
    projected: int | None  # where the current rate ends the week; None while too early to say
    status: str  # "met" | "ahead" | "on_track" | "behind"
    suggestion: str


def pace_for(total: int, goal: int, now_local: datetime, catalog: Catalog) -> Pace:
    """Pace at `now_local`, the rep's wall-clock time (its tzinfo, if any, is not consulted)."""
    if goal <= 0:
        raise ValueError(f"The goal must be above 0, not {goal}.")
    elapsed = _working_minutes(now_local)
    to_go = max(0, goal - total)
    return Pace(
        goal=goal,
        total=total,
        to_go=to_go,
        expected_by_now=goal * elapsed // _WEEK,
        projected=None if elapsed < _TOO_EARLY else total * _WEEK // elapsed,
        status=_status(total, goal, elapsed),
        suggestion=_suggestion(total, goal, now_local, catalog),
    )


def _working_minutes(now_local: datetime) -> int:
    weekday = now_local.weekday()
    if weekday >= 5:
        return _WEEK
    today = now_local.hour * 60 + now_local.minute - _DAY_START
    return weekday * _DAY + min(_DAY, max(0, today))


def _status(total: int, goal: int, elapsed: int) -> str:
    """Within 10% of the expected points is on track; only a whole working day can be behind."""
    if total >= goal:
        return "met"
    if elapsed >= _WEEK:
        return "behind"
    done, due = 10 * total * _WEEK, goal * elapsed
    if total > 0 and done >= 11 * due:
        return "ahead"
    if done >= 9 * due or elapsed < _TOO_EARLY:
        return "on_track"
    return "behind"


def _suggestion(total: int, goal: int, now_local: datetime, catalog: Catalog) -> str:
    """Aim at what today's pace needs, not the week's gap: "19 demos" on Monday helps no one."""
    to_go = max(0, goal - total)
    if to_go == 0:
        return "Goal met — nice work!"
    if now_local.weekday() >= 5:
        return f"The week ended {to_go} pts short of the goal."
    due_tonight = goal * (now_local.weekday() + 1) * _DAY // _WEEK
    behind_tonight = due_tonight - total
    if now_local.weekday() == 4 or behind_tonight <= 0:
        plan = _phrase(_plan(to_go, catalog))
        return f"{plan} would get you there." if plan else f"{to_go} pts to go."
    plan = _phrase(_plan(behind_tonight, catalog))
    return f"{plan} today would put you on pace." if plan else f"{behind_tonight} pts to go today."


def _phrase(plan: list[tuple[ActivityType, int]]) -> str:
    return " and ".join(activity.describe(count) for activity, count in plan)


def _plan(to_go: int, catalog: Catalog) -> list[tuple[ActivityType, int]]:
    """The top activity as often as fits, then the few of one activity that waste least.

    Among equally valuable activities the later one wins: the catalog runs down the funnel, so
    that is the one nearer a deal (a self-led demo over a self-led discovery).
    """
    options = [activity for activity in catalog if activity.suggest]
    if not options:
        return []
    top = max(reversed(options), key=lambda activity: activity.points)
    count, remainder = divmod(to_go, top.points)
    if remainder == 0:
        return [(top, count)]
    fillers = []
    for activity in [top, *options]:
        needed = -(-remainder // activity.points)
        if needed <= _MOST_FILLERS:
            fillers.append((needed * activity.points - remainder, needed, activity))
    _, needed, filler = min(fillers, key=lambda option: option[:2])
    if filler is top:
        return [(top, count + 1)]
    return [(top, count), (filler, needed)] if count else [(filler, needed)]
