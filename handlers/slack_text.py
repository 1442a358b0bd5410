"""Slack escapes `&<>` and encodes mentions and links; turn that back into what people typed."""

from __future__ import annotations

import re
import unicodedata

from handlers.render import WORD_JOINER

_ENTITY = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")
_LINE_BREAK = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# C0/C1 controls (NUL breaks PostgreSQL text) and lone surrogates (no UTF-8 form) are dropped.
_UNSTORABLE = frozenset({"Cc", "Cs"})


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
    text = _ENTITY.sub(_readable, storable(text))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def storable(text: str) -> str:
    """Text as typed, minus what no database column or Slack message can hold: line breaks
    become `\\n`, tabs a space, and other control characters are dropped. Word joiners go too:
    they are what `literal` adds, so a plan name copied from Tally's own message still matches."""
    text = _LINE_BREAK.sub("\n", text).replace("\t", " ").replace(WORD_JOINER, "")
    if text.isprintable():  # no control character nor surrogate: most text, at C speed
        return text
    return "".join(
        char for char in text if char == "\n" or unicodedata.category(char) not in _UNSTORABLE
    )


def shortened(text: str, limit: int) -> str:
    """At most `limit` characters, ending in "…" when something was cut."""
    return text if len(text) <= limit else f"{text[: limit - 1].rstrip()}…"


def one_line(text: str, limit: int) -> str:
    """A note as shown inside a sentence: on one line and cut with "…" past `limit`."""
    return shortened(" ".join(text.split()), limit)
