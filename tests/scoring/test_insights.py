"""A rep's funnel through the SOP's stages, as a digest's third line shows it."""

from scoring.insights import FUNNEL, funnel


def test_a_funnel_counts_each_stage_in_order_and_leaves_a_teams_own_activities_out() -> None:
    counts = {"email": 4, "call": 12, "demo_self_led": 2, "demo_shadow": 1, "coffee_chat": 9}

    assert funnel(counts) == [
        ("calls & emails", 16),
        ("DM talks", 0),
        ("meetings", 0),
        ("discovery & demos", 3),
        ("closed-won", 0),
    ]
    assert [stage for stage, _ in funnel({})] == [stage for stage, _ in FUNNEL]


def test_each_activity_counts_at_one_stage_of_the_funnel_at_most() -> None:
    keys = [key for _, stage_keys in FUNNEL for key in stage_keys]

    assert len(keys) == len(set(keys))
