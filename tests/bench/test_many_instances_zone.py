"""The many-instances run picks a zone where its 08:00 slots are due, at any moment of any week.

CI once went red on a Saturday morning (UTC) because the run only accepted weekdays."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.many_instances import working_zone


def test_some_zone_is_in_working_hours_at_every_half_hour_of_a_week_either_side_of_dst() -> None:
    for start in (datetime(2026, 12, 5, tzinfo=UTC), datetime(2027, 7, 3, tzinfo=UTC)):
        for step in range(7 * 48):
            now = start + timedelta(minutes=30 * step)
            local = now.astimezone(ZoneInfo(working_zone(now)))
            assert 9 <= local.hour < 17, (now, local)
