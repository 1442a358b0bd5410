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
    ("to_go", "suggestion"),
    [
        (25, "1 self-led demo would get you there."),
        (50, "2 self-led demos would get you there."),
        (53, "2 self-led demos and 3 calls would get you there."),
        (74, "3 self-led demos would get you there."),  # not 2 demos and 24 calls
        (1, "1 call would get you there."),
        (3, "3 calls would get you there."),
        (10, "1 meeting booked would get you there."),
    ],
)
def test_suggestions_are_concrete_and_pluralized(to_go, suggestion):
    assert pace(500 - to_go, WEDNESDAY_NOON).suggestion == suggestion


def test_suggestions_never_ask_for_a_won_deal():
    catalog = catalog_from_config([{"key": "closed_won", "points": 100}])
    assert pace_for(400, 500, WEDNESDAY_NOON, catalog).suggestion == (
        "4 self-led demos would get you there."
    )


def test_suggestion_uses_the_teams_catalog():
    catalog = catalog_from_config(
        [{"key": "visit", "label": "Site visit", "points": 40, "singular": "site visit"}]
    )
    assert pace_for(420, 500, WEDNESDAY_NOON, catalog).suggestion == (
        "2 site visits would get you there."
    )


def test_suggestion_without_anything_to_suggest_counts_points():
    catalog = catalog_from_config(
        [{"key": "closed_won", "points": 25, "suggest": False}], replace=True
    )
    assert pace_for(400, 500, WEDNESDAY_NOON, catalog).suggestion == "100 pts to go."


def test_behind_pace_suggests_catching_up_today_not_the_whole_week():
    monday_morning = datetime(2026, 11, 23, 9, 30)
    assert pace(0, monday_morning).suggestion == "4 self-led demos today would put you on pace."
    # Wednesday's target is 300 by tonight, so 240 leaves 60 to make up today
    wednesday = pace(240, WEDNESDAY_NOON).suggestion
    assert wednesday.endswith("today would put you on pace.")
    assert "self-led demo" in wednesday


def test_on_friday_the_suggestion_is_the_whole_gap():
    friday = datetime(2026, 11, 27, 10, 0)
    assert pace(450, friday).suggestion == "2 self-led demos would get you there."
    assert pace(0, friday).suggestion == "20 self-led demos would get you there."


def test_at_the_weekend_the_week_is_summed_up():
    assert pace(420, SATURDAY).suggestion == "The week ended 80 pts short of the goal."


@given(
    total=st.integers(0, 499),
    now=st.datetimes(datetime(2026, 11, 23), datetime(2026, 11, 29, 23, 59)),
)
def test_suggestion_always_covers_the_gap(total, now):
    result = pace(total, now)
    if now.weekday() >= 5:
        assert str(result.to_go) in result.suggestion
        return
    catching_up = result.suggestion.endswith(" today would put you on pace.")
    gap = result.to_go
    if catching_up:
        gap = 500 * (now.weekday() + 1) // 5 - total
    plan = (
        result.suggestion.removesuffix(" would get you there.")
        .removesuffix(" today would put you on pace.")
        .split(" and ")
    )
    covered = 0
    for phrase in plan:
        count, noun = phrase.split(" ", 1)
        activity = next(a for a in DEFAULT_CATALOG if noun in (a.singular, a.plural))
        covered += int(count) * activity.points
    assert gap <= covered < gap + 25
    assert len(plan) <= 2


def test_goal_must_be_positive():
    with pytest.raises(ValueError, match="goal must be above 0"):
        pace(0, WEDNESDAY_NOON, goal=0)
