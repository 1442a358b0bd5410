"""Review cadences and due dates of account plans: pure, no database, no clock."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.plans import (
    MAX_MONTHS,
    MONTHLY,
    QUARTERLY,
    Cadence,
    account_key,
    is_overdue,
    next_due,
    parse_cadence,
    parse_new_plan,
)

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("text", "expected", "described"),
    [
        ("monthly", Cadence("month", 1), "monthly"),
        ("Quarterly", Cadence("month", 3), "quarterly"),
        ("every 10 days", Cadence("day", 10), "every 10 days"),
        ("every  1 day", Cadence("day", 1), "every day"),
        ("every 2 weeks", Cadence("day", 14), "every 14 days"),
        ("weekly", Cadence("day", 7), "weekly"),
        ("every 6 months", Cadence("month", 6), "every 6 months"),
        ("every month", Cadence("month", 1), "monthly"),
    ],
)
def test_cadences_people_type(text: str, expected: Cadence, described: str) -> None:
    assert parse_cadence(text) == expected
    assert expected.describe() == described


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("fortnightlyish", "monthly, quarterly, yearly or every N days"),
        ("every ten days", "monthly, quarterly, yearly or every N days"),
        ("every 0 days", "at least 1 day"),
        ("every 400 days", "at most 365 days"),
        ("every 13 months", "at most 12 months"),
    ],
)
def test_bad_cadences_get_a_friendly_message(text: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        parse_cadence(text)


@pytest.mark.parametrize(
    ("last", "cadence", "due"),
    [
        (date(2026, 1, 31), MONTHLY, date(2026, 2, 28)),  # clamped to month end
        (date(2028, 1, 31), MONTHLY, date(2028, 2, 29)),  # leap year
        (date(2028, 2, 29), MONTHLY, date(2028, 3, 29)),  # same day next month, not month end
        (date(2028, 2, 29), Cadence("month", 12), date(2029, 2, 28)),
        (date(2026, 11, 30), QUARTERLY, date(2027, 2, 28)),  # across a year, clamped
        (date(2027, 11, 30), QUARTERLY, date(2028, 2, 29)),
        (date(2026, 12, 15), MONTHLY, date(2027, 1, 15)),
        (date(2026, 10, 31), Cadence("month", 1), date(2026, 11, 30)),
        (date(2028, 2, 20), Cadence("day", 10), date(2028, 3, 1)),  # counts 29 Feb
    ],
)
def test_next_due(last: date, cadence: Cadence, due: date) -> None:
    assert next_due(last, cadence) == due


def test_a_plan_is_overdue_only_after_its_due_day() -> None:
    last = date(2026, 10, 27)  # monthly: due 27 Nov

    assert not is_overdue(last, MONTHLY, date(2026, 11, 26))
    assert not is_overdue(last, MONTHLY, date(2026, 11, 27))
    assert is_overdue(last, MONTHLY, date(2026, 11, 28))


def test_a_snoozed_plan_is_not_overdue_until_the_snooze_ends() -> None:
    last, until = date(2026, 9, 1), date(2026, 12, 4)

    assert not is_overdue(last, MONTHLY, date(2026, 11, 27), snoozed_until=until)
    assert not is_overdue(last, MONTHLY, date(2026, 12, 3), snoozed_until=until)
    assert is_overdue(last, MONTHLY, date(2026, 12, 4), snoozed_until=until)
    assert is_overdue(last, MONTHLY, date(2026, 11, 27), snoozed_until=date(2026, 11, 27))


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)), st.integers(1, 12))
def test_monthly_steps_land_in_the_right_month_never_past_the_day(last: date, months: int) -> None:
    due = next_due(last, Cadence("month", months))

    assert (due.year * 12 + due.month) - (last.year * 12 + last.month) == months
    assert due.day <= last.day
    assert due.day == last.day or (due + timedelta(days=1)).day == 1  # else clamped to month end


@pytest.mark.parametrize(
    ("text", "account", "cadence", "reviewed"),
    [
        ("Acme Corp", "Acme Corp", MONTHLY, TODAY),
        ("Acme Corp quarterly", "Acme Corp", QUARTERLY, TODAY),
        ("Acme  Corp every 10 days reviewed 2026-11-02", "Acme Corp", Cadence("day", 10),
         date(2026, 11, 2)),
        ("Acme Corp reviewed 2026-11-02 quarterly", "Acme Corp", QUARTERLY, date(2026, 11, 2)),
        ("Monthly Widgets Ltd", "Monthly Widgets Ltd", MONTHLY, TODAY),
        ("Initech reviewed yesterday", "Initech", MONTHLY, date(2026, 11, 26)),
    ],
)  # fmt: skip
def test_plan_add_text(text: str, account: str, cadence: Cadence, reviewed: date) -> None:
    new = parse_new_plan(text, TODAY)

    assert (new.account, new.cadence, new.reviewed) == (account, cadence, reviewed)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Acme reviewed 2026-13-40", "isn't a date; write the last review as YYYY-MM-DD"),
        ("Acme reviewed 2026-11-28", "in the future"),
        ("Acme every fortnight", "isn't a review cadence"),
        ("quarterly", "Name the account"),
        ("", "Name the account"),
        ("A" * 201, "at most 200 characters"),
    ],
)
def test_bad_plan_add_text_is_explained(text: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        parse_new_plan(text, TODAY)


def test_account_keys_ignore_case_and_spacing() -> None:
    assert account_key("  ACME   Corp ") == account_key("acme corp") == "acme corp"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yearly", Cadence("month", 12)),
        ("Annually", Cadence("month", 12)),
        ("annual", Cadence("month", 12)),
        ("every year", Cadence("month", 12)),
        ("half-yearly", Cadence("month", 6)),
        ("semiannually", Cadence("month", 6)),
        ("fortnightly", Cadence("day", 14)),
    ],
)
def test_yearly_and_other_common_cadences(text: str, expected: Cadence) -> None:
    assert parse_cadence(text) == expected


@pytest.mark.parametrize(
    "cadence",
    [Cadence("month", n) for n in range(1, MAX_MONTHS + 1)]
    + [Cadence("day", n) for n in (1, 2, 7, 10, 14, 30, 90, 365)],
)
def test_every_cadence_tally_prints_parses_back(cadence: Cadence) -> None:
    described = cadence.describe()

    assert parse_cadence(described) == cadence
    new = parse_new_plan(f"Globex {described}", TODAY)
    assert (new.account, new.cadence) == ("Globex", cadence)


@pytest.mark.parametrize(
    ("text", "account", "cadence"),
    [
        ("Globex yearly", "Globex", Cadence("month", 12)),
        ("Globex annually reviewed 2026-11-02", "Globex", Cadence("month", 12)),
        ("Globex every 2 months", "Globex", Cadence("month", 2)),
        ("Globex every day", "Globex", Cadence("day", 1)),
        ("Yearly Report Co quarterly", "Yearly Report Co", QUARTERLY),
    ],
)
def test_a_plan_name_never_swallows_a_cadence(text: str, account: str, cadence: Cadence) -> None:
    new = parse_new_plan(text, TODAY)

    assert (new.account, new.cadence) == (account, cadence)


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("Globex monthly quarterly", "one review cadence"),
        ("Globex reviewed 2026-11-01 reviewed 2026-11-02", "one review date"),
        ("Globex every 2 years", "at most 12 months"),
    ],
)
def test_two_cadences_are_refused_rather_than_kept_in_the_name(text: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        parse_new_plan(text, TODAY)
