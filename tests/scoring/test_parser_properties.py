"""Whatever follows `/log`, the text path answers with an entry or a readable refusal.

The path is what the slash command runs: `to_plain` (Slack's escapes and stray control
characters) then `parse_log_text`. Any other exception would be an HTTP 500 for the rep.
"""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import example, given, settings
from hypothesis import strategies as st

from handlers.slack_text import to_plain
from scoring.catalog import DEFAULT_CATALOG, catalog_from_config
from scoring.deal_amounts import MAX_AMOUNT
from scoring.parser import MAX_COUNT, MAX_NOTE_LENGTH, LogParseError, ParsedLog, parse_log_text

TODAY = date(2026, 11, 25)
CUSTOM = catalog_from_config(
    [
        {"key": "webinar", "points": 30, "aliases": ["webinar", "webinars"]},
        {"key": "qa", "points": 5, "aliases": ["Q&A session", "monday meeting"]},
        {"key": "x", "points": 1, "aliases": ["x", "2"]},
    ]
)
ALIASES = sorted(
    {alias for catalog in (DEFAULT_CATALOG, CUSTOM) for a in catalog for alias in a.aliases}
)
PIECES = st.sampled_from(
    [
        *ALIASES,
        "12", "0", "-3", "2.5", "1e3", "x12", "12x", "×3", "500", "501", "9" * 60,
        "today", "yesterday", "tomorrow", "on", "last", "next", "this", "week", "friday",
        "Friday", "fri", "Nov", "30", "30th", "11/30", "2026-11-20", "2026-02-30", "0000-01-01",
        "days", "ago", "$12,500", "€9k", "£9,000", "9000 EUR", "GBP", "$0.001", "$0",
        "$" + "9" * 40, "$1,000,000,000,000", "&amp;", "&lt;!channel&gt;", "<@U1|ana>",
        "<https://x.y|link>", "\x00", "\t", "\n", "\r", "\u2028", "\ud800", "🎉", "—", "?", ".",
        "Monday.com", "Group",
    ]
)  # fmt: skip
LOG_TEXT = st.one_of(
    st.text(),
    st.text(st.characters(codec=None, exclude_categories=())),  # surrogates and controls too
    st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=12).map(" ".join),
    st.tuples(st.text(min_size=1, max_size=40), st.integers(1, 400)).map(lambda t: t[0] * t[1]),
    st.integers(0, 10**30).map(lambda n: f"{n} calls"),
    st.integers(0, 10**30).map(lambda n: f"closed won Acme ${n:,}.{n % 1000:03d}"),
)


def read(text: str, catalog=DEFAULT_CATALOG) -> ParsedLog | LogParseError:
    try:
        return parse_log_text(to_plain(text), catalog, TODAY)
    except LogParseError as error:
        return error


@settings(max_examples=400)
@given(text=LOG_TEXT, custom=st.booleans())
@example(text="5 ?", custom=False)
@example(text="x" * 10_240, custom=False)
@example(text="call " + "\x00" * 10_000, custom=True)
@example(text="9" * 5000 + " calls", custom=False)
def test_any_text_is_an_entry_or_a_readable_refusal(text: str, custom: bool) -> None:
    result = read(text, CUSTOM if custom else DEFAULT_CATALOG)

    if isinstance(result, LogParseError):
        assert result.message.strip()
        assert len(result.message) < 600
        return
    assert 1 <= result.count <= MAX_COUNT
    assert len(result.note) <= MAX_NOTE_LENGTH
    assert "\x00" not in result.note and "\ud800" not in result.note
    if result.day is not None:
        assert TODAY - timedelta(days=7) <= result.day <= TODAY
    if result.amount is not None:
        assert Decimal("0.01") <= result.amount.value <= MAX_AMOUNT
        assert result.amount.value == result.amount.value.quantize(Decimal("0.01"))


NOTE_WORDS = st.lists(st.sampled_from(["Acme", "with", "the", "CFO", "renewal", "7-Eleven"]))
DEFAULT_ALIASES = sorted(alias for a in DEFAULT_CATALOG for alias in a.aliases)


def written(day: date, form: str) -> str:
    return form.format(
        weekday=f"{day:%A}".lower(), mon=f"{day:%b}", month=f"{day:%B}", d=day.day, iso=day
    )


@given(
    alias=st.sampled_from(DEFAULT_ALIASES),
    before=NOTE_WORDS,
    after=NOTE_WORDS,
    days_back=st.integers(-3, 12),
    form=st.sampled_from(
        ["{iso}", "on {iso}", "{mon} {d}", "on {d} {month}", "{month} {d},", "{weekday}"]
    ),
)
def test_a_day_anywhere_after_the_activity_is_read_or_refused(
    alias, before, after, days_back, form
):
    day = TODAY - timedelta(days=days_back)
    if form == "{weekday}":
        after = []  # a bare weekday mid-text may start a name; at the end it is a day
    phrase = written(day, form)
    text = " ".join([alias, *before, phrase, *after])

    result = read(text)

    if form == "{weekday}":  # always the latest such day, today included: never refused
        assert isinstance(result, ParsedLog), result
        assert result.day == TODAY - timedelta(days=(TODAY.weekday() - day.weekday()) % 7)
    elif 0 <= days_back <= 7:
        assert isinstance(result, ParsedLog), result
        assert result.day == day
        assert result.note.split() == [*before, *after]
    else:
        assert isinstance(result, LogParseError)
        assert "future" in result.message or "more than 7 days ago" in result.message


@given(
    cents=st.integers(1, int(MAX_AMOUNT * 100)),
    form=st.sampled_from(["${n}", "€{n}", "£{n}", "{n} EUR", "{n} GBP", "USD {n}", "{n} usd"]),
)
def test_every_amount_in_range_is_kept_exactly(cents, form):
    value = Decimal(cents) / 100
    parsed = read(f"closed won Acme {form.format(n=f'{value:,.2f}')}")

    assert isinstance(parsed, ParsedLog), parsed
    assert parsed.amount.value == value
    assert parsed.note == "Acme"


@given(
    number=st.one_of(
        st.integers(int(MAX_AMOUNT) + 1, 10**40).map(str),
        st.integers(1, 10**6).map(lambda n: f"{n}.{n % 7}01"),  # three decimals
    ),
    symbol=st.sampled_from(["$", "€", "£"]),
)
def test_amounts_past_the_limit_or_finer_than_cents_are_refused(number, symbol):
    refused = read(f"closed won Acme {symbol}{number}")

    assert isinstance(refused, LogParseError)
    assert "Deal amounts go up to" in refused.message or "whole cents" in refused.message
