"""A rep's calendar month so far: points week by week, and the SOP's monthly KPIs."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from scoring.catalog import CLOSED_WON, Catalog
from scoring.deal_amounts import CENTS, DEFAULT_CURRENCY, format_amount
from scoring.time_off import weekdays
from scoring.weeks import iso_week_label, week_start

# The SOP's activity KPIs: a label, the activity keys it counts, and whether it is also
# shown per day worked.
KPIS = (
    ("Calls", ("call",), True),
    ("Emails", ("email",), True),
    ("Meetings booked", ("meeting_booked",), False),
    ("Demos done", ("demo_self_led", "demo_mentor_led"), False),
    ("Demos shadowed", ("demo_shadow",), False),
)


@dataclass(frozen=True)
class MonthWeek:
    """An ISO week of the month; only its days in the month, up to today, count."""

    week: str
    first: date
    last: date
    points: int

    @property
    def span(self) -> str:
        return f"{self.first:%a %-d} – {self.last:%a %-d %b}"


@dataclass(frozen=True)
class Kpi:
    label: str
    count: int
    per_day: str | None = None  # e.g. "12.5", for the KPIs counted per day worked


@dataclass(frozen=True)
class Deals:
    """Closed-won deals: how many, and the average amount per currency of those with one."""

    count: int
    with_amount: int
    averages: tuple[str, ...]  # "$12,500", most used currency first


@dataclass(frozen=True)
class MonthReport:
    first: date
    today: date
    weeks: tuple[MonthWeek, ...]
    days_worked: int
    kpis: tuple[Kpi, ...]
    deals: Deals | None  # None for a catalog without closed-won

    @property
    def total(self) -> int:
        return sum(week.points for week in self.weeks)

    @property
    def title(self) -> str:
        return f"{self.first:%B %Y}"


def days_worked(
    first: date,
    last: date,
    days_off: Collection[date],
    holidays: Collection[date],
    start: date | None = None,
) -> int:
    """Weekdays from `first` to `last` that were working days for the rep: neither off nor a
    holiday, and not before their onboarding `start`."""
    begin = max(first, start) if start else first
    return sum(1 for day in weekdays(begin, last) if day not in days_off and day not in holidays)


def month_report(
    today: date,
    rows: Iterable[tuple[str, str, int, int]],
    deals: Iterable[tuple[str | None, Decimal, int]],
    catalog: Catalog,
    worked: int,
) -> MonthReport:
    """`rows` are (week, activity key, count, points) and `deals` (currency, amount, count) of
    closed-won entries with an amount, both over the month's days up to `today`; KPIs whose
    activities the catalog doesn't have are left out."""
    first = today.replace(day=1)
    points: dict[str, int] = {}
    counts: dict[str, int] = {}
    for week, key, count, earned in rows:
        points[week] = points.get(week, 0) + earned
        counts[key] = counts.get(key, 0) + count
    weeks = []
    monday = week_start(first)
    while monday <= today:
        label = iso_week_label(monday)
        end = min(monday + timedelta(days=6), today)
        weeks.append(MonthWeek(label, max(monday, first), end, points.get(label, 0)))
        monday += timedelta(days=7)
    kpis = []
    for label, keys, per_day in KPIS:
        if any(catalog.get(key) for key in keys):
            total = sum(counts.get(key, 0) for key in keys)
            kpis.append(Kpi(label, total, _per_day(total, worked) if per_day else None))
    closed = _deals(counts.get(CLOSED_WON, 0), deals) if catalog.get(CLOSED_WON) else None
    return MonthReport(first, today, tuple(weeks), worked, tuple(kpis), closed)


def _per_day(count: int, worked: int) -> str | None:
    """One decimal, halves up as people round: 5 over 4 days is 1.3."""
    if not worked:
        return None
    return str((Decimal(count) / worked).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _deals(count: int, amounts: Iterable[tuple[str | None, Decimal, int]]) -> Deals:
    totals: dict[str, tuple[Decimal, int]] = {}
    for currency, amount, times in amounts:
        code = currency or DEFAULT_CURRENCY
        value, deals = totals.get(code, (Decimal(0), 0))
        totals[code] = (value + amount, deals + times)
    by_use = sorted(totals.items(), key=lambda item: (-item[1][1], item[0]))
    averages = tuple(format_amount((v / n).quantize(CENTS), code) for code, (v, n) in by_use)
    return Deals(count, sum(n for _, n in totals.values()), averages)
