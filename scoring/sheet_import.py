"""Reading an old sheet back: which column is what, and every cell checked before anything is
stored.

Two shapes are read: the export's (a Week column, headers from `scoring.sheet`) and the one
people make by hand — a sheet per week named `2026-W48`, `Week of 2026-11-23` or `2026-11-23`,
a row per rep and a column per activity under its label, key or any alias. Columns worked out
from others (Manager, Points, Goal…) are recognised and left alone: counts are the truth, so a
Points cell that disagrees is a warning, not a problem. Who a row is stays as the sheet says it
(user id, email or name) for the caller to look up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from scoring.catalog import CLOSED_WON, ActivityType, Catalog, words
from scoring.deal_amounts import CODES, DEFAULT_CURRENCY, parse_amount
from scoring.log_text import LogParseError
from scoring.sheet import (
    ALL_REPS,
    FORMULA_STARTS,
    GOAL,
    GOAL_MET,
    MANAGER,
    ONBOARDING_WEEK,
    POINTS,
    REP,
    TEXT_MARK,
    TOTALS,
    USER_ID,
    WEEK,
    WEEKS,
    WEEKS_GOAL_MET,
)
from scoring.weeks import iso_week_label, parse_iso_week, week_start

MAX_WEEK_COUNT = 100_000  # of one activity in one week: far above any real week
SOURCE = "import"

_REP_NAMES = {words(REP), ("name",), ("rep", "name")}
_USER_ID_NAMES = {words(USER_ID), ("user", "id"), ("slack", "id")}
_EMAIL_NAMES = {("email",), ("e", "mail"), ("email", "address")}
_WEEK_NAMES = {words(WEEK)}
_POINTS_NAMES = {words(POINTS), ("total", "points")}
_DERIVED = {words(h) for h in (MANAGER, ONBOARDING_WEEK, GOAL, GOAL_MET, WEEKS, WEEKS_GOAL_MET)}
_SUMMARY_ROWS = {words(ALL_REPS), ("total",), ("totals",)}
_AMOUNT = re.compile(r"closed[-\s]?won\s+amount(?:\s*\(\s*([a-z]{3})\s*\))?", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_PLAIN_AMOUNT = re.compile(r"[0-9][0-9,.]*\s?[km]?", re.IGNORECASE)  # no currency of its own
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_WEEK_OF = re.compile(r"(?:week\s+of\s+)?(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """Where in the file, as a spreadsheet shows it: sheet title, row number, cell."""

    file: str
    sheet: str | None  # None: a CSV file has no sheets
    row: int
    column: int | None = None  # 1-based; None for a whole row

    def at(self, column: int) -> Place:
        return Place(self.file, self.sheet, self.row, column)

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet}")
        parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"cell {column_letter(self.column)}{self.row}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    place: Place
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


@dataclass(frozen=True)
class Who:
    """A row's rep as the sheet names them, with the cells to blame if nobody matches."""

    user_id: str | None
    email: str | None
    name: str
    email_place: Place | None
    name_place: Place | None


@dataclass(frozen=True)
class SheetRow:
    """One rep's week: nonzero counts by activity key, closed-won amounts by currency, and the
    column each activity key and currency was read from."""

    place: Place
    who: Who
    week: str
    counts: dict[str, int]
    amounts: dict[str, Decimal]
    columns: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Logged:
    """What a rep-week holds already outside imports (logged in Slack): counts by activity key,
    closed-won amounts by currency."""

    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class Sheet:
    """A worksheet's cells, row by row from row 1; `week_from` is the title (for CSV, the file
    name) a sheet without a Week column takes its week from."""

    name: str | None
    week_from: str
    cells: Sequence[Sequence[object]]


@dataclass
class Reading:
    rows: list[SheetRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """One imported entry of a rep's week, under the key a re-import finds it by."""

    activity_key: str
    count: int
    points: int
    amount: Decimal | None
    currency: str | None
    idempotency_key: str


@dataclass(frozen=True)
class _Columns:
    rep: int | None = None
    user_id: int | None = None
    email: int | None = None
    week: int | None = None
    points: int | None = None
    activities: dict[int, ActivityType] = field(default_factory=dict)
    amounts: dict[int, str] = field(default_factory=dict)  # column -> currency


def read_sheets(file: str, sheets: Iterable[Sheet], catalog: Catalog, today: date) -> Reading:
    """Every row of every sheet checked; the export's Totals sheet and empty sheets skipped.
    `today` (UTC) decides which weeks are still ahead."""
    reading = Reading()
    for sheet in sheets:
        if (sheet.name or "").strip().casefold() == TOTALS.casefold():
            continue
        _read_sheet(file, sheet, catalog, week_start(today), reading)
    return reading


def unmarked(value: object) -> object:
    """Text as typed before the export neutralised it: `'=1+2` is `=1+2` again."""
    if isinstance(value, str):
        value = value.strip()
        if value.startswith(TEXT_MARK) and value[1:].startswith(FORMULA_STARTS):
            return value[1:]
    return value


def week_of(value: object) -> str | None:
    """`2026-W48`, `Week of 2026-11-23`, `2026-11-23` or a date cell, as an ISO week label."""
    if isinstance(value, datetime | date):
        return iso_week_label(value.date() if isinstance(value, datetime) else value)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return iso_week_label(parse_iso_week(text))
    except ValueError:
        pass
    if match := _WEEK_OF.fullmatch(text):
        try:
            return iso_week_label(date.fromisoformat(match[1]))
        except ValueError:
            return None
    return None


def column_letter(column: int) -> str:
    """1 is A, 27 is AA: as a spreadsheet names columns (CSV files' too)."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def import_key(user_id: str, week: str, activity_key: str) -> str:
    return f"{SOURCE}:{user_id}:{week}:{activity_key}"


def entries_of(row: SheetRow, user_id: str, catalog: Catalog) -> list[Entry]:
    """The entries that store `row`: one per activity, except that a week's deals in several
    currencies become one closed-won entry per currency (the first takes the remaining deals),
    since an entry carries one amount in one currency."""
    entries = []
    for key, count in row.counts.items():
        points = _points_of(catalog, key)
        base = import_key(user_id, row.week, key)
        money = list(row.amounts.items()) if key == CLOSED_WON else []
        if not money:
            entries.append(Entry(key, count, count * points, None, None, base))
            continue
        for index, (currency, amount) in enumerate(money):
            n = count - len(money) + 1 if index == 0 else 1
            entry_key = base if index == 0 else f"{base}:{currency}"
            entries.append(Entry(key, n, n * points, amount, currency, entry_key))
    return entries


def beyond_logged(
    row: SheetRow, logged: Logged, catalog: Catalog
) -> tuple[SheetRow, list[Problem]]:
    """The part of the sheet's week Tally doesn't hold yet. A sheet's count is the week's total,
    so what was logged in Slack counts toward it and the import holds the rest: importing an
    export where it came from doubles nothing. A cell below what is logged is a problem, since
    an import never takes away what a rep logged."""
    problems: list[Problem] = []
    counts: dict[str, int] = {}
    amounts: dict[str, Decimal] = {}
    for key, column in row.columns.items():
        activity = catalog.get(key)
        if activity is not None:
            sheet, held = row.counts.get(key, 0), logged.counts.get(key, 0)
            if sheet < held:
                problems.append(
                    Problem(
                        row.place.at(column),
                        f"{activity.label}: {sheet}, but {held} are logged in Tally already; "
                        "a sheet's count is the week's total, so it can't be less",
                    )
                )
            elif sheet > held:
                counts[key] = sheet - held
            continue
        sheet_amount, held_amount = row.amounts.get(key, Decimal(0)), logged.amounts.get(key)
        if held_amount is not None and sheet_amount < held_amount:
            problems.append(
                Problem(
                    row.place.at(column),
                    f"{_shown(sheet_amount)} {key}, but deals of {_shown(held_amount)} {key} are "
                    "logged in Tally already",
                )
            )
        elif sheet_amount > (held_amount or 0):
            amounts[key] = sheet_amount - (held_amount or 0)
    deals = counts.get(CLOSED_WON, 0)
    if not problems and len(amounts) > deals:
        column = row.columns[next(iter(amounts))]
        problems.append(
            Problem(
                row.place.at(column),
                "the amounts are more than the deals logged in Tally, but the closed-won count "
                "isn't: each added amount belongs to a deal the sheet adds",
            )
        )
    return SheetRow(row.place, row.who, row.week, counts, amounts, row.columns), problems


def _points_of(catalog: Catalog, key: str) -> int:
    activity = catalog.get(key)
    assert activity is not None, f"read_sheets only keeps catalog activities, not {key!r}"
    return activity.points


def _read_sheet(file: str, sheet: Sheet, catalog: Catalog, monday: date, out: Reading) -> None:
    rows = [(number, row) for number, row in enumerate(sheet.cells, start=1) if _filled(row)]
    if not rows:
        return
    (header_row, headers), body = rows[0], rows[1:]
    here = Place(file, sheet.name, header_row)
    columns = _columns(here, headers, body, catalog, out.problems)
    if columns is None:
        return
    title_week = week_of(sheet.week_from)
    if columns.week is None and title_week is None:
        shown = "the file name" if sheet.name is None else "its title"
        out.problems.append(
            Problem(
                here,
                f"no {WEEK} column, and {shown} “{sheet.week_from}” is not a week like "
                "2026-W48, `Week of 2026-11-23` or 2026-11-23",
            )
        )
        return
    for number, cells in body:
        place = Place(file, sheet.name, number)
        found = _read_row(place, cells, columns, title_week, monday, out.problems)
        if found is not None:
            _read_cells(place, *found, cells, columns, catalog, out)


def _filled(row: Sequence[object]) -> bool:
    return any(not _blank(cell) for cell in row)


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _columns(
    here: Place,
    headers: Sequence[object],
    body: Sequence[tuple[int, Sequence[object]]],
    catalog: Catalog,
    problems: list[Problem],
) -> _Columns | None:
    """What each header means; None (with the problems said) when the sheet can't be read."""
    found: dict[str, int] = {}
    activities: dict[int, ActivityType] = {}
    amounts: dict[int, str] = {}
    before = len(problems)
    unknown: list[Problem] = []
    for column, raw in enumerate(headers, start=1):
        header = unmarked(raw)
        cell = here.at(column)
        if _blank(header):
            if any(not _blank(row[column - 1]) for _, row in body if column <= len(row)):
                problems.append(Problem(cell, "this column holds cells but has no header"))
            continue
        text = str(header)
        name = words(text)
        role = _role(name)
        if role is not None:
            if role in found:
                problems.append(Problem(cell, f"a second “{text}” column"))
            elif role != "derived":
                found[role] = column
            continue
        if match := _AMOUNT.fullmatch(text.strip()):
            currency = (match[1] or DEFAULT_CURRENCY).upper()
            if currency not in CODES:
                problems.append(Problem(cell, f"“{text}”: Tally keeps no {currency} amounts"))
            elif currency in amounts.values():
                problems.append(Problem(cell, f"a second {currency} amount column"))
            else:
                amounts[column] = currency
            continue
        activity = _activity(catalog, name)
        if activity is None:  # said, but the rest of the sheet is still checked
            unknown.append(
                Problem(
                    cell,
                    f"unknown column “{text}”: no activity has that label, key or alias, and "
                    "it is none of the sheet's other columns",
                )
            )
        elif activity in activities.values():
            problems.append(Problem(cell, f"a second column for {activity.label}"))
        else:
            activities[column] = activity
    if not ({"rep", "user_id", "email"} & found.keys()):
        problems.append(
            Problem(here, f"no {REP}, {USER_ID} or Email column says whose row is whose")
        )
    fatal = len(problems) > before
    problems.extend(unknown)
    if fatal:
        return None
    return _Columns(
        rep=found.get("rep"),
        user_id=found.get("user_id"),
        email=found.get("email"),
        week=found.get("week"),
        points=found.get("points"),
        activities=activities,
        amounts=amounts,
    )


def _role(name: tuple[str, ...]) -> str | None:
    for role, names in (
        ("rep", _REP_NAMES),
        ("user_id", _USER_ID_NAMES),
        ("email", _EMAIL_NAMES),
        ("week", _WEEK_NAMES),
        ("points", _POINTS_NAMES),
        ("derived", _DERIVED),
    ):
        if name in names:
            return role
    return None


def _activity(catalog: Catalog, name: tuple[str, ...]) -> ActivityType | None:
    """By label, key or alias, as written or in the singular (`Outbound calls`); a retired
    activity's column still reads, since old sheets have it."""
    found = catalog.by_name.get(name)
    if found is not None:
        return found
    singular = tuple(_singular(word) for word in name)
    return next(
        (
            activity
            for activity in catalog.every
            for known in activity.names
            if tuple(_singular(word) for word in known) == singular
        ),
        None,
    )


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _cell(cells: Sequence[object], column: int | None) -> object:
    if column is None or column > len(cells):
        return None
    return unmarked(cells[column - 1])


def _text(cells: Sequence[object], column: int | None) -> str:
    value = _cell(cells, column)
    return "" if value is None else _shown(value).strip()


def _read_row(
    place: Place,
    cells: Sequence[object],
    columns: _Columns,
    title_week: str | None,
    this_monday: date,
    problems: list[Problem],
) -> tuple[Who, str] | None:
    """The row's rep and week; None for a totals row, or (said in `problems`) when they won't
    do."""
    name = _text(cells, columns.rep)
    user_id = _text(cells, columns.user_id).upper()
    email = _text(cells, columns.email)
    if not user_id and not email:
        if words(name) in _SUMMARY_ROWS:
            return None
        if not name:
            problems.append(Problem(place, "the row has cells but names no rep"))
            return None
    before = len(problems)
    if user_id and not _USER_ID.fullmatch(user_id):
        typed = _text(cells, columns.user_id)
        problems.append(
            Problem(
                _at(place, columns.user_id), f"“{typed}” isn't a Slack user id (like U0123ABCD)"
            )
        )
    if email and not user_id and "@" not in email:
        problems.append(Problem(_at(place, columns.email), f"“{email}” isn't an email address"))
    week = title_week
    if not _blank(_cell(cells, columns.week)):
        week = week_of(_cell(cells, columns.week))
        if week is None:
            problems.append(
                Problem(
                    _at(place, columns.week),
                    f"“{_text(cells, columns.week)}” isn't a week; write it like 2026-W48",
                )
            )
    if week is None:
        if len(problems) == before:
            problems.append(Problem(_at(place, columns.week), "no week"))
    elif parse_iso_week(week) > this_monday:
        problems.append(
            Problem(_at(place, columns.week), f"{week} is still ahead: nothing happened in it yet")
        )
    if len(problems) > before or week is None:
        return None
    who = Who(
        user_id=user_id or None,
        email=email or None,
        name=name,
        email_place=_at(place, columns.email),
        name_place=_at(place, columns.rep),
    )
    return who, week


def _at(place: Place, column: int | None) -> Place:
    return place if column is None else place.at(column)


def _read_cells(
    place: Place,
    who: Who,
    week: str,
    cells: Sequence[object],
    columns: _Columns,
    catalog: Catalog,
    out: Reading,
) -> None:
    """Counts and amounts; the row is kept only when every one of them is fine."""
    before = len(out.problems)
    counts: dict[str, int] = {}
    for column, activity in columns.activities.items():
        count = _count(place.at(column), _cell(cells, column), activity, out.problems)
        if count:
            counts[activity.key] = count
    amounts: dict[str, Decimal] = {}
    for column, currency in columns.amounts.items():
        amount = _amount(place.at(column), _cell(cells, column), currency, out.problems)
        if amount is not None:
            amounts[currency] = amount
    deals = counts.get(CLOSED_WON, 0)
    if len(amounts) > deals:
        column = next(c for c, currency in columns.amounts.items() if currency in amounts)
        out.problems.append(
            Problem(
                place.at(column),
                f"amounts in {len(amounts)} currencies but {_deals(deals)} closed-won: "
                "each amount belongs to a closed-won deal"
                if deals
                else "an amount but no closed-won count: an amount belongs to a closed-won deal",
            )
        )
    if len(out.problems) > before:
        return
    where = {activity.key: column for column, activity in columns.activities.items()}
    where |= {currency: column for column, currency in columns.amounts.items()}
    row = SheetRow(place, who, week, counts, amounts, where)
    out.rows.append(row)
    if columns.points is not None:
        _check_points(row, columns.points, cells, catalog, out.warnings)


def _count(
    place: Place, value: object, activity: ActivityType, problems: list[Problem]
) -> int | None:
    """A whole number from 0 to MAX_WEEK_COUNT; blank is 0."""
    if _blank(value):
        return 0
    number: Decimal | None = None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = Decimal(value.strip().replace(",", ""))
    shown = f"{activity.label}: “{_shown(value)}”"
    if number is None or not number.is_finite():
        problems.append(Problem(place, f"{shown} isn't a number"))
    elif number < 0:
        problems.append(Problem(place, f"{shown} is negative; a count is 0 or more"))
    elif number != number.to_integral_value():
        problems.append(Problem(place, f"{shown} isn't a whole number"))
    elif number > MAX_WEEK_COUNT:
        problems.append(Problem(place, f"{shown} is more than a week's {MAX_WEEK_COUNT:,}"))
    else:
        return int(number)
    return None


def _amount(place: Place, value: object, currency: str, problems: list[Problem]) -> Decimal | None:
    """A number in the column's currency, or an amount as `/log` takes it (`€9k`) in that
    currency, within the same limits; blank and zero are no amount."""
    if _blank(value):
        return None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = format(Decimal(str(value)), "f")
    else:
        text = str(value).strip()
    plain = _PLAIN_AMOUNT.fullmatch(text)
    if plain and _NUMBER.fullmatch(text) and Decimal(text.replace(",", "")) == 0:
        return None
    try:
        parsed = parse_amount(text)
    except LogParseError as error:
        problems.append(Problem(place, str(error)))
        return None
    if not plain and parsed.currency != currency:
        problems.append(
            Problem(place, f"“{text}” is in {parsed.currency}, but this column holds {currency}")
        )
        return None
    return parsed.value


def _check_points(
    row: SheetRow, column: int, cells: Sequence[object], catalog: Catalog, out: list[Problem]
) -> None:
    value = _cell(cells, column)
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = Decimal(value.strip().replace(",", ""))
    if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
        return
    computed = sum(count * _points_of(catalog, key) for key, count in row.counts.items())
    if value != computed:
        out.append(
            Problem(
                row.place.at(column),
                f"{POINTS} says {_shown(value)} but the counts make {computed} with today's "
                "points table (it may have changed since); the counts are imported",
            )
        )


def _deals(n: int) -> str:
    return f"{n} deal" if n == 1 else f"{n} deals"


def _shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
