"""Turn Jinja2 templates into Slack messages; every interpolated value is escaped for mrkdwn."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

SECTION_LIMIT = 3000
BLOCK_LIMIT = 50


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters; escaping them stops `<!channel>` pings and fake links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finalize(value: Any) -> Any:
    return escape_mrkdwn(value) if isinstance(value, str) else value


_env = Environment(
    loader=PackageLoader("handlers", "templates"),
    finalize=_finalize,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


def say(template: str, **values: Any) -> str:
    """Render `templates/<template>.j2` to mrkdwn."""
    return _env.get_template(f"{template}.j2").render(**values).strip()


def sections(text: str) -> list[Block]:
    """Split long mrkdwn on line breaks so no section passes Slack's 3,000-character limit."""
    blocks: list[Block] = []
    chunk = ""
    for line in text.splitlines():
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > SECTION_LIMIT and chunk:
            blocks.append(SectionBlock(text={"type": "mrkdwn", "text": chunk}))
            candidate = line
        chunk = candidate[:SECTION_LIMIT]
    if chunk.strip():
        blocks.append(SectionBlock(text={"type": "mrkdwn", "text": chunk}))
    return blocks


def message(text: str, *, buttons: list[ButtonElement] | None = None) -> dict[str, Any]:
    """A message payload with blocks and the plain `text` fallback Slack uses in notifications."""
    blocks = sections(text)
    room = BLOCK_LIMIT - (1 if buttons else 0)
    if len(blocks) > room:
        cut = len(blocks) - room + 1
        blocks = blocks[: room - 1]
        blocks.append(SectionBlock(text=f"_…and {cut} more sections; see `/tally` for the rest._"))
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return {"text": text[:SECTION_LIMIT], "blocks": [b.to_dict() for b in blocks]}
