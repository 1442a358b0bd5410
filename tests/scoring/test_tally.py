import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.catalog import DEFAULT_CATALOG
from scoring.tally import LineItem, Standing, progress_bar, rank_totals, tally_week


def test_tally_sums_per_activity_biggest_first():
    rows = [("call", 12, 12), ("demo_self_led", 1, 25), ("call", 8, 8), ("demo_self_led", 1, 25)]
    tally = tally_week(rows, DEFAULT_CATALOG)
    assert tally.total == 70
    assert tally.items == (
        LineItem("demo_self_led", "Demo – self-led", 2, 50),
        LineItem("call", "Outbound call", 20, 20),
    )


def test_equal_points_are_ordered_by_label():
    rows = [("meeting_booked", 1, 10), ("demo_meeting_booked", 1, 10), ("email", 10, 10)]
    labels = [item.label for item in tally_week(rows, DEFAULT_CATALOG).items]
    assert labels == ["Demo meeting booked", "Meeting booked", "Outbound email"]


def test_points_are_kept_as_earned_even_if_the_catalog_changed():
    tally = tally_week([("call", 10, 20)], DEFAULT_CATALOG)  # logged when calls were worth 2
    assert tally.total == 20
    assert tally.items[0].points == 20


def test_a_retired_activity_keeps_its_points_under_its_key():
    tally = tally_week([("webinar", 1, 30), ("call", 5, 5)], DEFAULT_CATALOG)
    assert tally.total == 35
    assert tally.items[0] == LineItem("webinar", "webinar", 1, 30)


def test_an_empty_week():
    assert tally_week([], DEFAULT_CATALOG) == tally_week(iter([]), DEFAULT_CATALOG)
    assert tally_week([], DEFAULT_CATALOG).total == 0
    assert tally_week([], DEFAULT_CATALOG).items == ()


@given(
    st.lists(
        st.tuples(
            st.sampled_from([*(a.key for a in DEFAULT_CATALOG), "gone"]),
            st.integers(1, 500),
            st.integers(0, 12500),
        )
    )
)
def test_total_is_the_sum_of_items_and_of_rows(rows):
    tally = tally_week(rows, DEFAULT_CATALOG)
    assert tally.total == sum(item.points for item in tally.items) == sum(r[2] for r in rows)
    assert sum(item.count for item in tally.items) == sum(r[1] for r in rows)
    assert len({item.key for item in tally.items}) == len(tally.items)


@pytest.mark.parametrize(
    ("total", "goal", "bar"),
    [
        (0, 500, "▱▱▱▱▱▱▱▱▱▱ 0%"),
        (200, 500, "▰▰▰▰▱▱▱▱▱▱ 40%"),
        (249, 500, "▰▰▰▰▱▱▱▱▱▱ 49%"),
        (499, 500, "▰▰▰▰▰▰▰▰▰▱ 99%"),  # never shows 100% before the goal is met
        (500, 500, "▰▰▰▰▰▰▰▰▰▰ 100%"),
        (750, 500, "▰▰▰▰▰▰▰▰▰▰ 150%"),
        (-10, 500, "▱▱▱▱▱▱▱▱▱▱ 0%"),
    ],
)
def test_progress_bar(total, goal, bar):
    assert progress_bar(total, goal) == bar


def test_progress_bar_width():
    assert progress_bar(1, 2, width=4) == "▰▰▱▱ 50%"


def test_progress_bar_needs_a_goal():
    with pytest.raises(ValueError, match="goal must be above 0"):
        progress_bar(10, 0)


def test_competition_ranking_with_ties_ordered_by_user_id():
    totals = {"U3": 300, "U9": 450, "U1": 300, "U4": 120, "U2": 450, "U5": 0}
    assert rank_totals(totals) == [
        Standing(1, "U2", 450),
        Standing(1, "U9", 450),
        Standing(3, "U1", 300),
        Standing(3, "U3", 300),
        Standing(5, "U4", 120),
        Standing(6, "U5", 0),
    ]


def test_ranking_nobody():
    assert rank_totals({}) == []


@given(st.dictionaries(st.from_regex(r"U[0-9A-Z]{4}", fullmatch=True), st.integers(0, 2000)))
def test_rank_is_one_plus_the_number_strictly_ahead(totals):
    for standing in rank_totals(totals):
        ahead = sum(points > standing.points for points in totals.values())
        assert standing.rank == ahead + 1
