"""Reading what a rep typed after `/log` into an activity, a count, a note, an amount and a day.

The grammar is forgiving on purpose — reps type fast in Slack — but never guesses silently:
anything it can't place comes back as a `LogParseError` whose message can be shown as is.
"""

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from scoring.catalog import ActivityType, Catalog, word_spans, words

MAX_COUNT = 500
MAX_DAYS_BACK = 7
_SUGGESTIONS = 3
_CLOSE_ENOUGH = 0.7

_COUNT = r"(?:[x×]\s*)?([+-]?\d+(?:[.,]\d+)*)(?:\s*[x×])?"
_LEADING_COUNT = re.compile(rf"^{_COUNT}(?:\s+|$)", re.IGNORECASE)
_TRAILING_COUNT = re.compile(rf"^{_COUNT}(?=\s|$)", re.IGNORECASE)
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AMOUNT = re.compile(
    rf"(?<!\S)(?:\$\s?(?P<dollars>{_NUMBER})\s?(?P<dollar_scale>[km])?"
    rf"|(?P<usd>{_NUMBER})\s?(?P<usd_scale>[km])?\s?usd)(?=$|[\s.,;!)])",
    re.IGNORECASE,
)
_AMOUNT_FIELD = re.compile(rf"\$?\s?(?P<number>{_NUMBER})\s?(?P<scale>[km])?(?:\s?usd)?", re.I)
_SCALES = {"": 1, "k": 1000, "m": 1_000_000}
_WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "weds": 2,
    "wednesday": 2, "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_DAY = re.compile(
    r"(?:^|\s)(?:(?P<relative>yesterday|today)"
    r"|(?:on\s+)?(?P<iso>\d{4}-\d{1,2}-\d{1,2})"
    rf"|on\s+(?P<weekday>{'|'.join(sorted(_WEEKDAYS, key=len, reverse=True))}))[.!]?\s*$",
    re.IGNORECASE,
)
_NOTE_EDGE = re.compile(r"^[\s:,;–—-]+")


@dataclass(frozen=True)
class ParsedLog:
    activity: ActivityType
    count: int
    note: str  # verbatim from Slack (already entity-escaped); the caller escapes it for mrkdwn
    amount: Decimal | None
    day: date | None  # None: it happened now; else the rep's local date it happened


class LogParseError(ValueError):
    """A `/log` text we can't read; `message` is fit to send back to the rep."""

    def __init__(self, message: str, suggestions: tuple[ActivityType, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = suggestions


def parse_log_text(text: str, catalog: Catalog, today: date) -> ParsedLog:
    """Read e.g. `12 calls`, `demo self-led yesterday` or `closed won Acme $12,500`."""
    text = text.strip()
    if not text:
        raise LogParseError("Tell me what you did, e.g. `/log demo self-led` or `/log 12 calls`.")
    count, rest = _leading_count(text)
    activity, rest = _match_activity(rest, catalog)
    rest, day = _take_day(rest.strip(), today)
    rest, amount = _take_amount(rest)
    trailing = _TRAILING_COUNT.match(rest)
    if trailing:
        if count is not None:
            raise LogParseError(
                f"I see two counts ({count} and {trailing.group(1)}) — which one did you mean?"
            )
        count = _count(trailing.group(1))
        rest = rest[trailing.end() :]
    note = _NOTE_EDGE.sub("", rest).rstrip()
    return ParsedLog(activity, 1 if count is None else count, note, amount, day)


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


def _guess_by_head_word(present: set[str], catalog: Catalog) -> ActivityType | None:
    """"Ran the demo for Globex" names no type fully; the most valuable "demo …" is the best bet."""
    heads = [
        activity
        for activity in catalog
        if any(len(name) > 1 and name[0] in present for name in activity.names)
    ]
    return max(heads, key=lambda activity: activity.points, default=None)


def _contains(said: tuple[str, ...], name: tuple[str, ...]) -> bool:
    return any(said[i : i + len(name)] == name for i in range(len(said) - len(name) + 1))


def _count(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_COUNT:
        raise LogParseError(f"Counts go from 1 to {MAX_COUNT}; “{raw}” won't do.")
    return int(raw)


def _leading_count(text: str) -> tuple[int | None, str]:
    match = _LEADING_COUNT.match(text)
    if not match:
        return None, text
    count = _count(match.group(1))
    rest = text[match.end() :]
    if not rest:
        raise LogParseError(f"{count} of what? Try e.g. `/log {count} calls`.")
    return count, rest


def _match_activity(text: str, catalog: Catalog) -> tuple[ActivityType, str]:
    """The activity whose longest name starts `text`, and the text after it."""
    spans = word_spans(text)
    said = tuple(word for word, _, _ in spans)
    names = catalog.by_name
    for length in range(len(said), 0, -1):
        activity = names.get(said[:length])
        if activity is not None:
            return activity, text[spans[length - 1][2] :]
    raise _ambiguous(text, spans, names) or _unknown(text, spans, names)


def _ambiguous(
    text: str, spans: list[tuple[str, int, int]], names: dict[tuple[str, ...], ActivityType]
) -> LogParseError | None:
    """`demo` or `discovery` alone start names of several activities: list them, don't pick."""
    said = tuple(word for word, _, _ in spans)
    for length in range(len(said), 0, -1):
        candidates = tuple(
            dict.fromkeys(act for name, act in names.items() if name[:length] == said[:length])
        )
        if len(candidates) > 1:
            typed = text[spans[0][1] : spans[length - 1][2]]
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
    said = tuple(word for word, _, _ in spans)
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
        shown = text if len(text) <= 40 else f"{text[:39]}…"
        return LogParseError(
            f"I don't know “{shown}”. Try e.g. `/log demo self-led` or `/log 12 calls`."
        )
    typed = text[spans[0][1] : spans[scores[suggestions[0]][1] - 1][2]]
    return LogParseError(
        f"I don't know “{typed}”. Did you mean {_listing(suggestions)}?", suggestions
    )


def _similarity(typed: str, name: str) -> float:
    return difflib.SequenceMatcher(None, typed, name).ratio()


def _listing(activities: tuple[ActivityType, ...]) -> str:
    labels = [activity.label for activity in activities]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def _take_day(text: str, today: date) -> tuple[str, date | None]:
    """A day at the end of the text: `yesterday`, `today`, `on monday`, `on 2026-11-20`."""
    match = _DAY.search(text)
    if not match:
        return text, None
    if match["relative"]:
        day = today if match["relative"].lower() == "today" else today - timedelta(days=1)
    elif match["iso"]:
        day = _iso_day(match["iso"])
    else:
        weekday = _WEEKDAYS[match["weekday"].lower()]
        day = today - timedelta(days=(today.weekday() - weekday) % 7)
    if problem := check_day(day, today):
        raise LogParseError(problem)
    return text[: match.start()], day


def check_day(day: date, today: date) -> str | None:
    """Why `day` can't be logged (the future, or over a week back), or None if it can.

    Public so the log modal's date picker follows the same rule as `/log`.
    """
    if day > today:
        return f"{_shown(day)} is in the future — log it once it's happened."
    if (today - day).days > MAX_DAYS_BACK:
        return f"{_shown(day)} is more than {MAX_DAYS_BACK} days ago; I can only log the past week."
    return None


def _shown(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _iso_day(raw: str) -> date:
    year, month, day = (int(part) for part in raw.split("-"))
    try:
        return date(year, month, day)
    except ValueError:
        raise LogParseError(f"“{raw}” isn't a date; write it like 2026-11-20.") from None


def _take_amount(text: str) -> tuple[str, Decimal | None]:
    """A deal amount anywhere in the text: `$12,500`, `$12.5k`, `12500 USD`."""
    found = list(_AMOUNT.finditer(text))
    if not found:
        return text, None
    if len(found) > 1:
        shown = " and ".join(match.group(0).strip() for match in found)
        raise LogParseError(f"I see more than one amount ({shown}) — which one was it?")
    match = found[0]
    amount = _amount(match["dollars"] or match["usd"], match["dollar_scale"] or match["usd_scale"])
    left, right = text[: match.start()].rstrip(), text[match.end() :].lstrip()
    return (f"{left} {right}" if left and right else left or right), amount


def parse_amount(text: str) -> Decimal:
    """A deal amount typed on its own, as in the log modal: `12500`, `$12,500`, `12.5k`."""
    match = _AMOUNT_FIELD.fullmatch(text.strip())
    if not match:
        raise LogParseError(f"“{text.strip()}” isn't an amount; write it like $12,500.")
    return _amount(match["number"], match["scale"])


def _amount(number: str, scale: str | None) -> Decimal:
    amount = Decimal(number.replace(",", "")) * _SCALES[(scale or "").lower()]
    if amount <= 0:
        raise LogParseError("A deal amount has to be more than $0.")
    return amount.quantize(Decimal(1) if amount == amount.to_integral() else Decimal("0.01"))
