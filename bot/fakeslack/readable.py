"""What a person would read in Slack for a message or view payload, as plain text."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_ENTITY = re.compile(r"<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>")


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else str(obj or "")


def _block_lines(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind in ("section", "header"):
        lines = [_text(block.get("text"))]
        lines += [_text(field) for field in block.get("fields", [])]
        if accessory := block.get("accessory"):
            lines.append(f"[{_text(accessory.get('text'))}]")
        return lines
    if kind == "context":
        return [" ".join(_text(e) for e in block.get("elements", []))]
    if kind == "actions":
        return [" ".join(f"[{_text(e.get('text'))}]" for e in block.get("elements", []))]
    if kind == "input":
        return [f"{_text(block.get('label'))}: ____"]
    if kind == "divider":
        return ["———"]
    return []


def as_read(payload: dict[str, Any], name_of: Callable[[str], str | None]) -> str:
    """Mentions become @names and escapes are undone, exactly as Slack's client would render."""
    blocks = payload.get("blocks") or []
    lines = (
        [line for block in blocks for line in _block_lines(block)]
        if blocks
        else [payload.get("text", "")]
    )
    if title := payload.get("title"):
        lines.insert(0, f"【{_text(title)}】")

    def readable(match: re.Match[str]) -> str:
        sigil, target, label = match.groups()
        if sigil == "@":
            return f"@{name_of(target) or label or target}"
        if sigil in ("#", "!"):
            return f"{'#' if sigil == '#' else '@'}{label or target}"
        return label or target

    text = "\n".join(line for line in lines if line)
    text = _ENTITY.sub(readable, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
