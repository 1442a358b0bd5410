"""What turns a manager's digest into a decision: each rep's funnel through the SOP's stages,
their trend, and who most needs coaching, against their own recent weeks rather than the team.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scoring.catalog import CLOSED_WON, Catalog

# The SOP's KPIs in funnel order: activity keys counted at each stage.
FUNNEL: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("calls & emails", ("call", "email")),
    ("DM talks", ("dm_conversation", "dm_connection")),
    ("meetings", ("meeting_booked", "demo_meeting_booked")),
    (
        "discovery & demos",
        (
            "discovery_self_led",
            "discovery_mentor_led",
            "demo_self_led",
            "demo_mentor_led",
            "demo_shadow",
        ),
    ),
    ("closed-won", (CLOSED_WON,)),
)
COACHED = 3  # reps named under "who to coach"


def funnel(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """(stage, how many) in funnel order; activities of no stage (a team's own) are left out."""
    return [(stage, sum(counts.get(key, 0) for key in keys)) for stage, keys in FUNNEL]


@dataclass(frozen=True)
class Coaching:
    user_id: str
    points: int  # this week
    usual: int  # their average over the weeks before
    dropped: str | None  # the activity whose points fell most, by its label


def who_to_coach(
    catalog: Catalog,
    this_week: Mapping[str, Mapping[str, int]],
    before: Mapping[str, tuple[Mapping[str, int], int]],
) -> list[Coaching]:
    """The reps furthest below their own average of the weeks before, biggest shortfall first,
    ties by id. `this_week` holds points by activity key; `before` each rep's points by key
    summed over the weeks before, and how many of those weeks they logged in (the average's
    divisor): a rep with no earlier weeks has no average to fall short of."""
    found = []
    for user_id, (summed, weeks) in before.items():
        if not weeks:
            continue
        now = this_week.get(user_id, {})
        usual = {key: points / weeks for key, points in summed.items()}
        shortfall = sum(usual.values()) - sum(now.values())
        if shortfall <= 0:
            continue
        drops = {key: avg - now.get(key, 0) for key, avg in usual.items()}
        key = max(sorted(drops), key=lambda k: drops[k]) if drops else None
        activity = catalog.get(key) if key else None
        label = activity.label if activity else key
        found.append(
            (
                shortfall,
                user_id,
                Coaching(user_id, sum(now.values()), round(sum(usual.values())), label),
            )
        )
    found.sort(key=lambda item: (-item[0], item[1]))
    return [coaching for _, _, coaching in found[:COACHED]]
