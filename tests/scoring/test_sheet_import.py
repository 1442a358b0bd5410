"""Reading a sheet back: columns by label, key or alias; every bad cell named where it is."""

from datetime import date
from decimal import Decimal

from scoring.catalog import DEFAULT_CATALOG
from scoring.sheet_import import Logged, Sheet, beyond_logged, read_sheets

TODAY = date(2026, 12, 3)  # a Thursday in 2026-W49
HEADER = ["Rep", "Slack user id", "Manager", "Week", "Onboarding week", "Outbound call"]


def _read(*rows: list, header: list | None = None, title: str | None = None):
    sheet = Sheet(title, title or "old", [header or HEADER, *rows])
    return read_sheets("old.xlsx", [sheet], DEFAULT_CATALOG, TODAY)


def _said(reading) -> list[str]:
    return [str(problem) for problem in reading.problems]


def test_activity_columns_match_label_key_or_alias_in_any_case() -> None:
    header = ["Slack user id", "Week", "OUTBOUND CALLS", "demo_self_led", "cw", "Goal"]

    reading = _read(["U0RITA", "2026-W48", 3, "2", 1, 10], header=header)

    assert _said(reading) == []
    [row] = reading.rows
    assert row.counts == {"call": 3, "demo_self_led": 2, "closed_won": 1}
    assert (row.who.user_id, row.week) == ("U0RITA", "2026-W48")


def test_the_export_marks_on_text_are_dropped_and_totals_are_skipped() -> None:
    weeks = Sheet(
        "2026-W48", "2026-W48", [HEADER, ["'=rita", "U0RITA", "'@mona", "2026-w48", 4, 5]]
    )
    totals = Sheet("Totals", "Totals", [["Rep", "Weeks"], ["All reps", 1]])

    reading = read_sheets("old.xlsx", [weeks, totals], DEFAULT_CATALOG, TODAY)

    assert _said(reading) == []
    [row] = reading.rows
    assert (row.who.name, row.week, row.counts) == ("=rita", "2026-W48", {"call": 5})


def test_blank_rows_are_skipped_and_blank_counts_are_zero() -> None:
    reading = _read([None] * 6, ["rita", "U0RITA", "", "2026-W48", None, None])

    assert _said(reading) == []
    assert [row.counts for row in reading.rows] == [{}]


def test_an_amount_is_read_in_its_columns_currency() -> None:
    header = ["Slack user id", "Week", "Closed-won", "Closed-won amount (EUR)"]

    reading = _read(["U0RITA", "2026-W48", 1, 9000.5], header=header)

    assert _said(reading) == []
    assert reading.rows[0].amounts == {"EUR": Decimal("9000.5")}


def test_every_problem_names_its_sheet_row_and_cell() -> None:
    header = [*HEADER, "Closed-won", "Closed-won amount (USD)", "Cold emails"]

    reading = _read(
        ["rita", "U0RITA", "", "2026-W48", None, 2.5, 0, "12,500"],
        ["ravi", "U0RAVI", "", "2026-W50", None, -1, 1, "€9k"],
        ["nina", "U0NINA", "", "2026-W48", None, "x", 1, "0"],
        ["rita", "U0RITA", "", "2026-W47", None, 1, 0, None],
        header=header,
        title="Weeks",
    )

    where = "old.xlsx, sheet Weeks, row"
    assert [str(row.place) for row in reading.rows] == [f"{where} 5"]  # only the good row
    assert _said(reading) == [
        f"{where} 1, cell I1: unknown column “Cold emails”: no activity has that label, key or "
        "alias, and it is none of the sheet's other columns",
        f"{where} 2, cell F2: Outbound call: “2.5” isn't a whole number",
        f"{where} 2, cell H2: an amount but no closed-won count: an amount belongs to a "
        "closed-won deal",
        f"{where} 3, cell D3: 2026-W50 is still ahead: nothing happened in it yet",
        f"{where} 4, cell F4: Outbound call: “x” isn't a number",
    ]


def test_a_sheet_without_anyone_to_name_says_so() -> None:
    reading = _read(["2026-W48", 1], header=["Week", "Outbound call"])

    assert _said(reading) == [
        "old.xlsx, row 1: no Rep, Slack user id or Email column says whose row is whose"
    ]


def test_the_hand_made_sheet_takes_its_week_from_each_worksheets_title() -> None:
    header = ["Rep", "Slack user id", "Outbound call", "Meeting booked"]
    sheets = [
        Sheet("2026-W47", "2026-W47", [header, ["rita", "U0RITA", 4, 1]]),
        Sheet("Week of 2026-11-23", "Week of 2026-11-23", [header, ["rita", "U0RITA", 2, 0]]),
        Sheet("2026-W52", "2026-W52", [header, ["rita", "U0RITA", 1, 0]]),
    ]

    reading = read_sheets("old.xlsx", sheets, DEFAULT_CATALOG, TODAY)

    assert [(row.week, row.counts["call"]) for row in reading.rows] == [
        ("2026-W47", 4),
        ("2026-W48", 2),
    ]
    assert _said(reading) == [
        "old.xlsx, sheet 2026-W52, row 2: 2026-W52 is still ahead: nothing happened in it yet"
    ]


def test_what_slack_holds_counts_toward_the_sheets_total() -> None:
    header = [
        "Slack user id",
        "Week",
        "Outbound call",
        "Meeting booked",
        "Closed-won",
        "Closed-won amount (USD)",
    ]
    [row] = _read(["U0RITA", "2026-W48", 12, 1, 2, 300], header=header).rows
    logged = Logged({"call": 10, "closed_won": 1}, {"USD": Decimal(100)})

    rest, problems = beyond_logged(row, logged, DEFAULT_CATALOG)
    _, lower = beyond_logged(row, Logged({"meeting_booked": 3}), DEFAULT_CATALOG)

    assert problems == []
    assert (rest.counts, rest.amounts) == (
        {"call": 2, "meeting_booked": 1, "closed_won": 1},
        {"USD": Decimal(200)},
    )
    assert [str(p) for p in lower] == [
        "old.xlsx, row 2, cell D2: Meeting booked: 1, but 3 are logged in Tally "
        "already; a sheet's count is the week's total, so it can't be less"
    ]
