"""When scheduled messages fall due, in the recipient's own wall-clock time.

A job is due when its latest occurrence has passed and is still within its grace period, so a
clock that was down at the moment catches up when it starts instead of losing the message. A
catch-up never reaches anyone outside working hours: it waits for the next morning, if the
message is still worth sending then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Tally speaks only in the recipient's working hours (local wall time, end excluded).
WORK_STARTS, WORK_ENDS = time(8), time(18)
_SLOT = re.compile(r"^\s*(?:(weekdays|[a-z]{3})[a-z]*\s+)?(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Slot:
    """A weekly moment (`weekday` 0=Monday) or, with weekday None, every Monday–Friday."""

    weekday: int | None
    at: time

    def describe(self) -> str:
        day = "weekdays" if self.weekday is None else WEEKDAY_NAMES[self.weekday].title()
        return f"{day} {self.at:%H:%M}"


def parse_slot(text: str) -> Slot:
    """'fri 15:00', 'Friday 15:00', 'weekdays 09:00' or '09:00' (weekdays)."""
    match = _SLOT.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a schedule; write e.g. 'fri 15:00' or 'weekdays 09:00'.")
    day, hour, minute = match.group(1), int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} has no such time of day.")
    if not WORK_STARTS <= time(hour, minute) < WORK_ENDS:
        raise ValueError(
            f"{text!r} is outside working hours: Tally sends between "
            f"{WORK_STARTS:%H:%M} and {WORK_ENDS:%H:%M} in each recipient's zone."
        )
    weekday = None
    if day and day.lower() != "weekdays":
        if day.lower()[:3] not in WEEKDAY_NAMES:
            raise ValueError(f"{text!r}: {day!r} is not a day of the week.")
        weekday = WEEKDAY_NAMES.index(day.lower()[:3])
    return Slot(weekday=weekday, at=time(hour, minute))


def latest_occurrence(slot: Slot, now_local: datetime) -> datetime:
    """The most recent local moment of `slot` at or before `now_local` (naive wall time)."""
    wall = now_local.replace(tzinfo=None)
    day = wall.date()
    for back in range(8):
        candidate_day = day - timedelta(days=back)
        weekday = candidate_day.weekday()
        if (slot.weekday is None and weekday < 5) or weekday == slot.weekday:
            candidate = datetime.combine(candidate_day, slot.at)
            if candidate <= wall:
                return candidate
    raise AssertionError("a weekly slot always occurs within eight days")


def in_working_hours(now_local: datetime) -> bool:
    """Whether a message may reach someone whose wall clock reads `now_local`."""
    return WORK_STARTS <= now_local.time() < WORK_ENDS


def due_weekly(slot: Slot, now_local: datetime) -> datetime | None:
    """The occurrence to act on now; a weekly message is still worth sending until Monday noon,
    in working hours."""
    if not in_working_hours(now_local):
        return None
    occurrence = latest_occurrence(slot, now_local)
    monday = occurrence.date() + timedelta(days=7 - occurrence.weekday())
    cutoff = datetime.combine(monday, time(12))
    return occurrence if now_local.replace(tzinfo=None) < cutoff else None


def due_today(slot: Slot, now_local: datetime) -> datetime | None:
    """A daily nudge or reminder is only worth sending on the day it was meant for, in working
    hours."""
    if not in_working_hours(now_local):
        return None
    occurrence = latest_occurrence(slot, now_local)
    return occurrence if occurrence.date() == now_local.date() else None


def monday_noon_after(week_monday: date) -> datetime:
    """Naive local wall time at which a week's digest stops being edited for late entries."""
    return datetime.combine(week_monday + timedelta(days=7), time(12))
