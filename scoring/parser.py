"""Reading what a rep typed after `/log` into an activity, a count, a note, an amount and a day.

The grammar is forgiving on purpose — reps type fast in Slack — but never guesses silently:
anything it can't place comes back as a `LogParseError` whose message can be shown as is.
"""

import difflib
import itertools
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from scoring.catalog import ActivityType, Catalog, word_spans, words
from scoring.day_words import MAX_DAYS_BACK, check_day, take_day
from scoring.deal_amounts import DealAmount, parse_amount, take_amount
from scoring.log_text import LogParseError, quoted

__all__ = [
    "MAX_COUNT",
    "MAX_DAYS_BACK",
    "MAX_NOTE_LENGTH",
    "DealAmount",
    "LogParseError",
    "ParsedLog",
    "activity_named",
    "check_day",
    "check_note",
    "guess_activity",
    "parse_amount",
    "parse_log_text",
]

MAX_COUNT = 500
MAX_NOTE_LENGTH = 3000  # the log form's limit, for every surface
_SUGGESTIONS = 3
_CLOSE_ENOUGH = 0.7

# A count is digits; anything else that starts like a number ("2.5", "1e3", "-3") is read as
# a count too, so that it is refused as one instead of turning into a confusing note.
_COUNT = r"(?:[x×]\s*)?([+-]?[0-9]+(?:[.,][0-9]+)*(?:e[+-]?[0-9]+)?)(?:\s*[x×])?"
_LEADING_COUNT = re.compile(rf"^{_COUNT}(?:\s+|$)", re.IGNORECASE)
_TRAILING_COUNT = re.compile(rf"^{_COUNT}(?=\s|$)", re.IGNORECASE)
_NOTE_EDGE = re.compile(r"^[\s:,;–—-]+")


@dataclass(frozen=True)
class ParsedLog:
    activity: ActivityType
    count: int
    note: str  # plain text, as the rep typed it; the caller escapes it for mrkdwn
    amount: DealAmount | None
    day: date | None  # None: it happened now; else the rep's local date it happened


def parse_log_text(text: str, catalog: Catalog, today: date) -> ParsedLog:
    """Read e.g. `12 calls`, `demo self-led yesterday` or `closed won Acme €12,500`."""
    text = text.strip()
    if not text:
        raise LogParseError("Tell me what you did, e.g. `/log demo self-led` or `/log 12 calls`.")
    if len(text) > 4 * MAX_NOTE_LENGTH:  # far over any note: don't spend time reading it
        raise _note_too_long(len(text), "in all")
    count, rest = _leading_count(text)
    activity, rest = _match_activity(rest, catalog)
    rest, day = take_day(rest.strip(), today)
    rest, amount = take_amount(rest)
    trailing = _TRAILING_COUNT.match(rest)
    if trailing:
        if count is not None:
            raise LogParseError(
                f"I see two counts ({count} and {quoted(trailing.group(1))})"
                " — which one did you mean?"
            )
        count = _count(trailing.group(1))
        rest = rest[trailing.end() :]
    note = _NOTE_EDGE.sub("", rest).rstrip()
    if len(note) > MAX_NOTE_LENGTH:
        raise _note_too_long(len(note))
    return ParsedLog(activity, 1 if count is None else count, note, amount, day)


def activity_named(text: str, catalog: Catalog) -> ActivityType:
    """The activity `text` names whole, by its key or one of its names: what a CRM sends in the
    activity API's `activity` field, where nothing else may ride along."""
    by_key = catalog.get(text.strip())
    if by_key is not None and not by_key.retired:
        return by_key
    activity, rest = _match_activity(text, catalog)
    if rest.strip():
        raise LogParseError(
            f"I don't know “{quoted(text.strip())}”: name one activity, by its key or a name"
            f" such as “{activity.label}”."
        )
    return activity


def check_note(note: str) -> str | None:
    """Why a note can't be stored (too long), or None; the log form uses the same limit."""
    return _note_too_long(len(note)).message if len(note) > MAX_NOTE_LENGTH else None


def _note_too_long(length: int, counted: str = "in the note") -> LogParseError:
    return LogParseError(
        f"Notes can be up to {MAX_NOTE_LENGTH:,} characters; that's {length:,} {counted}."
        " Shorten it and log it again."
    )


def guess_activity(text: str, catalog: Catalog) -> ActivityType | None:
    """The activity a free-text Slack message most likely describes, or None if nothing fits.

    Longer names win ("closed deal" over "deal"); a name whose words all appear, in any order,
    counts, but less than one that appears as written; ties go to the higher-value activity.
    """
    said = words(text)
    present = set(said)
    best: tuple[int, bool, int] | None = None
    guess = None
    for activity in catalog:
        for name in activity.names:
            if not present.issuperset(name):
                continue
            score = (len(name), _contains(said, name), activity.points)
            if best is None or score > best:
                best, guess = score, activity
    return guess or _guess_by_head_word(present, catalog)


@dataclass(frozen=True)
class MessageGuess:
    """What a Slack message says was done, to prefill the log form; None where it's unclear."""

    activity: ActivityType | None
    count: int | None
    amount: DealAmount | None
    yesterday: bool


def guess_from_message(text: str, catalog: Catalog) -> MessageGuess:
    """`Booked 3 meetings with Initech` → 3 meetings; `Closed Initech for $48k` → $48,000."""
    activity = guess_activity(text, catalog)
    try:
        amount = take_amount(text)[1]
    except LogParseError:  # two amounts, or one we'd refuse: let the rep type it
        amount = None
    said = words(text)
    return MessageGuess(activity, _count_before(said, activity), amount, "yesterday" in said)


def _count_before(said: tuple[str, ...], activity: ActivityType | None) -> int | None:
    """A whole number right before a word of the activity's names: "3 meetings", "40 dials"."""
    if activity is None:
        return None
    name_words = {_singular(word) for name in activity.names for word in name}
    for number, word in itertools.pairwise(said):
        is_count = number.isascii() and number.isdigit() and len(number) <= 3
        if is_count and _singular(word) in name_words and 1 <= int(number) <= MAX_COUNT:
            return int(number)
    return None


def _guess_by_head_word(present: set[str], catalog: Catalog) -> ActivityType | None:
    """`Ran the demo for Globex` names no type fully; the most valuable `demo …` is the best bet
    (`Ran 2 demos` too: head words are compared in the singular)."""
    present = {_singular(word) for word in present}
    heads = [
        activity
        for activity in catalog
        if any(len(name) > 1 and _singular(name[0]) in present for name in activity.names)
    ]
    return max(heads, key=lambda activity: activity.points, default=None)


def _contains(said: tuple[str, ...], name: tuple[str, ...]) -> bool:
    return any(said[i : i + len(name)] == name for i in range(len(said) - len(name) + 1))


def _count(raw: str) -> int:
    digits = raw.lstrip("0") or "0"
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 3) or not (
        1 <= int(digits) <= MAX_COUNT
    ):
        raise LogParseError(
            f"Counts are whole numbers from 1 to {MAX_COUNT}; “{quoted(raw)}” won't do."
        )
    return int(digits)


def _leading_count(text: str) -> tuple[int | None, str]:
    match = _LEADING_COUNT.match(text)
    if not match:
        return None, text
    count = _count(match.group(1))
    rest = text[match.end() :]
    if not rest:
        raise LogParseError(f"{count} of what? Try e.g. `/log {count} calls`.")
    return count, rest


def _singular(word: str) -> str:
    """`demos` and `discoveries` start names written `demo …` and `discovery …`."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 2 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _singulars(name: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_singular(word) for word in name)


@lru_cache(maxsize=256)
def _names_in_singular(catalog: Catalog) -> tuple[int, dict[tuple[str, ...], set[ActivityType]]]:
    """The most words a name has, and who answers to each name in the singular: once per
    catalog, not on every /log."""
    by_singular: dict[tuple[str, ...], set[ActivityType]] = {}
    for name, activity in catalog.by_name.items():
        by_singular.setdefault(_singulars(name), set()).add(activity)
    return max(len(name) for name in catalog.by_name), by_singular


def _match_activity(text: str, catalog: Catalog) -> tuple[ActivityType, str]:
    """The activity whose longest name starts `text` (as written, else in the singular), and
    the text after it."""
    spans = word_spans(text)
    if not spans:
        raise LogParseError(
            f"I can't find an activity in “{quoted(text)}”. Try e.g. `/log demo self-led`"
            " or `/log 12 calls`."
        )
    names = catalog.by_name
    longest, by_singular = _names_in_singular(catalog)
    said = tuple(word for word, _, _ in spans[:longest])
    for length in range(len(said), 0, -1):
        activity = names.get(said[:length])
        if activity is None and len(found := by_singular.get(_singulars(said[:length]), ())) == 1:
            activity = next(iter(found))
        if activity is not None:
            return activity, text[spans[length - 1][2] :]
    raise _ambiguous(text, spans[:longest], names) or _unknown(text, spans[:longest], names)


def _ambiguous(
    text: str, spans: list[tuple[str, int, int]], names: dict[tuple[str, ...], ActivityType]
) -> LogParseError | None:
    """`demo`, `2 demos` or `discovery` alone start names of several activities: list them."""
    said = _singulars(tuple(word for word, _, _ in spans))
    for length in range(len(said), 0, -1):
        candidates = tuple(
            dict.fromkeys(
                act for name, act in names.items() if _singulars(name[:length]) == said[:length]
            )
        )
        if len(candidates) > 1:
            typed = quoted(text[spans[0][1] : spans[length - 1][2]])
            return LogParseError(
                f"`{typed}` could be: {_listing(candidates)} — which one?", candidates
            )
        if candidates:
            return None
    return None


def _unknown(
    text: str, spans: list[tuple[str, int, int]], names: dict[tuple[str, ...], ActivityType]
) -> LogParseError:
    """Name the closest activities: what was typed against the start of each name, then the
    longest such match, then the more valuable activity (what a rep most likely meant)."""
    said = tuple(word[:_WORD_COMPARED] for word, _, _ in spans)
    scores: dict[ActivityType, tuple[float, int, int]] = {}
    for name, activity in names.items():
        length = min(len(name), len(said))
        typed = " ".join(said[:length])
        score = (_similarity(typed, " ".join(name[:length])), length, activity.points)
        scores[activity] = max(score, scores.get(activity, score))
    ranked = sorted(
        (activity for activity, score in scores.items() if score[0] >= _CLOSE_ENOUGH),
        key=scores.__getitem__,
        reverse=True,
    )
    suggestions = tuple(ranked[:_SUGGESTIONS])
    if not suggestions:
        return LogParseError(
            f"I don't know “{quoted(text)}”. Try e.g. `/log demo self-led` or `/log 12 calls`."
        )
    typed = quoted(text[spans[0][1] : spans[scores[suggestions[0]][1] - 1][2]])
    return LogParseError(
        f"I don't know “{typed}”. Did you mean {_listing(suggestions)}?", suggestions
    )


# difflib is quadratic: a 10,000-letter word took 80 ms to compare with every name. No name's
# word is this long, so a word's first letters are all a resemblance can rest on.
_WORD_COMPARED = 40


def _similarity(typed: str, name: str) -> float:
    return difflib.SequenceMatcher(None, typed, name).ratio()


def _listing(activities: tuple[ActivityType, ...]) -> str:
    labels = [activity.label for activity in activities]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
