"""What a person would read in Slack for a message or view payload, as plain text.

`as_read` keeps mrkdwn's markers (`*bold*` reads `*bold*`), so tests can tell what was
emphasised; `as_shown` applies them the way Slack's client does, so a marker that pairs up
disappears and `styled` lists what came out bold, italic, struck through, as code or quoted.

Slack has no escape for `*`, `_`, `~` or a backtick, and documents no exact rule for when they
pair. The rule here is the widest one the evidence allows, so a test passing here isn't lucky:
a marker opens or closes only at a word's edge — beside whitespace, ASCII punctuation, the ends
of the text, or U+200B, which Slack treats as a word break (jsx-slack's "exact mode" inserts it
to *force* formatting) — and the text inside it can't start or end with whitespace (Slack's
documented way to keep an asterisk literal is a space beside it). Block Kit Builder accepts
fewer edges than this (`*x*(` and `*x*@` stay literal: pocka/slack-message-parser#34).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

_ENTITY = re.compile(r"<([@#!]?)([^<>|]+)(?:\|([^<>]*))?>")
_ANY_ENTITY = re.compile(r"<[^<>]*>")
_QUOTE = re.compile(r"^[ \t]*&gt; ?", re.MULTILINE)
_INVISIBLE = str.maketrans("", "", "\u2060\u200b")  # word joiner, zero-width space
_CODE, _EMPHASES = "`", {"*": "bold", "_": "italic", "~": "strike"}
_WORD_BREAK = "\u200b"


@dataclass(frozen=True)
class Styled:
    """One stretch of text Slack would show styled, as the person reads it."""

    style: str  # "bold" | "italic" | "strike" | "code" | "quote"
    text: str


def _text(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else str(obj or "")


def _is_mrkdwn(obj: Any) -> bool:
    """Text objects default to mrkdwn only where Slack says so; a bare string is mrkdwn."""
    return not isinstance(obj, dict) or obj.get("type") == "mrkdwn"


Piece = tuple[str, bool]  # some text, and whether Slack formats it as mrkdwn


def _block_lines(block: dict[str, Any]) -> list[list[Piece]]:
    """Each line a block shows, in pieces: Slack formats each text object on its own."""
    kind = block.get("type")
    if kind in ("section", "header"):
        objects = [block.get("text"), *block.get("fields", [])]
        lines = [[(_text(o), _is_mrkdwn(o))] for o in objects if o]
        if accessory := block.get("accessory"):
            lines.append([(f"[{_text(accessory.get('text'))}]", False)])
        return lines
    if kind == "context":
        return [[(_text(e), _is_mrkdwn(e)) for e in block.get("elements", []) if "text" in e]]
    if kind == "actions":
        return [[(f"[{_text(e.get('text'))}]", False) for e in block.get("elements", [])]]
    if kind == "input":
        return [[(f"{_text(block.get('label'))}: ____", False)]]
    if kind == "divider":
        return [[("———", False)]]
    return []


def _lines(payload: dict[str, Any]) -> list[list[Piece]]:
    blocks = payload.get("blocks") or []
    lines = (
        [line for block in blocks for line in _block_lines(block)]
        if blocks
        else [[(payload.get("text", ""), True)]]
    )
    if title := payload.get("title"):
        lines.insert(0, [(f"【{_text(title)}】", False)])
    return lines


def _joined(payload: dict[str, Any], show: Callable[[str, bool], str]) -> str:
    lines = (" ".join(show(text, mrkdwn) for text, mrkdwn in line) for line in _lines(payload))
    return "\n".join(line for line in lines if line)


def _resolved(text: str, name_of: Callable[[str], str | None]) -> str:
    """Mentions become @names and escapes are undone, as Slack's client shows them."""

    def readable(match: re.Match[str]) -> str:
        sigil, target, label = match.groups()
        if sigil == "@":
            return f"@{name_of(target) or label or target}"
        if sigil in ("#", "!"):
            return f"{'#' if sigil == '#' else '@'}{label or target}"
        return label or target

    text = _ENTITY.sub(readable, text).translate(_INVISIBLE)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def as_read(payload: dict[str, Any], name_of: Callable[[str], str | None]) -> str:
    """Mentions become @names and escapes are undone; mrkdwn markers are kept as typed."""
    return _resolved(_joined(payload, lambda text, _mrkdwn: text), name_of)


def as_shown(payload: dict[str, Any], name_of: Callable[[str], str | None]) -> str:
    """What the person sees: as `as_read`, with every marker Slack would pair taken out."""
    return _resolved(
        _joined(payload, lambda text, mrkdwn: _formatted(text)[0] if mrkdwn else text), name_of
    )


def styled(payload: dict[str, Any], name_of: Callable[[str], str | None]) -> list[Styled]:
    """Every stretch Slack would show bold, italic, struck through, as code or as a quote."""
    return [
        Styled(style, _resolved(text, name_of))
        for line in _lines(payload)
        for text, mrkdwn in line
        if mrkdwn
        for style, text in _formatted(text)[1]
    ]


def _formatted(mrkdwn: str) -> tuple[str, list[tuple[str, str]]]:
    """The text with paired markers removed, and each styled stretch (still in mrkdwn)."""
    free = [True] * len(mrkdwn)  # could still be a marker: not in an entity, code or a pair
    for entity in _ANY_ENTITY.finditer(mrkdwn):
        free[entity.start() : entity.end()] = [False] * (entity.end() - entity.start())
    dropped: set[int] = set()
    spans: list[tuple[str, int, int]] = []
    for quote in _QUOTE.finditer(mrkdwn):
        dropped.update(range(quote.start(), quote.end()))
        line_end = mrkdwn.find("\n", quote.end())
        spans.append(("quote", quote.end(), len(mrkdwn) if line_end < 0 else line_end))
    for start, end in _pairs(mrkdwn, _CODE, free):
        free[start : end + 1] = [False] * (end + 1 - start)
        dropped.update((start, end))
        spans.append(("code", start + 1, end))
    for marker, style in _EMPHASES.items():
        for start, end in _pairs(mrkdwn, marker, free):
            free[start] = free[end] = False
            dropped.update((start, end))
            spans.append((style, start + 1, end))

    def kept(start: int, end: int) -> str:
        return "".join(mrkdwn[i] for i in range(start, end) if i not in dropped)

    return kept(0, len(mrkdwn)), [(style, kept(start, end)) for style, start, end in spans]


def _pairs(text: str, marker: str, free: list[bool]) -> Iterator[tuple[int, int]]:
    """Where `marker` opens and closes, leftmost first, each closing at the first chance."""
    start = 0
    while start < len(text):
        if free[start] and text[start] == marker and _opens(text, start):
            end = next(
                (
                    j
                    for j in range(start + 2, len(text))
                    if free[j] and text[j] == marker and _closes(text, j)
                ),
                None,
            )
            if end is not None:
                yield start, end
                start = end + 1
                continue
        start += 1


def _at_edge(char: str | None) -> bool:
    return char is None or char.isspace() or char in string.punctuation or char == _WORD_BREAK


def _opens(text: str, at: int) -> bool:
    before = text[at - 1] if at > 0 else None
    return _at_edge(before) and at + 1 < len(text) and not text[at + 1].isspace()


def _closes(text: str, at: int) -> bool:
    after = text[at + 1] if at + 1 < len(text) else None
    return not text[at - 1].isspace() and _at_edge(after)
