"""The team chart that follows a manager's Friday digest into their DM: its own outbox row, so it
is uploaded once per digest however often the digest itself is edited afterwards.

The row holds what to draw (the bars as the digest counted them), not the picture: the sender
draws it when it uploads, and a sender that died mid-upload finds the file by its name instead
of uploading it twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scoring.chart_data import RepBar
from storage.outbox import Draft

KIND = "digest_chart"
SPEC = "tally_chart"  # the one "block" of such a row: what to draw, not Block Kit


@dataclass(frozen=True)
class Upload:
    filename: str  # unique per manager and week: what a recovering sender looks for
    title: str
    alt_text: str
    content: bytes


def chart_draft(team_id: str, manager_id: str, week: str, bars: Sequence[RepBar]) -> Draft:
    spec = {
        "type": SPEC,
        "week": week,
        "bars": [[bar.name, bar.points, bar.goal] for bar in bars],
    }
    return Draft(
        team_id=team_id,
        kind=KIND,
        recipient=manager_id,
        period=week,
        text=f"Your team's week {week} as a chart",
        blocks=[spec],
    )


def filename_of(recipient: str, period: str) -> str:
    return f"tally-team-{period}-{recipient}.png"


def draw(recipient: str, period: str, blocks: Sequence[Mapping[str, Any]]) -> Upload | None:
    """The picture a queued row describes; None for a row that describes none."""
    from handlers.chart_images import team_chart_png  # matplotlib: only a sender that draws
    from handlers.charts import team_alt_text

    spec = next((b for b in blocks if b.get("type") == SPEC), None)
    if spec is None or not spec.get("bars"):
        return None
    bars = [RepBar(str(name), int(points), goal) for name, points, goal in spec["bars"]]
    title = f"Your team's week {period}"
    return Upload(
        filename=filename_of(recipient, period),
        title=title,
        alt_text=team_alt_text(period, bars),
        content=team_chart_png(title, bars),
    )
