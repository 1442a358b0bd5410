"""Days as reps write them after an activity: `yesterday`, `friday`, `last fri`, `Nov 30`, ISO.

Every date a rep writes is read or refused with the reason; none is silently kept as a note.
A weekday names the most recent such day, today included (`friday` on a Friday is today);
`last friday` is the one before today (on a Friday, a week ago). A capitalised weekday that
starts a name ("Monday Group Inc") stays in the note; so does a word that only contains one
("Monday.com", "friday's").
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.log_text import LogParseError, quoted, without

MAX_DAYS_BACK = 7

_RELATIVE = {"today": 0, "yesterday": -1, "yday": -1, "tomorrow": 1, "tmrw": 1}
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}  # fmt: skip
_SHORT_WEEKDAYS = {
    "mon": 0, "tue": 1, "tues": 1, "wed": 2, "weds": 2, "thu": 3, "thur": 3, "thurs": 3,
    "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip
_ANY_WEEKDAY = _WEEKDAYS | _SHORT_WEEKDAYS
# Words that may start a day; anything else that doesn't start with a digit is passed over.
DATE_WORDS = frozenset(
    {"last", "this", "next", "on", *_RELATIVE, *_WEEKDAYS, *_SHORT_WEEKDAYS, *_MONTHS}
)
_ISO = re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})")
_NUMERIC = re.compile(r"([0-9]{1,2})/([0-9]{1,2})(?:/[0-9]{2,4})?")
_DAY_OF_MONTH = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?")
_YEAR = re.compile(r"[0-9]{4}")
_TOKEN = re.compile(r"\S+")
_OPENERS = "([{\"'“‘"
_CLOSERS = ".,;:!?)]}\"'”’"


@dataclass(frozen=True)
class _Token:
    word: str  # without surrounding punctuation, case kept
    core: str  # `word` casefolded
    start: int
    end: int
    closes: bool  # punctuation after the word ends a phrase: "friday, with Acme"


def take_day(text: str, today: date) -> tuple[str, date | None]:
    """The one day written anywhere in `text`, and the text without it; None: no day given."""
    tokens = _tokens(text)
    found: list[tuple[int, int, date]] = []
    index = 0
    while index < len(tokens):
        read = _read_at(tokens, index, today)
        if read is None:
            index += 1
            continue
        found.append((index, *read))
        index = read[0]
    if not found:
        return text, None
    if len(found) > 1:
        shown = " and ".join(
            f"“{quoted(text[tokens[first].start : tokens[end - 1].end])}”"
            for first, end, _ in found[:3]
        )
        raise LogParseError(f"I see more than one day ({shown}) — which one was it?")
    first, end, day = found[0]
    if problem := check_day(day, today):
        raise LogParseError(problem)
    return without(text, tokens[first].start, tokens[end - 1].end), day


def check_day(day: date, today: date) -> str | None:
    """Why `day` can't be logged (the future, or over a week back), or None if it can.

    Public so the log modal's date picker follows the same rule as `/log`.
    """
    if day > today:
        return f"{shown_day(day)} is in the future — log it once it's happened."
    if (today - day).days > MAX_DAYS_BACK:
        return (
            f"{shown_day(day)} is more than {MAX_DAYS_BACK} days ago; I can only log the past week."
        )
    return None


def shown_day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _tokens(text: str) -> list[_Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        word = raw.lstrip(_OPENERS).rstrip(_CLOSERS)
        closes = len(word) < len(raw.lstrip(_OPENERS))
        tokens.append(_Token(word, word.casefold(), match.start(), match.end(), closes))
    return tokens


def _read_at(tokens: list[_Token], index: int, today: date) -> tuple[int, date] | None:
    """(the index after the day, the day) if a day is written at `index`, else None."""
    core = tokens[index].core
    if core not in DATE_WORDS and not core[:1].isdigit():
        return None
    following = tokens[index + 1].core if index + 1 < len(tokens) else None
    if core in ("last", "this", "next") and following in _ANY_WEEKDAY:
        return index + 2, _weekday(core, _ANY_WEEKDAY[following], today)
    if core in ("last", "next") and following == "week":
        example = f"`last fri` or `{today:%b} {today.day}`"
        raise LogParseError(f"“{core} week” isn't one day; name the day, e.g. {example}.")
    if core == "on" and following is not None:
        return _named_day(tokens, index + 1, today, bare=False)
    if core in _RELATIVE:
        return index + 1, today + timedelta(days=_RELATIVE[core])
    if _days_ago(tokens, index):
        return index + 3, today - timedelta(days=int(core))
    return _named_day(tokens, index, today, bare=True)


def _days_ago(tokens: list[_Token], index: int) -> bool:
    """`3 days ago`."""
    words = [token.core for token in tokens[index : index + 3]]
    return (
        len(words) == 3
        and words[0].isascii()
        and words[0].isdigit()
        and len(words[0]) <= 3
        and words[1] in ("day", "days")
        and words[2] == "ago"
    )


def _named_day(
    tokens: list[_Token], index: int, today: date, *, bare: bool
) -> tuple[int, date] | None:
    """A weekday, a month and day, or an ISO or numeric date at `index`."""
    token = tokens[index]
    core = token.core
    if core in _WEEKDAYS or (core in _SHORT_WEEKDAYS and not bare):
        if bare and _starts_a_name(tokens, index):
            return None
        return index + 1, _weekday("on", _ANY_WEEKDAY[core], today)
    if core in _SHORT_WEEKDAYS and index == len(tokens) - 1:
        return index + 1, _weekday("on", _SHORT_WEEKDAYS[core], today)
    if match := _ISO.fullmatch(core):
        return index + 1, _date(token.word, *(int(part) for part in match.groups()))
    if match := _NUMERIC.fullmatch(core):
        raise _ambiguous(token.word, int(match[1]), int(match[2]), today)
    return _month_and_day(tokens, index, today)


def _starts_a_name(tokens: list[_Token], index: int) -> bool:
    """ "Monday Group Inc": a capitalised weekday running on into another capitalised word."""
    token = tokens[index]
    if token.closes or index + 1 == len(tokens) or not token.word[:1].isupper():
        return False
    return tokens[index + 1].word[:1].isupper()


def _weekday(which: str, weekday: int, today: date) -> date:
    """`on`: the latest such day up to today; `last`: before today; `this`: in this week;
    `next`: after today (refused later as the future)."""
    back = (today.weekday() - weekday) % 7
    if which == "last":
        return today - timedelta(days=back or 7)
    if which == "this":
        return today + timedelta(days=weekday - today.weekday())
    if which == "next":
        return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)
    return today - timedelta(days=back)


def _month_and_day(tokens: list[_Token], index: int, today: date) -> tuple[int, date] | None:
    """`Nov 30`, `November 30th, 2026`, `30 Nov`: the year is the one that puts it nearest today."""
    if index + 1 >= len(tokens):
        return None
    first, second = tokens[index], tokens[index + 1]
    if first.core in _MONTHS and (day := _DAY_OF_MONTH.fullmatch(second.core)):
        month, day_number = _MONTHS[first.core], int(day[1])
    elif second.core in _MONTHS and (day := _DAY_OF_MONTH.fullmatch(first.core)):
        month, day_number = _MONTHS[second.core], int(day[1])
    else:
        return None
    end = index + 2
    typed = f"{first.word} {second.word}"
    if end < len(tokens) and _YEAR.fullmatch(tokens[end].core):
        year = int(tokens[end].core)
        return end + 1, _date(f"{typed} {tokens[end].word}", year, month, day_number)
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day_number))
        except ValueError:
            continue
    if not candidates:
        raise _not_a_date(typed)
    return end, min(candidates, key=lambda candidate: abs(candidate - today))


def _date(typed: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _not_a_date(typed) from None


def _not_a_date(typed: str) -> LogParseError:
    return LogParseError(f"“{quoted(typed)}” isn't a date; write it like Nov 20 or 2026-11-20.")


def _ambiguous(typed: str, first: int, second: int, today: date) -> LogParseError:
    """`11/30` or `30/11`: month and day order differ by country, so ask rather than guess."""
    month, day = (first, second) if first <= 12 else (second, first)
    try:
        example = date(today.year, month, day)
    except ValueError:
        example = today
    return LogParseError(
        f"“{quoted(typed)}” could be more than one day (day/month or month/day?) — write it"
        f" like {example:%b} {example.day} or {example.isoformat()}."
    )
