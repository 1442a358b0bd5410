from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scoring.catalog import DEFAULT_CATALOG, catalog_from_config
from scoring.day_words import DATE_WORDS
from scoring.parser import (
    DealAmount,
    LogParseError,
    check_day,
    guess_activity,
    guess_from_message,
    parse_amount,
    parse_log_text,
)

TODAY = date(2026, 11, 25)  # a Wednesday


def parse(text: str):
    return parse_log_text(text, DEFAULT_CATALOG, TODAY)


def error_for(text: str) -> LogParseError:
    with pytest.raises(LogParseError) as raised:
        parse(text)
    return raised.value


@pytest.mark.parametrize(
    ("text", "key", "count"),
    [
        ("demo self-led", "demo_self_led", 1),
        ("Demo Self-Led", "demo_self_led", 1),
        ("demo_self_led", "demo_self_led", 1),
        ("DEMO SELF LED", "demo_self_led", 1),
        ("self-led demo", "demo_self_led", 1),
        ("demo self", "demo_self_led", 1),
        ("12 calls", "call", 12),
        ("calls 12", "call", 12),
        ("call x12", "call", 12),
        ("x12 call", "call", 12),
        ("12x calls", "call", 12),
        ("3 cold calls", "call", 3),
        ("40 dials", "call", 40),
        ("5 emails", "email", 5),
        ("dm convo", "dm_conversation", 1),
        ("decision-maker conversation", "dm_conversation", 1),
        ("2 linkedin connect", "dm_connection", 2),
        ("linkedin", "dm_connection", 1),
        ("meeting booked", "meeting_booked", 1),
        ("2 meetings", "meeting_booked", 2),
        ("disco self-led", "discovery_self_led", 1),
        ("disco self", "discovery_self_led", 1),
        ("discovery mentor-led", "discovery_mentor_led", 1),
        ("disco mentor", "discovery_mentor_led", 1),
        ("shadow", "demo_shadow", 1),
        ("demo shadow", "demo_shadow", 1),
        ("demo mentor", "demo_mentor_led", 1),
        ("demo booked", "demo_meeting_booked", 1),
        ("demo meeting booked", "demo_meeting_booked", 1),
        ("closed won", "closed_won", 1),
        ("closed-won", "closed_won", 1),
        ("cw", "closed_won", 1),
        ("deal", "closed_won", 1),
        ("won", "closed_won", 1),
        ("Outbound call", "call", 1),  # the label works too
        ("  7   calls  ", "call", 7),
        ("500 calls", "call", 500),
        ("1 call", "call", 1),
    ],
)
def test_activity_and_count(text, key, count):
    parsed = parse(text)
    assert (parsed.activity.key, parsed.count) == (key, count)
    assert (parsed.note, parsed.amount, parsed.day) == ("", None, None)


@pytest.mark.parametrize(
    ("text", "note", "amount"),
    [
        ("closed won Acme", "Acme", None),
        ("closed won ACME corp", "ACME corp", None),
        ("closed won Acme Corp $12,500", "Acme Corp", Decimal("12500")),
        ("closed won $12,500 Acme Corp", "Acme Corp", Decimal("12500")),
        ("closed won Acme $12.5k", "Acme", Decimal("12500")),
        ("closed won Acme 12500 USD", "Acme", Decimal("12500")),
        ("closed won Acme $1.2M", "Acme", Decimal("1200000")),
        ("closed won Acme $12,500.50", "Acme", Decimal("12500.50")),
        ("closed won AT&amp;T", "AT&amp;T", None),
        ("closed won - Acme", "Acme", None),
        ("demo self-led with Acme &lt;EMEA&gt;", "with Acme &lt;EMEA&gt;", None),
        ("closed won 7-Eleven", "7-Eleven", None),
        ("demo self-led 3M  renewal", "3M  renewal", None),
    ],
)
def test_note_and_amount(text, note, amount):
    parsed = parse(text)
    assert (parsed.note, parsed.amount) == (note, amount and DealAmount(amount, "USD"))


def test_amount_is_exact_and_plain():
    assert str(parse("closed won Acme $12.5k").amount.value) == "12500"


def test_count_after_the_activity_then_a_note():
    parsed = parse("calls 12 follow-ups for Acme")
    assert (parsed.count, parsed.note) == (12, "follow-ups for Acme")


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("demo self-led yesterday", date(2026, 11, 24)),
        ("demo self-led Yesterday.", date(2026, 11, 24)),
        ("demo self-led today", TODAY),
        ("demo self-led on 2026-11-20", date(2026, 11, 20)),
        ("demo self-led 2026-11-20", date(2026, 11, 20)),
        ("demo self-led on 2026-11-18", date(2026, 11, 18)),  # exactly 7 days back
        ("demo self-led on monday", date(2026, 11, 23)),
        ("demo self-led on Mon", date(2026, 11, 23)),
        ("demo self-led on wednesday", TODAY),  # today counts as the most recent Wednesday
        ("demo self-led on thursday", date(2026, 11, 19)),  # never the future
        ("demo self-led on sun", date(2026, 11, 22)),
        ("12 calls on tues", date(2026, 11, 24)),
        ("calls 12 yesterday", date(2026, 11, 24)),
    ],
)
def test_day(text, day):
    assert parse(text).day == day


def test_day_amount_and_note_together():
    parsed = parse("closed won Acme Corp $12,500 yesterday")
    assert (parsed.note, parsed.amount, parsed.day) == (
        "Acme Corp",
        DealAmount(Decimal("12500"), "USD"),
        date(2026, 11, 24),
    )


def test_a_weekday_in_the_middle_stays_in_the_note():
    parsed = parse("demo self-led Monday Group Inc")
    assert (parsed.note, parsed.day) == ("Monday Group Inc", None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Tell me what you did, e.g. `/log demo self-led` or `/log 12 calls`."),
        ("   ", "Tell me what you did"),
        ("0 calls", "Counts are whole numbers from 1 to 500"),
        ("501 calls", "Counts are whole numbers from 1 to 500"),
        ("calls 501", "Counts are whole numbers from 1 to 500"),
        ("-3 calls", "Counts are whole numbers from 1 to 500"),
        ("2.5 calls", "Counts are whole numbers from 1 to 500"),
        ("12", "12 of what? Try e.g. `/log 12 calls`."),
        ("12 calls x3", "I see two counts (12 and 3)"),
        ("demo self-led on 2026-11-26", "Thu 26 Nov 2026 is in the future"),
        ("demo self-led on 2026-11-17", "Tue 17 Nov 2026 is more than 7 days ago"),
        ("demo self-led on 2026-02-30", "“2026-02-30” isn't a date; write it like Nov 20"),
        ("closed won Acme $0", "A deal amount has to be more than $0."),
        ("closed won Acme $5 $6", "I see more than one amount ($5 and $6)"),
        ("xyzzy plugh", "I don't know “xyzzy plugh”. Try e.g. `/log demo self-led`"),
    ],
)
def test_errors(text, message):
    error = error_for(text)
    assert error.message.startswith(message)
    assert str(error) == error.message


def test_unknown_text_names_the_closest_types_best_first():
    error = error_for("demmo")
    assert error.message == (
        "I don't know “demmo”. Did you mean Demo – self-led, Demo – mentor-led "
        "or Demo – peer/mentor shadow?"
    )
    assert [activity.key for activity in error.suggestions] == [
        "demo_self_led",
        "demo_mentor_led",
        "demo_shadow",
    ]


@pytest.mark.parametrize(
    ("text", "quoted", "best"),
    [
        ("cals", "cals", "call"),
        ("3 emial", "emial", "email"),
        ("demmo self-led with Acme", "demmo self-led", "demo_self_led"),
        ("closed lost Acme", "closed lost", "closed_won"),
        ("linkdin", "linkdin", "dm_connection"),
    ],
)
def test_typos_quote_what_was_typed_and_suggest_the_fix(text, quoted, best):
    error = error_for(text)
    assert error.message.startswith(f"I don't know “{quoted}”. Did you mean ")
    assert error.suggestions[0].key == best


def test_nothing_close_means_no_suggestions():
    assert error_for("xyzzy").suggestions == ()


DEMOS = {"demo_self_led", "demo_mentor_led", "demo_shadow", "demo_meeting_booked"}
DISCOVERIES = {"discovery_self_led", "discovery_mentor_led"}


@pytest.mark.parametrize(
    ("text", "typed", "keys"),
    [
        ("demo", "demo", DEMOS),
        ("Demo with Acme", "Demo", DEMOS),
        ("discovery", "discovery", DISCOVERIES),
        ("2 disco", "disco", DISCOVERIES),
        ("self-led", "self-led", {"discovery_self_led", "demo_self_led"}),
        ("dm", "dm", {"dm_conversation", "dm_connection"}),
    ],
)
def test_ambiguous_text_lists_the_candidates(text, typed, keys):
    error = error_for(text)
    assert error.message.startswith(f"`{typed}` could be: ")
    assert {activity.key for activity in error.suggestions} == keys
    for activity in error.suggestions:
        assert activity.label in error.message


def test_custom_catalog_aliases_are_understood():
    catalog = catalog_from_config([{"key": "webinar", "points": 30, "aliases": ["webinar"]}])
    parsed = parse_log_text("webinar x2 EMEA launch", catalog, TODAY)
    assert (parsed.activity.key, parsed.count, parsed.note) == ("webinar", 2, "EMEA launch")


@pytest.mark.parametrize(
    ("message", "key"),
    [
        ("Booked a demo with Acme for next Tuesday!", "demo_meeting_booked"),
        ("Just ran a self-led demo for Acme", "demo_self_led"),
        ("Great DM convo with the CFO at Acme", "dm_conversation"),
        ("Closed won!! Acme signed today", "closed_won"),
        ("Made 40 dials this morning", "call"),
        ("Had a call with Acme and booked a meeting", "meeting_booked"),  # the bigger one
    ],
)
def test_guess_activity_from_a_slack_message(message, key):
    assert guess_activity(message, DEFAULT_CATALOG).key == key


@pytest.mark.parametrize(
    "message", ["Lunch is here, come get it", "We won't make the 3pm, sorry", ""]
)
def test_guess_activity_is_none_when_nothing_fits(message):
    assert guess_activity(message, DEFAULT_CATALOG) is None


ALIASES = [(alias, activity.key) for activity in DEFAULT_CATALOG for alias in activity.aliases]
NOTE_WORD = st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True).filter(
    lambda word: word.lower() not in DATE_WORDS
)


@given(
    alias=st.sampled_from(ALIASES),
    count=st.integers(1, 500),
    form=st.sampled_from(["{n} {a}", "{a} {n}", "{a} x{n}", "x{n} {a}", "{n}x {a}"]),
)
def test_any_count_with_any_alias_round_trips(alias, count, form):
    text, key = alias
    parsed = parse(form.format(n=count, a=text))
    assert (parsed.activity.key, parsed.count, parsed.note) == (key, count, "")


@given(
    alias=st.sampled_from(ALIASES),
    note=st.lists(NOTE_WORD, min_size=1, max_size=4).map(" ".join),
    days_back=st.integers(0, 7),
)
def test_any_note_and_day_come_back_as_typed(alias, note, days_back):
    text, key = alias
    day = TODAY - timedelta(days=days_back)
    parsed = parse(f"{text.upper()} {note} on {day.isoformat()}")
    assert (parsed.activity.key, parsed.note, parsed.day) == (key, note, day)


@given(days=st.integers(1, 3000))
def test_the_future_is_always_refused(days):
    day = TODAY + timedelta(days=days)
    assume(day.year <= 9999)
    assert "in the future" in error_for(f"demo self-led on {day.isoformat()}").message


@given(days=st.integers(8, 3000))
def test_more_than_a_week_back_is_always_refused(days):
    day = TODAY - timedelta(days=days)
    assert "more than 7 days ago" in error_for(f"12 calls on {day.isoformat()}").message


def test_alias_with_an_ampersand_matches_slacks_escaped_text():
    catalog = catalog_from_config([{"key": "qa", "points": 5, "aliases": ["Q&A session"]}])
    parsed = parse_log_text("q&amp;a session AT&amp;T", catalog, TODAY)
    assert (parsed.activity.key, parsed.note) == ("qa", "AT&amp;T")


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12500", Decimal("12500")),
        ("$12,500", Decimal("12500")),
        (" 12.5k ", Decimal("12500")),
        ("$1.2M", Decimal("1200000")),
        ("12500 USD", Decimal("12500")),
        ("999.99", Decimal("999.99")),
    ],
)
def test_parse_amount_for_the_modal_field(text, amount):
    assert parse_amount(text) == DealAmount(amount, "USD")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("twelve grand", "“twelve grand” isn't an amount; write it like $12,500."),
        ("$1,2,3", "“$1,2,3” isn't an amount; write it like $12,500."),
        ("0", "A deal amount has to be more than $0."),
    ],
)
def test_parse_amount_explains_junk(text, message):
    with pytest.raises(LogParseError) as raised:
        parse_amount(text)
    assert raised.value.message == message


@pytest.mark.parametrize("day", [TODAY, date(2026, 11, 18)])
def test_check_day_allows_the_past_week(day):
    assert check_day(day, TODAY) is None


@pytest.mark.parametrize(
    ("day", "problem"),
    [
        (date(2026, 11, 26), "Thu 26 Nov 2026 is in the future — log it once it's happened."),
        (
            date(2026, 11, 17),
            "Tue 17 Nov 2026 is more than 7 days ago; I can only log the past week.",
        ),
    ],
)
def test_check_day_refuses_like_the_log_command(day, problem):
    assert check_day(day, TODAY) == problem
    assert error_for(f"demo self-led on {day.isoformat()}").message == problem


def test_guess_falls_back_to_the_most_valuable_type_sharing_a_head_word():
    guess = guess_activity("Ran the demo for Globex today, went well", DEFAULT_CATALOG)
    assert guess is not None and guess.key == "demo_self_led"
    assert guess_activity("lunch with the team", DEFAULT_CATALOG) is None


# Issue #7: texts with no words, counts that aren't whole numbers, plurals of ambiguous heads.


@pytest.mark.parametrize("text", ["?", "🎉", "!!!", "—", "5 ?", "12 🎉🎉", "x3 …", "&amp;"])
def test_text_without_words_gets_a_friendly_answer(text):
    assert error_for(text).message.startswith("I can't find an activity in “")


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("1e3 calls", "1e3"),
        ("calls 1e3", "1e3"),
        ("2E2 emails", "2E2"),
        ("1,000 calls", "1,000"),
        ("99999999999999999999999999 calls", "99999999999999999999999999"),
        ("9" * 5000 + " calls", "9" * 39 + "…"),
    ],
)
def test_counts_that_are_not_whole_numbers_up_to_500_are_refused_as_counts(text, typed):
    assert error_for(text).message == (
        f"Counts are whole numbers from 1 to 500; “{typed}” won't do."
    )


@pytest.mark.parametrize(
    ("text", "typed", "keys"),
    [
        ("2 demos", "demos", DEMOS),
        ("3 Demos with Acme", "Demos", DEMOS),
        ("2 discoveries", "discoveries", DISCOVERIES),
        ("2 discos", "discos", DISCOVERIES),
    ],
)
def test_plural_of_an_ambiguous_head_lists_the_candidates(text, typed, keys):
    error = error_for(text)
    assert error.message.startswith(f"`{typed}` could be: ")
    assert {activity.key for activity in error.suggestions} == keys


@pytest.mark.parametrize(
    ("text", "key", "count", "note"),
    [
        ("3 self-led discos", "discovery_self_led", 3, ""),
        ("2 shadow demos", "demo_shadow", 2, ""),
        ("12 linkedin connects", "dm_connection", 12, ""),  # the longer name wins
        ("2 dm connections for Acme", "dm_connection", 2, "for Acme"),
    ],
)
def test_plurals_of_names_are_understood(text, key, count, note):
    parsed = parse(text)
    assert (parsed.activity.key, parsed.count, parsed.note) == (key, count, note)


# Dates mean what they say (TODAY is Wednesday 25 Nov 2026).


@pytest.mark.parametrize(
    ("text", "day", "note"),
    [
        ("meeting last friday", date(2026, 11, 20), ""),
        ("meeting friday", date(2026, 11, 20), ""),
        ("meeting on friday", date(2026, 11, 20), ""),
        ("meeting Friday.", date(2026, 11, 20), ""),
        ("meeting wednesday", TODAY, ""),  # a weekday is the latest one, today included
        ("meeting last wednesday", date(2026, 11, 18), ""),  # `last` is before today
        ("meeting last wed", date(2026, 11, 18), ""),
        ("meeting on wed", TODAY, ""),
        ("meeting wed", TODAY, ""),  # a short weekday alone counts only at the end
        ("meeting this monday", date(2026, 11, 23), ""),
        ("meeting Nov 23", date(2026, 11, 23), ""),
        ("meeting nov. 23", date(2026, 11, 23), ""),
        ("meeting 23 Nov", date(2026, 11, 23), ""),
        ("meeting November 23", date(2026, 11, 23), ""),
        ("meeting on November 23rd, 2026", date(2026, 11, 23), ""),
        ("meeting on 23 Nov with Acme", date(2026, 11, 23), "with Acme"),
        ("meeting 2026-11-23", date(2026, 11, 23), ""),
        ("meeting 2 days ago", date(2026, 11, 23), ""),
        ("meeting yesterday with Acme", date(2026, 11, 24), "with Acme"),
        ("meeting friday with Acme", date(2026, 11, 20), "with Acme"),
        ("meeting Friday, Acme", date(2026, 11, 20), "Acme"),
        ("closed won Acme friday $5k", date(2026, 11, 20), "Acme"),
        ("3 calls (yesterday) to Acme", date(2026, 11, 24), "to Acme"),
    ],
)
def test_a_day_is_read_anywhere_after_the_activity(text, day, note):
    parsed = parse(text)
    assert (parsed.day, parsed.note) == (day, note)


@pytest.mark.parametrize(
    ("today", "text", "day"),
    [
        (date(2026, 11, 27), "call friday", date(2026, 11, 27)),  # on a Friday: today
        (date(2026, 11, 27), "call last friday", date(2026, 11, 20)),  # …and a week ago
        (date(2027, 1, 2), "call Dec 30", date(2026, 12, 30)),  # the nearest year
        (date(2026, 12, 30), "call Dec 28", date(2026, 12, 28)),
    ],
)
def test_weekday_and_year_rules(today, text, day):
    assert parse_log_text(text, DEFAULT_CATALOG, today).day == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("meeting tomorrow", "Thu 26 Nov 2026 is in the future"),
        ("meeting tomorrow with Acme", "Thu 26 Nov 2026 is in the future"),
        ("meeting tmrw", "Thu 26 Nov 2026 is in the future"),
        ("meeting next monday", "Mon 30 Nov 2026 is in the future"),
        ("meeting this friday", "Fri 27 Nov 2026 is in the future"),
        ("meeting Nov 26", "Thu 26 Nov 2026 is in the future"),
        ("meeting Nov 17", "Tue 17 Nov 2026 is more than 7 days ago"),
        ("meeting 30 days ago", "Mon 26 Oct 2026 is more than 7 days ago"),
        ("meeting 11/30", "“11/30” could be more than one day"),
        ("meeting 30/11", "“30/11” could be more than one day"),
        ("meeting 11/30/2026 with Acme", "“11/30/2026” could be more than one day"),
        ("meeting Feb 30", "“Feb 30” isn't a date"),
        ("meeting last week", "“last week” isn't one day"),
        ("meeting yesterday on 2026-11-20", "I see more than one day (“yesterday” and “on"),
    ],
)
def test_a_day_that_cant_be_logged_is_refused_with_the_reason(text, message):
    assert error_for(text).message.startswith(message)


def test_an_ambiguous_numeric_date_asks_for_an_unambiguous_one():
    assert error_for("meeting 11/30").message.endswith("write it like Nov 30 or 2026-11-30.")


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("meeting Monday.com renewal", "Monday.com renewal"),
        ("demo self-led Monday Group Inc", "Monday Group Inc"),
        ("meeting Friday Harbor Labs kickoff", "Friday Harbor Labs kickoff"),
        ("meeting about friday's launch", "about friday's launch"),
        ("call sat in on the pitch", "sat in on the pitch"),
        ("call in November about renewals", "in November about renewals"),
        ("call last call of the day", "last call of the day"),
    ],
)
def test_words_that_only_contain_a_day_stay_in_the_note(text, note):
    parsed = parse(text)
    assert (parsed.note, parsed.day) == (note, None)


# Deal amounts: currencies, range and precision (issues #7, #8).


@pytest.mark.parametrize(
    ("text", "value", "currency", "shown"),
    [
        ("closed won Acme €9,000", "9000", "EUR", "€9,000"),
        ("closed won Acme £9k", "9000", "GBP", "£9,000"),
        ("closed won Acme 9000 EUR", "9000", "EUR", "€9,000"),
        ("closed won Acme 9,000 GBP", "9000", "GBP", "£9,000"),
        ("closed won Acme $9,000", "9000", "USD", "$9,000"),
        ("closed won Acme 9000 USD", "9000", "USD", "$9,000"),
        ("closed won Acme 9000 usd", "9000", "USD", "$9,000"),
        ("closed won Acme CAD 12.5k", "12500", "CAD", "12,500 CAD"),
        ("closed won Acme $9,000 USD", "9000", "USD", "$9,000"),
        ("closed won Acme €9,000.50", "9000.50", "EUR", "€9,000.50"),
        ("closed won Acme $10,000,000,000", "10000000000", "USD", "$10,000,000,000"),
        ("closed won Acme $0.01", "0.01", "USD", "$0.01"),
        ("closed won Acme $1.23456k", "1234.56", "USD", "$1,234.56"),
    ],
)
def test_amounts_keep_their_currency(text, value, currency, shown):
    parsed = parse(text)
    assert parsed.amount == DealAmount(Decimal(value), currency)
    assert (str(parsed.amount), parsed.note) == (shown, "Acme")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "closed won Acme $1,000,000,000,000",
            "Deal amounts go up to $10,000,000,000; “$1,000,000,000,000” is more than that.",
        ),
        ("closed won Acme $10,000,000,000.01", "Deal amounts go up to $10,000,000,000;"),
        ("closed won Acme €" + "9" * 29, "Deal amounts go up to €10,000,000,000;"),
        ("closed won Acme $98765432109876.54", "Deal amounts go up to $10,000,000,000;"),
        ("closed won Acme $" + "9" * 10_000, "Deal amounts go up to $10,000,000,000;"),
        (
            "closed won Acme $0.001",
            "Deal amounts are in whole cents, like $12,500.50; “$0.001” has more decimals",
        ),
        ("closed won Acme €9.000", "Deal amounts are in whole cents, like €12,500.50;"),
        ("closed won Acme $1.234567k", "Deal amounts are in whole cents"),
        ("closed won Acme €0", "A deal amount has to be more than €0."),
        ("closed won Acme €9,000 USD", "“€9,000 USD” names two currencies (EUR and USD)"),
        ("closed won Acme €9,000 and £5", "I see more than one amount (€9,000 and £5)"),
    ],
)
def test_amounts_out_of_range_or_finer_than_cents_are_refused(text, message):
    assert error_for(text).message.startswith(message)


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("€9,000", "9000", "EUR"),
        ("£9k", "9000", "GBP"),
        ("9000 EUR", "9000", "EUR"),
        ("9,000 GBP", "9000", "GBP"),
        ("GBP 9,000", "9000", "GBP"),
        ("9k", "9000", "USD"),
    ],
)
def test_parse_amount_accepts_the_same_currencies(text, value, currency):
    assert parse_amount(text) == DealAmount(Decimal(value), currency)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("$1,000,000,000,000", "Deal amounts go up to $10,000,000,000"),
        ("9" * 29, "Deal amounts go up to $10,000,000,000"),
        ("$0.001", "Deal amounts are in whole cents"),
        ("€9,000 GBP", "“€9,000 GBP” names two currencies (EUR and GBP)"),
    ],
)
def test_parse_amount_refuses_the_same_way(text, message):
    with pytest.raises(LogParseError) as raised:
        parse_amount(text)
    assert raised.value.message.startswith(message)


# Notes: one limit on every surface.


def test_a_note_up_to_the_limit_is_kept_whole():
    note = "n" * 3000
    assert parse(f"call {note}").note == note


@pytest.mark.parametrize(
    ("length", "counted"), [(3001, "3,001 in the note"), (1_000_000, "1,000,005 in all")]
)
def test_a_longer_note_is_refused_naming_the_limit(length, counted):
    message = error_for("call " + "n" * length).message
    assert message == (
        f"Notes can be up to 3,000 characters; that's {counted}. Shorten it and log it again."
    )


# The message shortcut's prefill.


@pytest.mark.parametrize(
    ("message", "key", "count", "amount", "yesterday"),
    [
        ("Booked 3 meetings with Initech", "meeting_booked", 3, None, False),
        ("Closed Initech for $48k", "closed_won", None, DealAmount(Decimal(48000), "USD"), False),
        ("Made 40 dials yesterday", "call", 40, None, True),
        ("Ran 2 demos for Globex", "demo_self_led", 2, None, False),
        ("Closed won Acme €9,000 and Initech €5,000", "closed_won", None, None, False),
        ("Booked 900 meetings", "meeting_booked", None, None, False),
    ],
)
def test_a_message_prefills_what_it_says(message, key, count, amount, yesterday):
    guess = guess_from_message(message, DEFAULT_CATALOG)
    assert guess.activity is not None
    assert (guess.activity.key, guess.count, guess.amount, guess.yesterday) == (
        key,
        count,
        amount,
        yesterday,
    )
