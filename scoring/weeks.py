"""Sales weeks: Monday 00:00 to the next Monday 00:00 on the rep's own clock, ISO-numbered.

Everything is computed from local calendar dates and converted to UTC only at the edges, so
DST changes make a week 167 or 169 hours long instead of shifting its boundaries.
"""

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_UTC = ZoneInfo("UTC")
_WEEK_LABEL = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


@lru_cache(maxsize=1024)
def zone(tz_name: str | None) -> ZoneInfo:
    """The rep's time zone; Slack may send none or one we don't know, and then UTC is our best.
    Cached: a /log receipt asks five times, and a name's zone doesn't change while we run."""
    if not tz_name:
        return _UTC
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return _UTC


def local_time(moment: datetime, tz_name: str) -> datetime:
    """`moment` on the rep's clock."""
    return _aware(moment).astimezone(zone(tz_name))


def local_date(moment: datetime, tz_name: str) -> date:
    """The rep's calendar date at `moment`."""
    return local_time(moment, tz_name).date()


def week_at(moment: datetime, tz_name: str) -> str:
    """The ISO week someone in `tz_name` is in at `moment`: theirs, not UTC's."""
    return iso_week_label(local_date(moment, tz_name))


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def week_bounds(tz_name: str, day: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local Monday-to-Monday week containing `day`."""
    monday = week_start(day)
    return _local_midnight(monday, tz_name), _local_midnight(monday + timedelta(days=7), tz_name)


def moment_in_week(moment: datetime, tz_name: str, day: date) -> datetime:
    """`moment`, or the nearest instant of the local week containing `day` if it falls outside:
    how far through that week someone on `tz_name`'s clock is (not begun, or already over)."""
    start, end = week_bounds(tz_name, day)
    return min(max(_aware(moment), start), end - timedelta(microseconds=1))


def iso_week_label(day: date) -> str:
    """E.g. "2026-W48"; the ISO year, so 2027-01-01 is "2026-W53"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(label: str) -> date:
    """The Monday of an ISO week label such as "2026-W48"."""
    match = _WEEK_LABEL.fullmatch(label.strip())
    if not match:
        raise ValueError(f"“{label}” isn't a week; write it like 2026-W48.")
    year, week = int(match[1]), int(match[2])
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
        raise ValueError(f"“{label}” isn't a week: {year} has weeks 1 to {weeks}.") from None


def onboarding_week(start: date, day: date) -> int | None:
    """Week 1 is the Monday-to-Sunday week a rep started in; None before that week."""
    weeks = (week_start(day) - week_start(start)).days // 7
    return weeks + 1 if weeks >= 0 else None


def in_goal_window(week: int | None, window: tuple[int, int] = (3, 13)) -> bool:
    """Whether the weekly goal applies in this onboarding week (the SOP's weeks 3–13)."""
    first, last = window
    return week is not None and first <= week <= last


def goal_applies(start: date | None, day: date, window: tuple[int, int] = (3, 13)) -> bool:
    """Whether `day`'s week is held to the weekly goal: every week without an onboarding start,
    never before the start, and inside the goal window once onboarding has begun."""
    if start is None:
        return True
    return in_goal_window(onboarding_week(start, day), window)


def happened_at(day: date | None, tz_name: str, now: datetime) -> datetime:
    """When to record an activity: now, or noon local on an earlier day the rep named.

    Noon keeps a back-dated activity well inside its local day whatever DST does.
    """
    now = _aware(now).astimezone(UTC)
    if day is None or day == local_date(now, tz_name):
        return now
    return datetime.combine(day, time(12), tzinfo=zone(tz_name)).astimezone(UTC)


def _local_midnight(day: date, tz_name: str) -> datetime:
    # In zones whose DST starts at midnight, 00:00 doesn't exist; fold=0 then gives the first
    # instant of the day (01:00 new time), which is what a week boundary needs.
    return datetime.combine(day, time(0), tzinfo=zone(tz_name)).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("Pass an aware datetime; a naive one would be read in the server's zone.")
    return moment
