"""Turn Jinja2 templates into Slack messages; every interpolated value is shown literally.

mrkdwn has no escape for `*`, `_`, `~` or a backtick: Slack pairs them only at a word's edge
(whitespace, ASCII punctuation, the ends of the text, or U+200B, which Slack treats as a word
break — so a zero-width *space* would make formatting more likely, not less). `literal` puts a
WORD JOINER (U+2060: invisible, and no edge) on both sides of each, so a marker a user typed can
neither open nor close, and before a `>` that starts a line, so it can't open a quote. Only a
plain_text object is literal for certain, and no Block Kit field that holds user text here
takes one without splitting a sentence that mixes it with mentions and bold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from slack_sdk.models.blocks import Block, ButtonElement, SectionBlock

from scoring.deal_amounts import format_amount

SECTION_LIMIT = 3000
BLOCK_LIMIT = 50
WORD_JOINER = "\u2060"
_MARKERS = re.compile(r"[*_~`]")
_SPECIAL = re.compile(r"[&<>*_~`]")  # what `literal` changes; most values have none
_LINE_START_QUOTE = re.compile(r"^&gt;", re.MULTILINE)
_QUOTED = re.compile(r"“([^“”]*)”")


class Mrkdwn(str):
    """Text already in mrkdwn (a rendered template, our own markup): put in as it is."""


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; escaping them stops `<!channel>` pings and fake links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@lru_cache(maxsize=4096)
def literal(text: str) -> Mrkdwn:
    """`text` shown exactly as typed: no mention, link, bold, italic, strike, code or quote.
    Cached: a Friday escapes the same activity labels and funnel stages for every rep."""
    if not _SPECIAL.search(text):
        return Mrkdwn(text)
    escaped = _LINE_START_QUOTE.sub(f"{WORD_JOINER}&gt;", escape_mrkdwn(text))
    return Mrkdwn(_MARKERS.sub(lambda m: f"{WORD_JOINER}{m[0]}{WORD_JOINER}", escaped))


def quoted_literally(text: str) -> Mrkdwn:
    """A message of ours that quotes the user “like this”: the quotes are shown literally and
    the rest (`/log 12 calls` examples) is kept as mrkdwn. Scoring words its errors this way."""
    parts = _QUOTED.split(text)  # odd items are what was inside the quotes
    shown = (f"“{literal(p)}”" if i % 2 else escape_mrkdwn(p) for i, p in enumerate(parts))
    return Mrkdwn("".join(shown))


def _finalize(value: Any) -> Any:
    """Every `{{ value }}` is literal unless it is `Mrkdwn`: a template can't forget to escape."""
    if isinstance(value, Mrkdwn):
        return value
    return literal(str(value))


_env = Environment(
    loader=PackageLoader("handlers", "templates"),
    finalize=_finalize,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
    auto_reload=False,  # templates ship with the code: no stat of each file per render
)
_env.filters["quoted_literally"] = quoted_literally
_env.filters["amount"] = format_amount


@cache
def _template(name: str) -> Template:
    """Compiled once per process, and found without Jinja2's cache lookup on every reply. Its
    globals become a plain dict: Jinja2's ChainMap over the environment's is copied key by key
    in Python on every render (a twentieth of a /log receipt's own work); nothing changes the
    environment's globals once templates load."""
    template = _env.get_template(f"{name}.j2")
    template.globals = dict(template.globals)
    return template


def say(template: str, **values: Any) -> Mrkdwn:
    """Render `templates/<template>.j2` to mrkdwn."""
    return Mrkdwn(_template(template).render(**values).strip())


def _chunks(text: str) -> list[str]:
    """Long mrkdwn split on line breaks so no section passes Slack's 3,000-character limit."""
    chunks: list[str] = []
    chunk = ""
    for line in text.splitlines():
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > SECTION_LIMIT and chunk:
            chunks.append(chunk)
            candidate = line
        chunk = candidate[:SECTION_LIMIT]
    if chunk.strip():
        chunks.append(chunk)
    return chunks


def sections(text: str) -> list[Block]:
    return [SectionBlock(text={"type": "mrkdwn", "text": chunk}) for chunk in _chunks(text)]


def section_dicts(text: str) -> list[dict[str, Any]]:
    """What `sections(text)`'s blocks give as `to_dict()`, key order included, built directly:
    slack_sdk's validation costs more than drawing the text, twice in every Friday digest."""
    return [
        {"text": {"text": chunk, "type": "mrkdwn"}, "type": "section"} for chunk in _chunks(text)
    ]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def message(text: str, *, buttons: Sequence[ButtonElement | dict[str, Any]] = ()) -> dict[str, Any]:
    """A message payload with blocks and the plain `text` fallback Slack uses in notifications,
    built as dicts: every /log receipt is one, and Block Kit objects cost more than the rest
    of the reply."""
    blocks = [_section(chunk) for chunk in _chunks(text)]
    room = BLOCK_LIMIT - (1 if buttons else 0)
    if len(blocks) > room:
        cut = len(blocks) - room + 1
        blocks = blocks[: room - 1]
        blocks.append(_section(f"_…and {cut} more sections; see `/tally` for the rest._"))
    if buttons:
        elements = [b if isinstance(b, dict) else b.to_dict() for b in buttons]
        blocks.append({"type": "actions", "elements": elements})
    return {"text": text[:SECTION_LIMIT], "blocks": blocks}
