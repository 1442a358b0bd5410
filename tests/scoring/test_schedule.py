"""When scheduled messages are due, in each recipient's own wall-clock time."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.schedule import Slot, due_today, due_weekly, latest_occurrence, parse_slot

FRIDAY_3PM = Slot(weekday=4, at=time(15))


@pytest.mark.parametrize(
    ("text", "slot"),
    [
        ("fri 15:00", FRIDAY_3PM),
        ("Friday 15:00", FRIDAY_3PM),
        ("weekdays 09:00", Slot(weekday=None, at=time(9))),
        ("9:30", Slot(weekday=None, at=time(9, 30))),
        ("wed 12:00", Slot(weekday=2, at=time(12))),
    ],
)
def test_slots_read_like_people_write_them(text: str, slot: Slot) -> None:
    assert parse_slot(text) == slot


@pytest.mark.parametrize("text", ["friday", "25:00", "fun 15:00", "fri 15:75", ""])
def test_bad_slots_are_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"15:00|time of day|day of the week"):
        parse_slot(text)


@pytest.mark.parametrize("text", ["fri 07:59", "weekdays 18:00", "wed 22:30", "00:00"])
def test_slots_outside_working_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="between 08:00 and 18:00"):
        parse_slot(text)


def _local(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def test_sydney_and_new_york_each_get_their_own_friday_afternoon() -> None:
    # 2026-11-27 04:30 UTC is Friday 15:30 in Sydney and Thursday 23:30 in New York.
    moment = datetime(2026, 11, 27, 4, 30, tzinfo=ZoneInfo("UTC"))
    in_sydney = due_weekly(FRIDAY_3PM, moment.astimezone(ZoneInfo("Australia/Sydney")))
    in_new_york = due_weekly(FRIDAY_3PM, moment.astimezone(ZoneInfo("America/New_York")))

    assert in_sydney == datetime(2026, 11, 27, 15, 0)
    # New York's latest Friday 15:00 is last week's, and its Monday-noon grace is long gone.
    assert in_new_york is None
    later = datetime(2026, 11, 27, 20, 0, tzinfo=ZoneInfo("UTC"))
    assert due_weekly(FRIDAY_3PM, later.astimezone(ZoneInfo("America/New_York"))) == datetime(
        2026, 11, 27, 15, 0
    )


def test_a_late_weekly_message_waits_for_working_hours_until_monday_noon() -> None:
    friday_evening = _local("America/New_York", 2026, 11, 27, 18, 0)
    saturday_early = _local("America/New_York", 2026, 11, 28, 7, 59)
    saturday_morning = _local("America/New_York", 2026, 11, 28, 8, 0)
    monday_early = _local("America/New_York", 2026, 11, 30, 7, 30)

    assert due_weekly(FRIDAY_3PM, friday_evening) is None
    assert due_weekly(FRIDAY_3PM, saturday_early) is None
    assert due_weekly(FRIDAY_3PM, saturday_morning) == datetime(2026, 11, 27, 15, 0)
    assert due_weekly(FRIDAY_3PM, monday_early) is None


def test_a_late_daily_message_is_never_sent_in_the_evening_nor_the_next_day() -> None:
    wednesday_noon = Slot(weekday=2, at=time(12))
    assert due_today(wednesday_noon, _local("Australia/Sydney", 2026, 11, 25, 17, 59)) == (
        datetime(2026, 11, 25, 12, 0)
    )
    assert due_today(wednesday_noon, _local("Australia/Sydney", 2026, 11, 25, 22, 57)) is None
    assert due_today(wednesday_noon, _local("Australia/Sydney", 2026, 11, 26, 8, 30)) is None


@given(st.datetimes(datetime(2026, 1, 1), datetime(2028, 12, 31)), st.integers(0, 6))
def test_nothing_is_ever_due_outside_working_hours(now: datetime, weekday: int) -> None:
    slot = Slot(weekday=weekday, at=time(9))
    if due_weekly(slot, now) is not None or due_today(slot, now) is not None:
        assert time(8) <= now.time() < time(18)


def test_a_clock_down_on_friday_catches_up_until_monday_noon() -> None:
    saturday = _local("America/New_York", 2026, 11, 28, 10, 0)
    monday_morning = _local("America/New_York", 2026, 11, 30, 11, 59)
    monday_afternoon = _local("America/New_York", 2026, 11, 30, 12, 0)

    assert due_weekly(FRIDAY_3PM, saturday) == datetime(2026, 11, 27, 15, 0)
    assert due_weekly(FRIDAY_3PM, monday_morning) == datetime(2026, 11, 27, 15, 0)
    assert due_weekly(FRIDAY_3PM, monday_afternoon) is None


def test_not_due_before_the_moment() -> None:
    assert due_weekly(FRIDAY_3PM, _local("Europe/London", 2026, 11, 27, 14, 59)) is None


def test_dst_week_keeps_the_local_wall_time() -> None:
    # Europe/London leaves summer time on 2026-10-25; the Friday before and after stay 15:00 local.
    before = _local("Europe/London", 2026, 10, 23, 15, 1)
    after = _local("Europe/London", 2026, 10, 30, 15, 1)
    assert due_weekly(FRIDAY_3PM, before) == datetime(2026, 10, 23, 15, 0)
    assert due_weekly(FRIDAY_3PM, after) == datetime(2026, 10, 30, 15, 0)
    assert after.utcoffset() != before.utcoffset()


def test_weekday_reminders_skip_weekends_and_expire_at_midnight() -> None:
    mornings = Slot(weekday=None, at=time(9))
    assert due_today(mornings, _local("UTC", 2026, 11, 23, 9, 0)) == datetime(2026, 11, 23, 9)
    assert due_today(mornings, _local("UTC", 2026, 11, 23, 8, 59)) is None
    assert due_today(mornings, _local("UTC", 2026, 11, 28, 10, 0)) is None  # Saturday


@given(st.datetimes(datetime(2026, 1, 1), datetime(2028, 12, 31)), st.integers(0, 6))
def test_latest_occurrence_is_the_last_one_not_in_the_future(now: datetime, weekday: int) -> None:
    slot = Slot(weekday=weekday, at=time(15))
    occurrence = latest_occurrence(slot, now)

    assert occurrence <= now < occurrence + timedelta(days=7)
    assert occurrence.weekday() == weekday and occurrence.time() == time(15)
