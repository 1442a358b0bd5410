"""Slack refuses malformed Block Kit (`invalid_blocks`); the fake checks with slack_sdk models."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_LIMIT = 40_000


def block_kit_problem(payload: dict[str, Any], *, view: bool = False) -> str | None:
    """What Slack would object to in a message or view payload, or None if it would accept it."""
    blocks = payload.get("blocks") or []
    limit = VIEW_BLOCKS if view else MESSAGE_BLOCKS
    if len(blocks) > limit:
        return f"{len(blocks)} blocks, more than Slack's {limit}"
    if len(payload.get("text") or "") > TEXT_LIMIT:
        return f"text longer than {TEXT_LIMIT} characters"
    try:
        for block in blocks:
            parsed = Block.parse(block)
            if parsed is None:
                return f"unknown block {block!r}"
            parsed.validate_json()
        if view:
            View(**{k: v for k, v in payload.items() if k in _VIEW_FIELDS}).validate_json()
    except (SlackObjectFormationError, TypeError, KeyError) as error:
        return str(error)
    return None


_VIEW_FIELDS = {
    "type",
    "callback_id",
    "title",
    "submit",
    "close",
    "blocks",
    "private_metadata",
    "external_id",
    "clear_on_close",
    "notify_on_close",
    "state",
}
