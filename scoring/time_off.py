"""Time off and holidays: which days of a week are worked, and the goal pro-rated to them.

A working day is a Monday to Friday that is neither one of the rep's days off nor a holiday, so
a week with two days off is held to three fifths of the goal and a week away has none. Dates are
calendar days on the rep's own clock. `/tally away` is read here too, with its limits.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.log_text import quoted

WORKING_WEEK = 5  # Monday to Friday
MAX_RANGE_DAYS = 60  # one `/tally away` covers at most this many calendar days
DAYS_BACK = 7  # as far back as an entry can be dated
_RANGE = re.compile(r"\s*(?:\.\.|…)\s*")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class TimeOffError(ValueError):
    """Days off nobody could mean; the message names the problem and quotes the text “so”."""


def weekdays(first: date, last: date) -> list[date]:
    """The Mondays to Fridays from `first` to `last`, both included."""
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < WORKING_WEEK]


def days_not_worked(monday: date, days_off: Iterable[date], holidays: Iterable[date]) -> set[int]:
    """Weekdays (0 is Monday) of `monday`'s week that are a day off or a holiday."""
    friday = monday + timedelta(days=WORKING_WEEK - 1)
    return {day.weekday() for day in (*days_off, *holidays) if monday <= day <= friday}


def prorated_goal(
    weekly_goal: int, monday: date, days_off: Iterable[date], holidays: Iterable[date]
) -> int | None:
    """The goal for `monday`'s week, pro-rated to its working days and rounded to the nearest
    point (halves up): 500 with two days off is 300. None for a week with no working day:
    nobody is held to a goal while away all week."""
    working = WORKING_WEEK - len(days_not_worked(monday, days_off, holidays))
    if working <= 0:
        return None
    return max(1, (2 * weekly_goal * working + WORKING_WEEK) // (2 * WORKING_WEEK))


@dataclass(frozen=True)
class Away:
    """What `/tally away …` asks: mark (or, `back`, unmark) the weekdays from first to last."""

    first: date
    last: date
    days: tuple[date, ...]  # the weekdays in the range: weekends are never working days
    back: bool = False


def parse_away(text: str, today: date) -> Away | None:
    """`2026-12-24`, `2026-12-24..2026-12-31`, or either after `off`; None for no dates (the
    listing). Dates are the rep's own; they may go back a week and ahead a year."""
    words = text.split()
    back = bool(words) and words[0].lower() == "off"
    typed = " ".join(words[1:] if back else words)
    if not typed:
        if back:
            raise TimeOffError(
                "Say which days are no longer off, e.g. `/tally away off 2026-12-24` "
                "or `/tally away off 2026-12-24..2026-12-31`."
            )
        return None
    parts = _RANGE.split(typed)
    if len(parts) > 2 or not all(parts):
        raise TimeOffError(
            f"“{quoted(typed)}” isn't a day or a range; write it like 2026-12-24 "
            "or 2026-12-24..2026-12-31."
        )
    first = _day(parts[0])
    last = _day(parts[-1])
    if last < first:
        raise TimeOffError(
            f"That range ends on {_label(last)}, before it starts on {_label(first)}; "
            "put the first day first."
        )
    span = (last - first).days + 1
    if span > MAX_RANGE_DAYS:
        raise TimeOffError(
            f"{_label(first)} to {_label(last)} is {span} days; one range can cover at most "
            f"{MAX_RANGE_DAYS}. Mark a longer absence in parts."
        )
    earliest, latest = today - timedelta(days=DAYS_BACK), _a_year_after(today)
    if first < earliest:
        raise TimeOffError(
            f"{_label(first)} is more than {DAYS_BACK} days ago; days off can go back to "
            f"{_label(earliest)}."
        )
    if last > latest:
        raise TimeOffError(
            f"{_label(last)} is more than a year ahead; days off can be marked up to "
            f"{_label(latest)}."
        )
    days = tuple(weekdays(first, last))
    if not days:
        raise TimeOffError(
            f"{span_label(first, last)} falls on a weekend: weekends are never working days, "
            "so there is nothing to mark."
        )
    return Away(first=first, last=last, days=days, back=back)


def day_ranges(days: Collection[date]) -> list[tuple[date, date]]:
    """Days off as (first, last) runs; a run goes on over a weekend between two of its days."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and weekdays(runs[-1][1] + timedelta(days=1), day) == [day]:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _day(word: str) -> date:
    """YYYY-MM-DD only: day and month orders differ by country."""
    if _ISO.fullmatch(word):
        try:
            return date.fromisoformat(word)
        except ValueError:
            pass
    raise TimeOffError(f"“{quoted(word)}” isn't a date; write it like 2026-12-24.")


def _a_year_after(today: date) -> date:
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def span_label(first: date, last: date) -> str:
    """ "Thu 24 Dec 2026", or "Thu 24 Dec 2026 – Thu 31 Dec 2026" for a run of days."""
    return _label(first) if first == last else f"{_label(first)} – {_label(last)}"


def _label(day: date) -> str:
    return f"{day:%a %-d %b %Y}"
