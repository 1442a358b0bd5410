"""The export sheet's shape: catalog columns, zeros for quiet weeks, goals, amounts, totals, and
text a spreadsheet would otherwise run as a formula."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.catalog import DEFAULT_CATALOG, catalog_from_config
from scoring.rules import ScoringRules
from scoring.sheet import (
    FORMULA_STARTS,
    TEXT_MARK,
    Rep,
    neutralised,
    rep_weeks,
    totals_table,
    week_table,
)
from scoring.tally import tally_week

RULES = ScoringRules(catalog=DEFAULT_CATALOG)
RITA = Rep("U0RITA", "Rita", "Mona", onboarding_start=date(2026, 10, 12))  # W48 is her week 7
RAVI = Rep("U0RAVI", "Ravi", "Mona", onboarding_start=None)
NEW = Rep("U0NINA", "Nina", "Mona", onboarding_start=date(2026, 11, 23))  # W48 is her week 1


def _as_dicts(table) -> list[dict]:
    return [dict(zip(table.headers, row, strict=True)) for row in table.rows]


def test_one_row_per_rep_per_week_with_zeros_for_a_quiet_week() -> None:
    rows = {("U0RITA", "2026-W48"): [("call", 12, 12), ("demo_self_led", 1, 25)]}

    weeks = rep_weeks(RULES, [RITA, RAVI], ["2026-W47", "2026-W48"], rows, {})
    table = _as_dicts(week_table(DEFAULT_CATALOG, "2026-W47 to 2026-W48", weeks))

    assert [(r["Week"], r["Rep"]) for r in table] == [
        ("2026-W47", "Rita"),
        ("2026-W47", "Ravi"),
        ("2026-W48", "Rita"),
        ("2026-W48", "Ravi"),
    ]
    rita = table[2]
    assert rita["Outbound call"] == 12 and rita["Demo – self-led"] == 1
    assert rita["Points"] == 37 and rita["Onboarding week"] == 7
    assert all(r["Points"] == 0 and r["Outbound call"] == 0 for r in (table[0], table[1], table[3]))


def test_counts_follow_the_catalog_order_and_labels_then_retired_keys() -> None:
    rows = {("U0RITA", "2026-W48"): [("webinar", 1, 30), ("call", 2, 2)]}

    weeks = rep_weeks(RULES, [RITA], ["2026-W48"], rows, {})
    table = week_table(DEFAULT_CATALOG, "2026-W48", weeks)

    labels = [activity.label for activity in DEFAULT_CATALOG]
    assert table.headers[:5] == ("Rep", "Slack user id", "Manager", "Week", "Onboarding week")
    assert list(table.headers[5 : 5 + len(labels)]) == labels
    assert table.headers[5 + len(labels)] == "webinar"  # no longer in the catalog, still counted
    assert (
        _as_dicts(table)[0]["Points"]
        == tally_week(rows[("U0RITA", "2026-W48")], DEFAULT_CATALOG).total
    )


def test_goal_only_in_weeks_it_applies_and_met_says_yes_or_no() -> None:
    rows = {("U0RAVI", "2026-W48"): [("demo_self_led", 20, 500)], ("U0RITA", "2026-W48"): []}

    weeks = rep_weeks(RULES, [RITA, RAVI, NEW], ["2026-W48"], rows, {})
    rita, ravi, nina = _as_dicts(week_table(DEFAULT_CATALOG, "2026-W48", weeks))

    assert (rita["Goal"], rita["Goal met"]) == (500, "no")
    assert (ravi["Goal"], ravi["Goal met"]) == (500, "yes")
    assert (nina["Goal"], nina["Goal met"], nina["Onboarding week"]) == (None, None, 1)


def test_a_column_per_currency_with_the_default_one_always_there() -> None:
    amounts = {
        ("U0RITA", "2026-W48"): {"USD": Decimal("12500.00"), "EUR": Decimal("9000.50")},
        ("U0RAVI", "2026-W47"): {"GBP": Decimal("100.00")},
    }
    weeks = rep_weeks(RULES, [RITA, RAVI], ["2026-W47", "2026-W48"], {}, amounts)

    table = week_table(DEFAULT_CATALOG, "2026-W47 to 2026-W48", weeks)
    quiet = week_table(DEFAULT_CATALOG, "2026-W48", rep_weeks(RULES, [RITA], ["2026-W48"], {}, {}))

    money = [h for h in table.headers if h.startswith("Closed-won amount")]
    assert money == [
        "Closed-won amount (USD)",
        "Closed-won amount (EUR)",
        "Closed-won amount (GBP)",
    ]
    rita_w48 = _as_dicts(table)[2]
    assert rita_w48["Closed-won amount (USD)"] == Decimal("12500.00")
    assert rita_w48["Closed-won amount (EUR)"] == Decimal("9000.50")
    assert rita_w48["Closed-won amount (GBP)"] is None
    assert [h for h in quiet.headers if h.startswith("Closed-won amount")] == [money[0]]


def test_totals_sum_each_rep_over_the_weeks_then_everyone() -> None:
    rows = {
        ("U0RITA", "2026-W47"): [("call", 10, 10)],
        ("U0RITA", "2026-W48"): [("call", 5, 5), ("demo_self_led", 20, 500)],
        ("U0RAVI", "2026-W48"): [("email", 3, 3)],
    }
    amounts = {("U0RITA", "2026-W48"): {"USD": Decimal("10.10")}}
    amounts[("U0RAVI", "2026-W48")] = {"USD": Decimal("0.20")}
    weeks = rep_weeks(RULES, [RITA, RAVI], ["2026-W47", "2026-W48"], rows, amounts)

    totals = totals_table(DEFAULT_CATALOG, weeks)
    rita, ravi, everyone = _as_dicts(totals)

    assert totals.title == "Totals"
    assert (rita["Rep"], rita["Weeks"], rita["Outbound call"], rita["Points"]) == (
        "Rita",
        2,
        15,
        515,
    )
    assert (rita["Goal"], rita["Weeks goal met"]) == (1000, 1)
    assert (ravi["Points"], ravi["Weeks goal met"]) == (3, 0)
    assert everyone["Rep"] == "All reps" and everyone["Points"] == 518
    assert everyone["Closed-won amount (USD)"] == Decimal("10.30")


@pytest.mark.parametrize(
    "typed", ['=HYPERLINK("http://evil.test","Click")', "@SUM(A1:A9)", "+1", "-1", "\t=1"]
)
def test_text_a_spreadsheet_would_run_is_kept_as_text(typed: str) -> None:
    rep = Rep("U0EVIL", typed, typed, None)
    config = [{"key": "webinar", "label": typed, "points": 30, "aliases": ["webinar"]}]
    catalog = catalog_from_config(config)
    rules = ScoringRules(catalog=catalog)

    weeks = rep_weeks(rules, [rep], ["2026-W48"], {}, {})
    row = _as_dicts(week_table(catalog, "2026-W48", weeks))[0]
    totals = _as_dicts(totals_table(catalog, weeks))[0]

    assert row["Rep"] == row["Manager"] == totals["Rep"] == TEXT_MARK + typed
    assert TEXT_MARK + typed in week_table(catalog, "2026-W48", weeks).headers


@given(st.text())
def test_neutralised_text_never_starts_a_formula_and_keeps_every_character(text: str) -> None:
    shown = neutralised(text)
    assert not shown.startswith(FORMULA_STARTS)
    assert shown.endswith(text) and len(shown) - len(text) in (0, 1)
