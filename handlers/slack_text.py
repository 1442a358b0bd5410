"""Slack escapes `&<>` and encodes mentions and links; turn that back into what people typed."""

from __future__ import annotations

import re

_ENTITY = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def _readable(match: re.Match[str]) -> str:
    sigil, target, label = match.groups()
    if sigil == "@":
        return f"@{label or target}"
    if sigil == "#":
        return f"#{label or target}"
    if sigil == "!":
        return f"@{label or target.split('^')[0]}"
    return label or target


def to_plain(text: str) -> str:
    """Stored notes hold plain text; it is escaped again whenever it goes back into mrkdwn."""
    text = _ENTITY.sub(_readable, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
