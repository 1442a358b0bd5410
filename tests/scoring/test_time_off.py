"""Days off and holidays: the goal pro-rated to the days worked, and `/tally away` read."""

from datetime import date

import pytest

from bot.settings import SettingsError, load_settings
from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules
from scoring.time_off import TimeOffError, day_ranges, parse_away, prorated_goal

MONDAY = date(2026, 12, 21)
TODAY = date(2026, 12, 4)


def _day(n: int) -> date:
    return date(2026, 12, 21 + n)


def test_two_days_off_leave_three_fifths_of_the_goal() -> None:
    assert prorated_goal(500, MONDAY, [_day(0), _day(1)], []) == 300


def test_holidays_count_like_days_off_but_only_once() -> None:
    assert prorated_goal(500, MONDAY, [_day(4)], [_day(4), _day(3)]) == 300


def test_the_goal_is_rounded_to_a_whole_number() -> None:
    assert prorated_goal(333, MONDAY, [_day(0)], []) == 266  # 266.4
    assert prorated_goal(333, MONDAY, [_day(0), _day(1), _day(2)], []) == 133  # 133.2
    assert prorated_goal(7, MONDAY, [_day(0), _day(1)], []) == 4  # 4.2
    assert prorated_goal(1, MONDAY, [_day(0), _day(1), _day(2), _day(3)], []) == 1


def test_a_week_away_has_no_goal() -> None:
    assert prorated_goal(500, MONDAY, [_day(n) for n in range(3)], [_day(3), _day(4)]) is None


def test_days_outside_the_week_and_weekends_change_nothing() -> None:
    assert prorated_goal(500, MONDAY, [date(2026, 12, 19), _day(5), _day(7)], []) == 500


def test_holidays_come_from_the_config() -> None:
    rules = ScoringRules.from_config(DEFAULT_CATALOG, {"holidays": ["2026-12-25", "2026-12-24"]})

    assert rules.week_goal(MONDAY) == 300
    assert rules.week_goal(MONDAY, [_day(0), _day(1), _day(2)]) is None


@pytest.mark.parametrize("bad", ["2026-13-01", "25/12/2026", 20261225, "2026-12-25T00:00"])
def test_a_bad_holiday_is_a_one_line_settings_error(tmp_path, bad: object) -> None:
    config = tmp_path / "tally.toml"
    config.write_text(f"holidays = [{bad!r}]\n".replace("'", '"'))

    with pytest.raises(SettingsError, match="holidays must be dates") as error:
        load_settings({"TALLY_CONFIG": str(config)}, slack=False)
    assert "\n" not in str(error.value)


def test_one_day_a_range_and_taking_them_back() -> None:
    one = parse_away("2026-12-24", TODAY)
    week = parse_away("2026-12-24..2026-12-31", TODAY)
    back = parse_away("off 2026-12-28 .. 2026-12-29", TODAY)

    assert one is not None and one.days == (date(2026, 12, 24),) and not one.back
    assert week is not None and len(week.days) == 6  # the weekend is skipped
    assert back is not None and back.back and back.days == (date(2026, 12, 28), date(2026, 12, 29))
    assert parse_away("", TODAY) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("soon", "“soon” isn't a date"),
        ("2026-02-30", "“2026-02-30” isn't a date"),
        ("2026-12-31..2026-12-24", "before it starts"),
        ("2026-12-01..2027-02-15", "at most 60"),
        ("2026-11-26", "more than 7 days ago"),
        ("2027-12-06", "more than a year ahead"),
        ("2026-12-05..2026-12-06", "weekend"),
        ("off", "Say which days"),
        ("2026-12-24..2026-12-25..2026-12-26", "isn't a day or a range"),
    ],
)
def test_dates_nobody_could_mean_are_refused(text: str, why: str) -> None:
    with pytest.raises(TimeOffError, match=why):
        parse_away(text, TODAY)


def test_days_off_are_listed_as_runs_across_weekends() -> None:
    days = [date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 5)]

    assert day_ranges(days) == [
        (date(2026, 12, 24), date(2026, 12, 28)),
        (date(2027, 1, 5), date(2027, 1, 5)),
    ]
