"""Shared by the readers of `/log` text: the one error they raise, how they quote what a rep
typed back to them, and how they cut a phrase out of it."""

from scoring.catalog import ActivityType

_QUOTED_MAX = 40


class LogParseError(ValueError):
    """A `/log` text we can't read; `message` is fit to send back to the rep."""

    def __init__(self, message: str, suggestions: tuple[ActivityType, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions


def quoted(typed: str) -> str:
    """A fragment of the rep's text, short enough that an error about it stays readable."""
    typed = " ".join(typed.split())
    return typed if len(typed) <= _QUOTED_MAX else f"{typed[: _QUOTED_MAX - 1]}…"


def without(text: str, start: int, end: int) -> str:
    """`text` with `text[start:end]` cut out, the two sides joined by one space (or none
    before punctuation: "Acme $5k." leaves "Acme.")."""
    left, right = text[:start].rstrip(), text[end:].lstrip()
    if not (left and right):
        return left or right
    return f"{left}{right}" if right[0] in ".,;:!?)" else f"{left} {right}"
