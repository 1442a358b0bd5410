"""What `/tally <text>` asks for, decided from the text alone: no Slack, no database."""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from enum import StrEnum


class Ask(StrEnum):
    OWN_WEEK = "week"
    OWN_PERIOD = "period"  # /tally last week | 2026-W47 | month
    HELP = "help"
    BOARD = "board"
    NUDGES = "nudges"
    CELEBRATE = "celebrate"
    AWAY = "away"
    PLAN = "plan"
    TEAM = "team"
    TEAM_ADD = "team add"
    TEAM_REMOVE = "team remove"
    WEEKS = "weeks"  # /tally @rep [@rep…]
    EXPORT = "export"
    CHART = "chart"  # /tally chart [@rep|team]
    ADMIN = "admin"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Route:
    ask: Ask
    rest: str  # what follows the command words, as Slack sent it; for UNKNOWN, the words


# What people can type, for "did you mean" on an unknown word.
COMMANDS = (
    "last week",
    "month",
    "board",
    "board last week",
    "board month",
    "board team",
    "board hide",
    "board show",
    "team",
    "team add",
    "team remove",
    "plan list",
    "plan add",
    "nudges",
    "nudges on",
    "nudges off",
    "celebrate",
    "celebrate on",
    "celebrate off",
    "away",
    "away off",
    "export",
    "export last week",
    "export month",
    "chart",
    "chart team",
    "admin",
    "admin forget",
    "help",
)
_SIMPLE = {
    "help": Ask.HELP,
    "board": Ask.BOARD,
    "nudges": Ask.NUDGES,
    "celebrate": Ask.CELEBRATE,
    "away": Ask.AWAY,
    "plan": Ask.PLAN,
    "export": Ask.EXPORT,
    "chart": Ask.CHART,
    "admin": Ask.ADMIN,
}
_TEAM = {"add": Ask.TEAM_ADD, "remove": Ask.TEAM_REMOVE}
# First words of a period of the rep's own (`2026-W47` starts with a digit).
_PERIOD = {"last", "this", "week", "month"}


def route_tally(text: str) -> Route:
    """Which reply the text gets; every text gets exactly one."""
    words = text.split()
    if not words:
        return Route(Ask.OWN_WEEK, "")
    first = words[0].lower()
    if first in _SIMPLE:
        return Route(_SIMPLE[first], _after(text, 1))
    if first == "team":
        if len(words) == 1:
            return Route(Ask.TEAM, "")
        if words[1].lower() in _TEAM:
            return Route(_TEAM[words[1].lower()], _after(text, 2))
        return Route(Ask.UNKNOWN, " ".join(words[:2]))
    if first in _PERIOD or first[0] in "0123456789":
        return Route(Ask.OWN_PERIOD, text.strip())
    if words[0].startswith(("<@", "@")):
        return Route(Ask.WEEKS, text.strip())
    return Route(Ask.UNKNOWN, words[0])


def closest_commands(words: str) -> list[str]:
    """Up to three commands that look like what was typed, best first."""
    return get_close_matches(words.lower(), COMMANDS, n=3, cutoff=0.6)


def _after(text: str, count: int) -> str:
    parts = text.split(None, count)
    return parts[count].strip() if len(parts) > count else ""
