"""Periods as typed after `/tally` and `/tally board`."""

from datetime import date

import pytest

from scoring.periods import THIS_MONTH, PeriodError, parse_period

FRIDAY = date(2026, 12, 4)  # in 2026-W49


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("", "2026-W49"),
        ("This  Week", "2026-W49"),
        ("last week", "2026-W48"),
        ("2026-w47", "2026-W47"),
        ("2026W01", "2026-W01"),
        ("month", THIS_MONTH),
    ],
)
def test_what_people_type(text: str, period: str) -> None:
    assert parse_period(text, FRIDAY) == period


def test_a_week_not_begun_is_refused_unless_a_board_asks() -> None:
    with pytest.raises(PeriodError, match=r"2026-W50 hasn't started yet.*`last week`"):
        parse_period("2026-W50", FRIDAY)

    assert parse_period("2026-W50", FRIDAY, ahead=True) == "2026-W50"


@pytest.mark.parametrize("text", ["someday", "last month", "2026-W99", "2026-12-01"])
def test_nonsense_names_what_works(text: str) -> None:
    with pytest.raises(PeriodError, match=f"`month`.*“{text}” isn't one of those"):
        parse_period(text, FRIDAY)
