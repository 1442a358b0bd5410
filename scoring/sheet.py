"""The export sheet's shape: its columns, their order and headers, and what each cell holds.

Export writes these headers and cells and import will read them back by the same headers, so
both directions share this one module. Deal amounts get a column per currency — `Closed-won
amount (USD)`, `Closed-won amount (EUR)` — holding plain numbers a spreadsheet can sum; the
default currency's column is always there, others only when some row has them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from scoring.catalog import Catalog
from scoring.deal_amounts import DEFAULT_CURRENCY
from scoring.rules import ScoringRules
from scoring.tally import tally_week
from scoring.weeks import goal_applies, onboarding_week, parse_iso_week

REP = "Rep"
USER_ID = "Slack user id"
MANAGER = "Manager"
WEEK = "Week"
ONBOARDING_WEEK = "Onboarding week"
WEEKS = "Weeks"
POINTS = "Points"
GOAL = "Goal"
GOAL_MET = "Goal met"
WEEKS_GOAL_MET = "Weeks goal met"
ALL_REPS = "All reps"
TOTALS = "Totals"
_AMOUNT = "Closed-won amount ({currency})"

# A spreadsheet runs a cell starting with one of these as a formula (OWASP's list: tab and
# carriage return too); a leading apostrophe makes it text again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"

Cell = str | int | Decimal | None
RowsByUserWeek = Mapping[tuple[str, str], Iterable[tuple[str, int, int]]]
AmountsByUserWeek = Mapping[tuple[str, str], Mapping[str, Decimal]]


class Kind(StrEnum):
    """How a column's cells read in a spreadsheet."""

    TEXT = "text"
    WHOLE = "whole"
    MONEY = "money"


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind


@dataclass(frozen=True)
class Table:
    """One sheet: headers and cells ready to write, text already neutralised."""

    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(column.header for column in self.columns)


@dataclass(frozen=True)
class Rep:
    """Who a row is about, as the sheet names them."""

    user_id: str
    name: str
    manager: str
    onboarding_start: date | None


@dataclass(frozen=True)
class RepWeek:
    """One rep's ISO week, summed the way `/tally` and the digest sum it."""

    rep: Rep
    week: str
    onboarding_week: int | None
    counts: Mapping[str, int]  # activity key -> count
    points: int
    goal: int | None  # None: no goal applies that week
    amounts: Mapping[str, Decimal]  # currency -> closed-won total

    @property
    def goal_met(self) -> bool | None:
        return None if self.goal is None else self.points >= self.goal


def neutralised(text: str) -> str:
    """Text a spreadsheet shows as typed instead of running it (CSV/formula injection)."""
    return TEXT_MARK + text if text.startswith(FORMULA_STARTS) else text


def amount_header(currency: str) -> str:
    return _AMOUNT.format(currency=currency)


def week_goal(
    rules: ScoringRules,
    onboarding_start: date | None,
    monday: date,
    days_off: Collection[date] = (),
) -> int | None:
    """The goal a rep is held to in the week of `monday`, None when none applies.

    The one place a week's goal is decided for the sheet: pro-rated to the days worked, so a
    week away has none.
    """
    if not goal_applies(onboarding_start, monday, rules.goal_window):
        return None
    return rules.week_goal(monday, days_off)


def rep_weeks(
    rules: ScoringRules,
    reps: Sequence[Rep],
    weeks: Sequence[str],
    rows: RowsByUserWeek,
    amounts: AmountsByUserWeek,
    days_off: Mapping[str, Collection[date]] | None = None,
) -> list[RepWeek]:
    """Every rep in every week, zeros included, week by week in the order `reps` come in;
    `days_off` (by user id) pro-rate each week's goal."""
    away = days_off or {}
    result = []
    for week in weeks:
        monday = parse_iso_week(week)
        for rep in reps:
            tally = tally_week(rows.get((rep.user_id, week), ()), rules.catalog)
            start = rep.onboarding_start
            result.append(
                RepWeek(
                    rep=rep,
                    week=week,
                    onboarding_week=onboarding_week(start, monday) if start else None,
                    counts={item.key: item.count for item in tally.items},
                    points=tally.total,
                    goal=week_goal(rules, start, monday, away.get(rep.user_id, ())),
                    amounts=dict(amounts.get((rep.user_id, week), {})),
                )
            )
    return result


def activity_columns(catalog: Catalog, weeks: Iterable[RepWeek]) -> list[tuple[str, str]]:
    """(key, header) of each count column: the catalog's order and labels, then any key since
    dropped from the catalog that still has entries, under the key itself (as `/tally` shows it)."""
    columns = [(activity.key, activity.label) for activity in catalog.every]
    known = {key for key, _ in columns}
    retired = sorted({key for week in weeks for key in week.counts} - known)
    return columns + [(key, key) for key in retired]


def currencies(weeks: Iterable[RepWeek]) -> list[str]:
    """The default currency first, then every other one present, alphabetical."""
    present = {currency for week in weeks for currency in week.amounts}
    return [DEFAULT_CURRENCY, *sorted(present - {DEFAULT_CURRENCY})]


def week_table(catalog: Catalog, title: str, weeks: Sequence[RepWeek]) -> Table:
    """One row per rep per week."""
    activities = activity_columns(catalog, weeks)
    money = currencies(weeks)
    columns = (
        Column(REP, Kind.TEXT),
        Column(USER_ID, Kind.TEXT),
        Column(MANAGER, Kind.TEXT),
        Column(WEEK, Kind.TEXT),
        Column(ONBOARDING_WEEK, Kind.WHOLE),
        *(Column(neutralised(header), Kind.WHOLE) for _, header in activities),
        Column(POINTS, Kind.WHOLE),
        Column(GOAL, Kind.WHOLE),
        Column(GOAL_MET, Kind.TEXT),
        *(Column(amount_header(currency), Kind.MONEY) for currency in money),
    )
    rows = tuple(
        (
            *_who(week.rep),
            week.week,
            week.onboarding_week,
            *(week.counts.get(key, 0) for key, _ in activities),
            week.points,
            week.goal,
            _yes_no(week.goal_met),
            *(week.amounts.get(currency) for currency in money),
        )
        for week in weeks
    )
    return Table(title, columns, rows)


def totals_table(catalog: Catalog, weeks: Sequence[RepWeek]) -> Table:
    """Each rep summed over the exported weeks, then everyone together."""
    activities = activity_columns(catalog, weeks)
    money = currencies(weeks)
    by_rep: dict[str, list[RepWeek]] = {}
    for week in weeks:
        by_rep.setdefault(week.rep.user_id, []).append(week)
    columns = (
        Column(REP, Kind.TEXT),
        Column(USER_ID, Kind.TEXT),
        Column(MANAGER, Kind.TEXT),
        Column(WEEKS, Kind.WHOLE),
        *(Column(neutralised(header), Kind.WHOLE) for _, header in activities),
        Column(POINTS, Kind.WHOLE),
        Column(GOAL, Kind.WHOLE),
        Column(WEEKS_GOAL_MET, Kind.WHOLE),
        *(Column(amount_header(currency), Kind.MONEY) for currency in money),
    )

    def summed(who: tuple[Cell, ...], group: Sequence[RepWeek]) -> tuple[Cell, ...]:
        goals = [week.goal for week in group if week.goal is not None]
        return (
            *who,
            len({week.week for week in group}),
            *(sum(week.counts.get(key, 0) for week in group) for key, _ in activities),
            sum(week.points for week in group),
            sum(goals) if goals else None,
            sum(1 for week in group if week.goal_met),
            *(_money_sum(week.amounts.get(currency) for week in group) for currency in money),
        )

    rows = [summed(_who(group[0].rep), group) for group in by_rep.values()]
    rows.append(summed((ALL_REPS, None, None), weeks))
    return Table(TOTALS, columns, tuple(rows))


def _who(rep: Rep) -> tuple[Cell, ...]:
    return neutralised(rep.name), rep.user_id, neutralised(rep.manager)


def _yes_no(met: bool | None) -> str | None:
    return None if met is None else "yes" if met else "no"


def _money_sum(amounts: Iterable[Decimal | None]) -> Decimal | None:
    present = [amount for amount in amounts if amount is not None]
    return sum(present, Decimal(0)) if present else None
