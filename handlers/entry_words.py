"""How a stored entry reads in a message — "2 self-led demos", "$12,500" — wherever it is
shown: the receipt, the undo, the approval ask and its answer."""

from __future__ import annotations

from scoring.catalog import Catalog
from scoring.deal_amounts import format_amount
from storage.models import Activity

NOTE_SHOWN = 300  # characters of a note a message repeats; the rest is cut with "…"


def describe(catalog: Catalog, entry: Activity) -> str:
    """An activity since removed from the catalog keeps its stored key."""
    activity = catalog.get(entry.activity_key)
    return activity.describe(entry.count) if activity else f"{entry.count} × {entry.activity_key}"


def deal_text(entry: Activity) -> str | None:
    return None if entry.amount is None else format_amount(entry.amount, entry.currency)


def day_text(entry: Activity) -> str:
    return f"{entry.local_day:%a %-d %b}"
