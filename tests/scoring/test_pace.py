import re
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.catalog import DEFAULT_CATALOG, catalog_from_config
from scoring.pace import pace_for

MONDAY_MORNING = datetime(2026, 11, 23, 9, 30)
WEDNESDAY_NOON = datetime(2026, 11, 25, 12, 0)
SATURDAY = datetime(2026, 11, 28, 10, 0)


def pace(total: int, now: datetime, goal: int = 500):
    return pace_for(total, goal, now, DEFAULT_CATALOG)


def test_monday_morning_is_too_early_to_project_or_to_be_behind():
    result = pace(0, MONDAY_MORNING)
    assert (result.status, result.projected, result.to_go) == ("on_track", None, 500)
    assert result.expected_by_now == 6  # half an hour of a 40-hour week


def test_monday_morning_with_points_is_ahead():
    assert pace(25, MONDAY_MORNING).status == "ahead"


def test_before_work_on_monday_nothing_is_expected():
    result = pace(0, datetime(2026, 11, 23, 7, 0))
    assert (result.expected_by_now, result.status) == (0, "on_track")


@pytest.mark.parametrize(
    ("total", "status"),
    [(0, "behind"), (213, "behind"), (214, "on_track"), (261, "on_track"), (262, "ahead")],
)  # 237.5 points are due: within 10% either way is on track
def test_wednesday_noon(total, status):
    result = pace(total, WEDNESDAY_NOON)
    assert result.expected_by_now == 237  # 19 of 40 working hours gone
    assert result.status == status


def test_wednesday_noon_projection_is_a_straight_line():
    assert pace(190, WEDNESDAY_NOON).projected == 400


@pytest.mark.parametrize(("total", "status"), [(0, "behind"), (499, "behind"), (500, "met")])
def test_saturday_the_week_is_over(total, status):
    result = pace(total, SATURDAY)
    assert (result.status, result.expected_by_now, result.projected) == (status, 500, total)


def test_evenings_count_as_the_end_of_that_working_day():
    assert pace(0, datetime(2026, 11, 25, 22, 0)).expected_by_now == 300
    assert pace(0, datetime(2026, 11, 26, 8, 0)).expected_by_now == 300


def test_met_goal_says_so():
    result = pace(620, WEDNESDAY_NOON)
    assert (result.status, result.to_go, result.suggestion) == ("met", 0, "Goal met — nice work!")


@pytest.mark.parametrize(
    ("to_go", "plan"),
    [
        (25, "1 self-led demo"),
        (50, "2 self-led demos"),
        (53, "2 self-led demos and 3 calls"),
        (74, "3 self-led demos"),  # not 2 demos and 24 calls
        (1, "1 call"),
        (3, "3 calls"),
        (10, "1 meeting booked"),
    ],
)
def test_suggestions_are_concrete_and_pluralized(to_go, plan):
    assert (
        pace(500 - to_go, WEDNESDAY_NOON).suggestion == f"You'd reach the goal with {plan} today."
    )


def test_suggestions_never_ask_for_a_won_deal():
    catalog = catalog_from_config([{"key": "closed_won", "points": 100}])
    closing = pace_for(450, 500, WEDNESDAY_NOON, catalog, mix={"closed_won": 9, "call": 10})
    assert closing.suggestion == "You'd reach the goal with 50 calls today."
    assert "deal" not in pace_for(400, 500, WEDNESDAY_NOON, catalog).suggestion


def test_suggestion_uses_the_teams_catalog():
    catalog = catalog_from_config(
        [{"key": "visit", "label": "Site visit", "points": 40, "singular": "site visit"}]
    )
    assert pace_for(420, 500, WEDNESDAY_NOON, catalog).suggestion == (
        "You'd reach the goal with 2 site visits today."
    )


def test_suggestion_without_anything_to_suggest_counts_points():
    catalog = catalog_from_config(
        [{"key": "closed_won", "points": 25, "suggest": False}], replace=True
    )
    assert pace_for(400, 500, WEDNESDAY_NOON, catalog).suggestion == "100 pts to go."


# The cases reps reported (issue #7): every suggestion fits in one realistic day (150 pts for a
# 500-pt goal) and names a day they can still work.
@pytest.mark.parametrize(
    ("total", "now", "suggestion"),
    [
        (  # Friday morning with nothing logged: was "20 self-led demos would get you there."
            0,
            datetime(2026, 11, 27, 10, 0),
            "The goal is out of reach this week, and that's okay: 5 self-led demos and "
            "1 DM conversation today would still make it a strong day.",
        ),
        (  # 01:50 on Tuesday: the working day is still ahead, so plan all of it
            0,
            datetime(2026, 11, 24, 1, 50),
            "Strong days can still reach the goal: 6 self-led demos today would be one.",
        ),
        (  # 22:50 on Tuesday: today is over
            150,
            datetime(2026, 11, 24, 22, 50),
            "You'd be on pace with 6 self-led demos tomorrow.",
        ),
        (  # 16:30: half an hour left is no day to plan
            100,
            datetime(2026, 11, 23, 16, 30),
            "You'd be on pace with 4 self-led demos tomorrow.",
        ),
        (0, MONDAY_MORNING, "You'd be on pace with 4 self-led demos today."),
        (  # Wednesday noon at 240: 300 are due tonight
            240,
            WEDNESDAY_NOON,
            "You'd be on pace with 2 self-led demos and 1 meeting booked today.",
        ),
        (  # ahead: an even share of what is left, not the whole gap
            320,
            WEDNESDAY_NOON,
            "You're on pace; 2 self-led demos today would keep it that way.",
        ),
        (  # Friday evening: the week can't be saved any more
            420,
            datetime(2026, 11, 27, 18, 0),
            "This week ends 80 pts short of the goal. 4 self-led demos on Monday would start "
            "next week on pace.",
        ),
        (
            420,
            SATURDAY,
            "The week ended 80 pts short of the goal. 4 self-led demos on Monday would start "
            "next week on pace.",
        ),
        (
            0,
            datetime(2026, 11, 29, 22, 0),  # Sunday night
            "The week ended 500 pts short of the goal. 4 self-led demos on Monday would start "
            "next week on pace.",
        ),
        (450, datetime(2026, 11, 27, 10, 0), "You'd reach the goal with 2 self-led demos today."),
        (500, datetime(2026, 11, 27, 10, 0), "Goal met — nice work!"),
    ],
)
def test_coaching_asks_for_a_realistic_day_on_a_day_that_is_left(total, now, suggestion):
    assert pace(total, now).suggestion == suggestion


def test_out_of_reach_midweek_says_so_and_plans_a_strong_day():
    result = pace(30, datetime(2026, 11, 25, 12, 30))  # 470 to go, at most 384 left in the week
    assert result.suggestion == (
        "The goal is out of reach this week, and that's okay: 3 self-led demos and "
        "1 DM conversation today would still make it a strong day."
    )


def test_the_rep_mix_shapes_the_plan():
    mix = {"call": 240, "email": 80, "demo_self_led": 6, "closed_won": 3}
    result = pace_for(0, 500, MONDAY_MORNING, DEFAULT_CATALOG, mix=mix)
    assert result.suggestion == (
        "You'd be on pace with 58 calls, 1 self-led demo and 17 emails today."
    )


def test_a_mix_of_activities_no_longer_in_the_catalog_falls_back_to_the_catalog():
    mix = {"webinar": 12, "closed_won": 5}
    assert pace_for(0, 500, MONDAY_MORNING, DEFAULT_CATALOG, mix=mix).suggestion == (
        "You'd be on pace with 4 self-led demos today."
    )


def test_the_realistic_day_is_configurable():
    tuesday_night = datetime(2026, 11, 24, 22, 50)
    assert pace_for(0, 500, tuesday_night, DEFAULT_CATALOG, max_day=250).suggestion == (
        "Strong days can still reach the goal: 10 self-led demos tomorrow would be one."
    )
    assert pace_for(0, 500, tuesday_night, DEFAULT_CATALOG, max_day=50).suggestion == (
        "The goal is out of reach this week, and that's okay: 2 self-led demos tomorrow would "
        "still make it a strong day."
    )


def test_outside_the_goal_weeks_there_is_no_status_and_no_coaching():
    result = pace_for(0, 500, datetime(2026, 11, 27, 16, 0), DEFAULT_CATALOG, goal_applies=False)
    assert (result.status, result.coaching, result.suggestion) == ("no_goal", None, "")
    assert result.suggestion_about("Alex") == ""


def test_coaching_speaks_about_the_rep_to_someone_else():
    behind = pace(150, datetime(2026, 11, 24, 22, 50))
    ahead = pace(320, WEDNESDAY_NOON)
    assert (
        behind.suggestion_about("Alex") == "Alex would be on pace with 6 self-led demos tomorrow."
    )
    assert ahead.suggestion_about("Alex") == (
        "Alex is on pace; 2 self-led demos today would keep it that way."
    )
    assert pace(450, WEDNESDAY_NOON).suggestion_about("Alex").startswith("Alex would reach")


def _plan_points(suggestion: str) -> tuple[int, int]:
    """(points asked for, kinds of activity) in a suggestion's plan."""
    found = re.findall(
        r"(\d+) ([a-zA-Z][\w\- ]*?)(?=,| and | today| tomorrow| on Monday)", suggestion
    )
    points = 0
    for count, noun in found:
        activity = next(a for a in DEFAULT_CATALOG if noun in (a.singular, a.plural))
        points += int(count) * activity.points
    return points, len(found)


@given(
    total=st.integers(0, 499),
    now=st.datetimes(datetime(2026, 11, 23), datetime(2026, 11, 29, 23, 59)),
    mix=st.dictionaries(st.sampled_from([a.key for a in DEFAULT_CATALOG]), st.integers(0, 300)),
)
def test_a_suggestion_never_asks_for_more_than_a_realistic_day(total, now, mix):
    result = pace_for(total, 500, now, DEFAULT_CATALOG, mix=mix)
    asked, kinds = _plan_points(result.suggestion)
    assert 0 < asked <= 150
    assert kinds <= 3
    assert "deal" not in result.suggestion
    if now.weekday() >= 5 or (now.weekday() == 4 and now.hour >= 16):
        assert "on Monday" in result.suggestion
    elif now.hour >= 16:
        assert "tomorrow" in result.suggestion
    else:
        assert "today" in result.suggestion
    if result.suggestion.startswith(("You'd reach the goal", "You'd be on pace")):
        target = (
            result.to_go
            if "reach" in result.suggestion
            else -(-500 * (now.weekday() + (1 if now.hour < 16 else 2)) // 5) - total
        )
        assert target <= asked < target + 25


def test_goal_must_be_positive():
    with pytest.raises(ValueError, match="goal must be above 0"):
        pace(0, WEDNESDAY_NOON, goal=0)
