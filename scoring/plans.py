"""Account plans: review cadences, due dates, and reading `/tally plan add …` text.

All dates are the owner's local calendar days; callers work out "today" in the owner's zone.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

MAX_DAYS = 365
MAX_MONTHS = 12
MAX_ACCOUNT_LENGTH = 200
SNOOZE_DAYS = 7

CadenceUnit = Literal["month", "day"]

_CADENCE_HINT = "write monthly, quarterly, yearly or every N days (e.g. `every 14 days`)"
_EVERY = re.compile(
    r"every\s+(?:(\d+)\s+)?(day|days|week|weeks|month|months|year|years)", re.IGNORECASE
)
_NAMED = {
    "daily": ("day", 1),
    "weekly": ("day", 7),
    "biweekly": ("day", 14),
    "fortnightly": ("day", 14),
    "monthly": ("month", 1),
    "quarterly": ("month", 3),
    "half-yearly": ("month", 6),
    "semiannually": ("month", 6),
    "semi-annually": ("month", 6),
    "yearly": ("month", 12),
    "annually": ("month", 12),
    "annual": ("month", 12),
}
# Trailing options of `plan add`, peeled off the end so the account name may hold any words.
_TRAILING_REVIEWED = re.compile(r"\s+(?:last\s+)?reviewed\s+(\S+)\s*$", re.IGNORECASE)
_TRAILING_CADENCE = re.compile(
    rf"\s+((?:{'|'.join(map(re.escape, _NAMED))})|every\s+\S+(?:\s+\S+)?)\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Cadence:
    """How often a plan must be reviewed: every `count` calendar months or days."""

    unit: CadenceUnit
    count: int

    def __post_init__(self) -> None:
        if self.unit not in ("month", "day"):
            raise ValueError(f"unknown cadence unit {self.unit!r}")
        limit = MAX_MONTHS if self.unit == "month" else MAX_DAYS
        if not 1 <= self.count <= limit:
            raise ValueError(f"a cadence of {self.count} {self.unit}s is out of range")

    def describe(self) -> str:
        if self.unit == "month":
            named = {1: "monthly", 3: "quarterly", 12: "yearly"}
            return named.get(self.count, f"every {self.count} months")
        if self.count == 7:
            return "weekly"
        return "every day" if self.count == 1 else f"every {self.count} days"


MONTHLY = Cadence("month", 1)
QUARTERLY = Cadence("month", 3)


def parse_cadence(text: str) -> Cadence:
    """`monthly`, `quarterly`, `weekly`, `every 10 days`, `every 2 weeks`, `every 6 months`.

    Raises ValueError with a message that can be shown as is.
    """
    cleaned = " ".join(text.split()).lower()
    if cleaned in _NAMED:
        unit, count = _NAMED[cleaned]
        return Cadence(unit, count)  # type: ignore[arg-type]
    match = _EVERY.fullmatch(cleaned)
    if not match:
        raise ValueError(f"“{text.strip()}” isn't a review cadence; {_CADENCE_HINT}.")
    count = int(match[1]) if match[1] else 1
    word = match[2].rstrip("s")
    if word == "week":
        word, count = "day", count * 7
    elif word == "year":
        word, count = "month", count * 12
    limit = MAX_MONTHS if word == "month" else MAX_DAYS
    if not 1 <= count <= limit:
        most = f"{MAX_MONTHS} months" if word == "month" else f"{MAX_DAYS} days"
        raise ValueError(
            f"“{text.strip()}” is out of range: use at least 1 day and at most {most}."
        )
    return Cadence(word, count)  # type: ignore[arg-type]


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later, clamped to the end of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(last_reviewed: date, cadence: Cadence) -> date:
    """The day the next review is due: 31 Jan monthly is due 28 Feb (29 Feb in leap years)."""
    if cadence.unit == "month":
        return add_months(last_reviewed, cadence.count)
    return last_reviewed + timedelta(days=cadence.count)


def is_overdue(
    last_reviewed: date, cadence: Cadence, today: date, snoozed_until: date | None = None
) -> bool:
    """Past its due day (the due day itself is not late), unless snoozed until after today."""
    if snoozed_until is not None and today < snoozed_until:
        return False
    return next_due(last_reviewed, cadence) < today


def account_key(account: str) -> str:
    """How plans are matched: case and spacing don't matter."""
    return " ".join(account.split()).casefold()


@dataclass(frozen=True)
class NewPlan:
    account: str
    cadence: Cadence
    reviewed: date


def parse_new_plan(text: str, today: date) -> NewPlan:
    """`Acme Corp [monthly|quarterly|yearly|every N days] [reviewed YYYY-MM-DD]`, in any order.

    Missing options mean monthly, reviewed `today`. A second cadence or review date is refused
    rather than left in the account name. Raises ValueError with a message that can be shown
    as is.
    """
    rest = " " + " ".join(text.split())
    cadence: Cadence | None = None
    reviewed: date | None = None
    while True:
        if match := _TRAILING_REVIEWED.search(rest):
            if reviewed is not None:
                raise ValueError("Give one review date, e.g. `reviewed 2026-10-01`.")
            reviewed = _review_day(match[1], today)
        elif match := _TRAILING_CADENCE.search(rest):
            if cadence is not None:
                raise ValueError(f"Give one review cadence: {_CADENCE_HINT}.")
            cadence = parse_cadence(match[1])
        else:
            break
        rest = rest[: match.start()]
    account = rest.strip()
    if not account:
        raise ValueError("Name the account, e.g. `/tally plan add Acme Corp quarterly`.")
    if len(account) > MAX_ACCOUNT_LENGTH:
        raise ValueError(f"Account names can be at most {MAX_ACCOUNT_LENGTH} characters long.")
    return NewPlan(account=account, cadence=cadence or MONTHLY, reviewed=reviewed or today)


def _review_day(word: str, today: date) -> date:
    lowered = word.lower().rstrip(".")
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    try:
        day = date.fromisoformat(lowered)
    except ValueError:
        raise ValueError(f"“{word}” isn't a date; write the last review as YYYY-MM-DD.") from None
    if day > today:
        raise ValueError(
            f"{day:%a %-d %b %Y} is in the future; give the day the plan was last reviewed."
        )
    return day
