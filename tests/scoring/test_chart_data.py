"""What a chart draws: the weeks it spans, each week's goal as the sheet decides it, and the
team's bars in the board's order."""

from datetime import date

from scoring.catalog import DEFAULT_CATALOG
from scoring.chart_data import RepBar, chart_weeks, rep_series, team_bars
from scoring.rules import ScoringRules
from scoring.sheet import Rep, rep_weeks

RULES = ScoringRules(catalog=DEFAULT_CATALOG)
FRIDAY = date(2026, 11, 27)  # in 2026-W48


def test_thirteen_weeks_end_with_this_one_and_cross_the_new_year() -> None:
    weeks = chart_weeks(date(2027, 1, 13))  # a Wednesday in 2027-W02; 2026 has a week 53

    assert len(weeks) == len(set(weeks)) == 13
    assert weeks[0] == "2026-W43" and weeks[-3:] == ("2026-W53", "2027-W01", "2027-W02")
    assert chart_weeks(FRIDAY)[-1] == chart_weeks(date(2026, 11, 23))[-1] == "2026-W48"


def test_a_reps_weeks_carry_onboarding_numbers_and_the_goal_only_where_it_applies() -> None:
    rita = Rep("U0RITA", "rita", "mona", onboarding_start=date(2026, 10, 14))  # in 2026-W42
    ravi = Rep("U0RAVI", "ravi", "mona", onboarding_start=None)
    weeks = chart_weeks(FRIDAY)
    rows = {
        ("U0RITA", "2026-W43"): [("call", 40, 40)],
        ("U0RITA", "2026-W46"): [("demo_self_led", 10, 250), ("call", 5, 5)],
        ("U0RAVI", "2026-W46"): [("call", 99, 99)],
    }
    days_off = {"U0RITA": [date(2026, 11, 11), date(2026, 11, 12)]}  # Wed, Thu of 2026-W46
    sheet = rep_weeks(RULES, [ravi, rita], list(reversed(weeks)), rows, {}, days_off)

    series = rep_series(sheet, "U0RITA")

    assert [bar.week for bar in series] == list(weeks)  # oldest first, only rita's
    by_week = {bar.week: bar for bar in series}
    assert by_week["2026-W41"].onboarding_week is None and by_week["2026-W41"].goal is None
    assert [by_week[f"2026-W{n}"].onboarding_week for n in (42, 43, 44)] == [1, 2, 3]
    assert by_week["2026-W43"].goal is None and not by_week["2026-W43"].below_goal
    assert (by_week["2026-W44"].goal, by_week["2026-W44"].below_goal) == (500, True)
    assert (by_week["2026-W46"].points, by_week["2026-W46"].goal) == (255, 300)  # 3 days of 5
    assert sum(bar.points for bar in series) == 40 + 255


def test_a_teams_bars_are_that_weeks_most_points_first_with_names() -> None:
    reps = [
        Rep("U0NINA", "nina", "mona", onboarding_start=date(2026, 11, 23)),  # week 1: no goal
        Rep("U0BEA", "Bea", "mona", onboarding_start=None),
        Rep("U0AL", "al", "mona", onboarding_start=None),
    ]
    rows = {
        ("U0NINA", "2026-W48"): [("call", 30, 30)],
        ("U0BEA", "2026-W48"): [("demo_self_led", 24, 600)],
        ("U0AL", "2026-W48"): [("call", 30, 30)],
        ("U0AL", "2026-W47"): [("call", 900, 900)],  # last week: not on this chart
    }
    sheet = rep_weeks(RULES, reps, ["2026-W47", "2026-W48"], rows, {})

    bars = team_bars(sheet, "2026-W48")

    assert bars == [RepBar("Bea", 600, 500), RepBar("al", 30, 500), RepBar("nina", 30, None)]
    assert [bar.below_goal for bar in bars] == [False, True, False]
