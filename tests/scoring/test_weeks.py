from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.weeks import (
    goal_applies,
    happened_at,
    in_goal_window,
    iso_week_label,
    local_date,
    onboarding_week,
    parse_iso_week,
    week_bounds,
    week_start,
    zone,
)

DST_ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "America/Sao_Paulo"]
ZONES = [*DST_ZONES, "UTC", "Asia/Kolkata", "Pacific/Chatham", "Pacific/Apia", "Asia/Tokyo"]
DAYS = st.dates(date(2000, 1, 1), date(2060, 12, 31))
MOMENTS = st.datetimes(datetime(2000, 1, 1), datetime(2060, 12, 31), timezones=st.just(UTC))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("name", [None, "", "Mars/Olympus_Mons", "../etc/passwd", "America"])
def test_unknown_zone_is_utc(name):
    assert zone(name) == ZoneInfo("UTC")


def test_known_zone():
    assert zone("Europe/London") == ZoneInfo("Europe/London")


def test_local_date_crosses_midnight_in_the_reps_zone():
    moment = utc(2026, 11, 24, 3, 30)  # Tuesday 03:30 UTC
    assert local_date(moment, "America/New_York") == date(2026, 11, 23)
    assert local_date(moment, "Australia/Sydney") == date(2026, 11, 24)
    assert local_date(moment, "Nowhere/Special") == date(2026, 11, 24)


def test_local_date_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2026, 11, 24, 3, 30), "UTC")


def test_week_start_is_monday():
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # Sunday
    assert week_start(date(2026, 11, 23)) == date(2026, 11, 23)
    assert week_start(date(2027, 1, 1)) == date(2026, 12, 28)


def test_week_bounds_are_local_midnights():
    assert week_bounds("America/New_York", date(2026, 11, 25)) == (
        utc(2026, 11, 23, 5),
        utc(2026, 11, 30, 5),
    )
    assert week_bounds("Australia/Sydney", date(2026, 11, 25)) == (
        utc(2026, 11, 22, 13),
        utc(2026, 11, 29, 13),
    )


@pytest.mark.parametrize(
    ("tz_name", "day", "hours"),
    [
        ("America/New_York", date(2026, 3, 8), 167),  # spring forward on Sunday 8 March
        ("America/New_York", date(2026, 11, 1), 169),  # fall back on Sunday 1 November
        ("America/New_York", date(2026, 11, 25), 168),
        ("Europe/London", date(2026, 3, 29), 167),
        ("Europe/London", date(2026, 10, 25), 169),
        ("Australia/Sydney", date(2026, 4, 5), 169),  # southern autumn: clocks go back
        ("Australia/Sydney", date(2026, 10, 4), 167),
        ("America/Sao_Paulo", date(2018, 11, 4), 167),  # DST started at midnight
    ],
)
def test_dst_weeks_are_shorter_or_longer_but_start_at_local_midnight(tz_name, day, hours):
    start, end = week_bounds(tz_name, day)
    assert end - start == timedelta(hours=hours)
    tz = ZoneInfo(tz_name)
    assert start.astimezone(tz).date() == week_start(day)
    assert end.astimezone(tz).date() == week_start(day) + timedelta(days=7)
    assert (start - timedelta(microseconds=1)).astimezone(tz).date() < week_start(day)


def test_a_late_sunday_in_new_york_is_still_that_week():
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    start, end = week_bounds("America/New_York", local_date(sunday_night, "America/New_York"))
    assert start <= sunday_night < end
    assert iso_week_label(local_date(sunday_night, "America/New_York")) == "2026-W48"


@given(moment=MOMENTS, tz_name=st.sampled_from(ZONES))
def test_any_moment_lies_inside_the_week_of_its_local_date(moment, tz_name):
    start, end = week_bounds(tz_name, local_date(moment, tz_name))
    assert start <= moment < end
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)


@given(day=DAYS, tz_name=st.sampled_from(DST_ZONES))
def test_a_week_is_seven_local_days_and_167_to_169_hours(day, tz_name):
    start, end = week_bounds(tz_name, day)
    assert end - start in {timedelta(hours=h) for h in (167, 168, 169)}
    assert week_bounds(tz_name, day + timedelta(days=7))[0] == end  # weeks tile without gaps


@given(first=DAYS, second=DAYS)
def test_week_labels_are_monotonic(first, second):
    if first <= second:
        assert iso_week_label(first) <= iso_week_label(second)
    if week_start(first) == week_start(second):
        assert iso_week_label(first) == iso_week_label(second)


@given(day=DAYS)
def test_labels_parse_back_to_their_monday(day):
    assert parse_iso_week(iso_week_label(day)) == week_start(day)


@pytest.mark.parametrize(
    ("day", "label"),
    [
        (date(2026, 11, 25), "2026-W48"),
        (date(2026, 12, 31), "2026-W53"),
        (date(2027, 1, 1), "2026-W53"),
        (date(2027, 1, 4), "2027-W01"),
        (date(2024, 12, 30), "2025-W01"),
    ],
)
def test_year_ends(day, label):
    assert iso_week_label(day) == label


@pytest.mark.parametrize(
    ("label", "monday"),
    [
        ("2026-W48", date(2026, 11, 23)),
        ("2026-W53", date(2026, 12, 28)),
        ("2026-w01", date(2025, 12, 29)),
        (" 2026W5 ", date(2026, 1, 26)),
    ],
)
def test_parse_iso_week(label, monday):
    assert parse_iso_week(label) == monday


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("2026-W54", "“2026-W54” isn't a week: 2026 has weeks 1 to 53."),
        ("2027-W53", "“2027-W53” isn't a week: 2027 has weeks 1 to 52."),
        ("2026-W00", "“2026-W00” isn't a week: 2026 has weeks 1 to 53."),
        ("last week", "“last week” isn't a week; write it like 2026-W48."),
        ("2026-48", "“2026-48” isn't a week; write it like 2026-W48."),
    ],
)
def test_parse_iso_week_explains_junk(label, message):
    with pytest.raises(ValueError) as raised:
        parse_iso_week(label)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("day", "week"),
    [
        (date(2026, 11, 18), None),  # before the start week
        (date(2026, 11, 22), None),  # the Sunday before
        (date(2026, 11, 23), 1),  # Monday of the start week
        (date(2026, 11, 29), 1),  # Sunday of the start week
        (date(2026, 11, 30), 2),
        (date(2026, 12, 7), 3),
        (date(2027, 2, 22), 14),
    ],
)
def test_onboarding_week_counts_from_the_start_week(day, week):
    assert onboarding_week(date(2026, 11, 25), day) == week


@pytest.mark.parametrize(
    ("week", "inside"), [(None, False), (1, False), (2, False), (3, True), (13, True), (14, False)]
)
def test_goal_window_is_weeks_3_to_13(week, inside):
    assert in_goal_window(week) is inside


def test_goal_window_can_be_set():
    assert in_goal_window(2, (1, 4))
    assert not in_goal_window(5, (1, 4))


START = date(2026, 11, 25)  # a Wednesday: week 1 runs Mon 23 – Sun 29 Nov


@pytest.mark.parametrize(
    ("start", "day", "applies"),
    [
        (None, date(2026, 11, 27), True),  # no start date: the goal applies every week
        (date(2027, 1, 4), date(2026, 11, 27), False),  # starts in the future
        (START, date(2026, 11, 20), False),  # the week before the start
        (START, date(2026, 11, 24), False),  # week 1, even the days before the start day
        (START, date(2026, 12, 6), False),  # week 2
        (START, date(2026, 12, 7), True),  # week 3
        (START, date(2027, 2, 21), True),  # week 13
        (START, date(2027, 2, 22), False),  # week 14: onboarding is over
    ],
)
def test_the_goal_applies_without_a_start_and_inside_the_window(start, day, applies):
    assert goal_applies(start, day) is applies


def test_goal_applies_follows_the_configured_window():
    assert goal_applies(START, date(2026, 11, 27), (1, 13))
    assert not goal_applies(START, date(2026, 11, 20), (1, 13))


NOW = utc(2026, 11, 25, 15, 45)  # Wednesday 10:45 in New York


def test_happened_at_is_now_for_no_day_or_today():
    assert happened_at(None, "America/New_York", NOW) == NOW
    assert happened_at(date(2026, 11, 25), "America/New_York", NOW) == NOW


def test_happened_at_converts_now_to_utc():
    local_now = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    stored = happened_at(None, "Asia/Tokyo", local_now)
    assert stored == NOW and stored.utcoffset() == timedelta(0)


def test_happened_at_earlier_day_is_local_noon():
    assert happened_at(date(2026, 11, 24), "America/New_York", NOW) == utc(2026, 11, 24, 17)
    assert happened_at(date(2026, 11, 24), "Australia/Sydney", NOW) == utc(2026, 11, 24, 1)


def test_happened_at_uses_the_reps_today_not_utcs():
    late_evening = utc(2026, 11, 26, 2)  # still Wednesday 25th in New York
    assert happened_at(date(2026, 11, 25), "America/New_York", late_evening) == late_evening


def test_happened_at_lands_in_the_week_of_that_day_across_dst():
    day = date(2026, 11, 1)  # New York falls back this Sunday
    stored = happened_at(day, "America/New_York", utc(2026, 11, 3, 15))
    start, end = week_bounds("America/New_York", day)
    assert start <= stored < end
    assert local_date(stored, "America/New_York") == day
