"""What turns a manager's digest into a decision: each rep's funnel through the SOP's stages,
their trend, and who most needs coaching, against their own recent weeks rather than the team.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


_STAGE_OF = {key: n for n, (_stage, keys) in enumerate(FUNNEL) for key in keys}  # one each


def funnel(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    """(stage, how many) in funnel order; activities of no stage (a team's own) are left out.
    Each count is added to its stage, rather than each stage summing its keys: every rep of
    a Friday has a funnel, and their few activities are fewer than the stages' keys."""
    found = [0] * len(FUNNEL)
    for key, count in counts.items():
        stage = _STAGE_OF.get(key)
        if stage is not None:
            found[stage] += count
    return [(stage, found[n]) for n, (stage, _keys) in enumerate(FUNNEL)]


@dataclass(frozen=True)
class Coaching:
    user_id: str
    points: int  # this week
    usual: int  # their average over the weeks before
    dropped: str | None  # the activity whose points fell most, by its label


def coached(this_week: Mapping[str, int], before: Mapping[str, tuple[int, int]]) -> list[str]:
    """The COACHED reps furthest below their own average of the weeks before, biggest shortfall
    first, ties by id. `this_week` holds each rep's points; `before` their points over the
    weeks before and how many of those weeks they logged in (the average's divisor): a rep with
    no earlier weeks has no average to fall short of. Totals alone decide who: a Friday reads
    points by activity only for these few (`who_to_coach`'s `usual`). One division of whole
    numbers is correctly rounded, so equal shortfalls tie and unequal ones keep their order."""
    found = [
        ((total - this_week.get(user_id, 0) * weeks) / weeks, user_id)
        for user_id, (total, weeks) in before.items()
        if weeks and total > this_week.get(user_id, 0) * weeks
    ]
    found.sort(key=lambda item: (-item[0], item[1]))
    return [user_id for _, user_id in found[:COACHED]]


def who_to_coach(
    catalog: Catalog,
    picked: Sequence[str],
    this_week: Mapping[str, Mapping[str, int]],
    before: Mapping[str, tuple[int, int]],
    usual: Mapping[str, Mapping[str, int]],
) -> list[Coaching]:
    """The reps `coached` picked, each with the activity whose points fell most below its
    average. `this_week` holds their points by activity key; `before` as `coached` read it;
    `usual` their points by key summed over the weeks before (a rep may be missing)."""
    found = []
    for user_id in picked:
        now = this_week.get(user_id, {})
        total, weeks = before[user_id]
        # The same divisor for every activity: compare the sums, not averages in floats.
        summed = usual.get(user_id, {})
        drops = {key: points - now.get(key, 0) * weeks for key, points in summed.items()}
        key = max(sorted(drops), key=lambda k: drops[k]) if drops else None
        activity = catalog.get(key) if key else None
        label = activity.label if activity else key
        found.append(Coaching(user_id, sum(now.values()), round(total / weeks), label))
    return found
