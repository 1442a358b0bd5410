"""`/log` end to end: signed HTTP into `tally serve`, replies read as the rep would read them."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.fakeslack.signed_requests import Reply
from tests.fixtures.server import OTHER_REP, REP, RunningTally


def test_log_replies_with_points_week_total_and_undo(tally: RunningTally) -> None:
    reply = tally.command(REP, "/log", "demo self-led")

    assert reply.status == 200
    body = reply.json()
    assert body["response_type"] == "ephemeral"
    seen = tally.read(body)
    assert "+25 pts" in seen
    assert "25 / 500 pts" in seen
    assert "[Undo]" in seen
    assert [(e.activity_key, e.count, e.points) for e in tally.entries(REP)] == [
        ("demo_self_led", 1, 25)
    ]


def test_common_path_makes_no_slack_call_after_the_first(tally: RunningTally) -> None:
    tally.command(REP, "/log", "12 calls")
    calls_before = len(tally.slack.calls_to("users.info"))

    tally.command(REP, "/log", "email x3")

    assert len(tally.slack.calls_to("users.info")) == calls_before
    assert sum(e.points for e in tally.entries(REP)) == 15


def test_count_forms_and_notes_are_stored(tally: RunningTally) -> None:
    tally.command(REP, "/log", "calls 12")
    tally.command(REP, "/log", "closed won Acme Corp $12,500")

    calls, deal = tally.entries(REP)
    assert (calls.activity_key, calls.count, calls.points) == ("call", 12, 12)
    assert (deal.activity_key, deal.note, str(deal.amount)) == (
        "closed_won",
        "Acme Corp",
        "12500.00",
    )


def test_same_entry_twice_is_flagged_but_kept(tally: RunningTally) -> None:
    tally.command(REP, "/log", "meeting booked")
    second = tally.read(tally.command(REP, "/log", "meeting booked").json())

    assert "duplicate" in second
    assert "20 / 500 pts" in second
    assert len(tally.entries(REP)) == 2


def test_log_undo_removes_only_the_latest_entry_of_the_caller(tally: RunningTally) -> None:
    tally.command(REP, "/log", "12 calls")
    tally.command(REP, "/log", "demo self-led")
    tally.command(OTHER_REP, "/log", "5 emails")

    seen = tally.read(tally.command(REP, "/log", "undo").json())

    assert "Undone" in seen and "12 / 500 pts" in seen
    assert [e.activity_key for e in tally.entries(REP)] == ["call"]
    assert len(tally.entries(OTHER_REP)) == 1


def test_log_undo_with_nothing_left_says_so(tally: RunningTally) -> None:
    assert "nothing to undo" in tally.read(tally.command(REP, "/log", "undo").json())


def test_undo_button_removes_that_entry_and_updates_the_receipt(tally: RunningTally) -> None:
    receipt = tally.command(REP, "/log", "demo self-led").json()
    button = receipt["blocks"][-1]["elements"][0]

    tally.signed.block_action(REP, button["action_id"], button["value"], message=receipt)
    updated = tally.later_reply()

    assert updated["replace_original"] is True
    assert "Undone" in tally.read(updated) and "0 / 500 pts" in tally.read(updated)
    assert tally.entries(REP) == []


def test_undo_button_of_someone_else_changes_nothing(tally: RunningTally) -> None:
    receipt = tally.command(REP, "/log", "demo self-led").json()
    button = receipt["blocks"][-1]["elements"][0]

    tally.signed.block_action(OTHER_REP, button["action_id"], button["value"], message=receipt)

    assert "nothing changed" in tally.read(tally.later_reply())
    assert len(tally.entries(REP)) == 1


def test_an_undo_button_value_that_is_no_row_id_changes_nothing(tally: RunningTally) -> None:
    """Out of PostgreSQL's integer range or not ASCII digits: the same polite answer, no 500."""
    receipt = tally.command(REP, "/log", "demo self-led").json()
    button = receipt["blocks"][-1]["elements"][0]

    for value in ("9" * 30, "2147483648", "²"):
        reply = tally.signed.block_action(REP, button["action_id"], value, message=receipt)
        assert reply.status == 200
        assert "nothing changed" in tally.read(tally.later_reply())
    assert len(tally.entries(REP)) == 1


def test_unknown_activity_names_the_closest_and_stores_nothing(tally: RunningTally) -> None:
    seen = tally.read(tally.command(REP, "/log", "demmo self-led").json())

    assert "self-led" in seen.lower()
    assert "/log help" in seen
    assert tally.entries() == []


def test_count_out_of_range_is_refused(tally: RunningTally) -> None:
    seen = tally.read(tally.command(REP, "/log", "501 calls").json())

    assert "500" in seen
    assert tally.entries() == []


def test_a_note_cannot_ping_the_channel(tally: RunningTally) -> None:
    body = tally.command(REP, "/log", "closed won &lt;!channel&gt; &amp; friends").json()

    raw = str(body)
    assert "<!channel>" not in raw
    assert "&lt;!channel&gt; &amp; friends" in raw
    assert tally.entries(REP)[0].note == "<!channel> & friends"


def test_backdated_entry_counts_in_its_own_week(tally: RunningTally) -> None:
    seen = tally.read(tally.command(REP, "/log", "demo self-led yesterday").json())

    entry = tally.entries(REP)[0]
    assert entry.happened_at < entry.created_at
    assert ("Counted in" in seen) or ("Dated" in seen)


def test_future_dates_are_refused(tally: RunningTally) -> None:
    seen = tally.read(tally.command(REP, "/log", "demo self-led on 2999-01-01").json())

    assert "future" in seen.lower()
    assert tally.entries() == []


def test_help_lists_the_catalog_with_points(tally: RunningTally) -> None:
    seen = tally.read(tally.command(REP, "/log", "help").json())

    assert "Demo – self-led" in seen and "25 pts" in seen
    assert "/log 12 calls" in seen


def test_a_retried_request_is_stored_once(tally: RunningTally) -> None:
    fields = {
        "team_id": tally.slack.team_id,
        "user_id": REP,
        "user_name": "rita",
        "command": "/log",
        "text": "demo self-led",
        "trigger_id": "1234.5678.retry",
        "channel_id": "C0GENERAL",
    }
    body = urlencode(fields)
    first = tally.signed.post(body, "application/x-www-form-urlencoded")
    again = tally.signed.post(body, "application/x-www-form-urlencoded")

    assert first.status == again.status == 200
    assert len(tally.entries(REP)) == 1


def test_slack_profile_outage_still_logs_and_asks_again_later(tally: RunningTally) -> None:
    tally.slack.fail("users.info", 500, times=1)

    first = tally.read(tally.command(REP, "/log", "demo self-led").json())
    tally.slack.wait_until(lambda: len(tally.slack.calls_to("users.info")) >= 2, timeout=10)
    tally.command(REP, "/log", "call")
    statuses = [c.status for c in tally.slack.calls_to("users.info")]
    tally.command(REP, "/log", "email")

    assert "+25 pts" in first
    assert statuses[0] == 500 and statuses[-1] == 200
    assert len(tally.slack.calls_to("users.info")) == len(statuses)  # cached from then on
    assert len(tally.entries(REP)) == 3


def _rep_today() -> date:
    """The rep's local date (REP is in New York), as the running server works it out."""
    return datetime.now(ZoneInfo("America/New_York")).date()


def _command_with_trigger(tally: RunningTally, user_id: str, text: str, trigger_id: str) -> Reply:
    """A /log as Slack sends it, with a trigger_id of our choosing."""
    fields = {
        "team_id": tally.slack.team_id,
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/log",
        "text": text,
        "trigger_id": trigger_id,
        "channel_id": "C0GENERAL",
    }
    return tally.signed.post(urlencode(fields), "application/x-www-form-urlencoded")


def _replies(tally: RunningTally, *texts: str) -> list[str]:
    """What the rep reads for each /log, after checking each came back as a 200."""
    seen = []
    for text in texts:
        reply = tally.command(REP, "/log", text)
        assert reply.status == 200, (text, reply.status, reply.body[:200])
        seen.append(tally.read(reply.json()))
    return seen


def test_text_with_no_words_gets_a_friendly_reply(tally: RunningTally) -> None:
    for seen in _replies(tally, "?", "🎉", "!!!", "—", "5 ?"):
        assert "I can't find an activity in" in seen
        assert "/log help" in seen
    assert tally.entries() == []


def test_a_day_written_after_the_activity_is_what_gets_logged(tally: RunningTally) -> None:
    today = _rep_today()
    last_friday = today - timedelta(days=(today.weekday() - 4) % 7 or 7)
    two_days_ago = today - timedelta(days=2)

    _replies(tally, "meeting last friday", f"meeting {two_days_ago:%b} {two_days_ago.day}")

    assert [(e.local_day, e.note) for e in tally.entries(REP)] == [
        (last_friday, ""),
        (two_days_ago, ""),
    ]


def test_a_day_that_cant_be_logged_is_refused_with_the_reason(tally: RunningTally) -> None:
    tomorrow, with_acme, numeric = _replies(
        tally, "meeting tomorrow", "meeting tomorrow with Acme", "meeting 11/30"
    )

    assert "is in the future" in tomorrow
    assert "is in the future" in with_acme
    assert "could be more than one day" in numeric and "Nov 30" in numeric
    assert tally.entries() == []


def test_a_note_that_only_contains_a_weekday_stays_a_note(tally: RunningTally) -> None:
    _replies(tally, "closed won Monday.com renewal")

    [entry] = tally.entries(REP)
    assert (entry.note, entry.local_day) == ("Monday.com renewal", _rep_today())


def test_counts_are_whole_numbers_and_plurals_list_the_types(tally: RunningTally) -> None:
    exponent, plural = _replies(tally, "1e3 calls", "2 demos")

    assert "Counts are whole numbers from 1 to 500" in exponent
    assert "could be:" in plural and "Demo – self-led" in plural and "Demo – mentor-led" in plural
    assert tally.entries() == []


def test_deal_amounts_keep_their_currency(tally: RunningTally) -> None:
    texts = {
        "closed won Initech €9,000": "€9,000",
        "closed won Initech £9k": "£9,000",
        "closed won Initech 9000 EUR": "€9,000",
        "closed won Initech 9,000 GBP": "£9,000",
        "closed won Initech $9,000": "$9,000",
        "closed won Initech 9000 USD": "$9,000",
    }
    seen = _replies(tally, *texts)

    for (text, shown), receipt in zip(texts.items(), seen, strict=True):
        assert f"deal {shown}" in receipt, text
    assert [(e.note, e.amount, e.currency) for e in tally.entries(REP)] == [
        ("Initech", Decimal(9000), currency)
        for currency in ("EUR", "GBP", "EUR", "GBP", "USD", "USD")
    ]


def test_deal_amounts_past_the_limit_or_finer_than_cents_are_refused(tally: RunningTally) -> None:
    seen = _replies(
        tally,
        "closed won Initech $1,000,000,000,000",
        "closed won Initech $" + "9" * 29,
        "closed won Initech $98765432109876.54",
        "closed won Initech $0.001",
    )

    assert all("Deal amounts go up to $10,000,000,000" in s for s in seen[:3]), seen
    assert "Deal amounts are in whole cents" in seen[3]
    assert tally.entries() == []


def test_the_largest_deal_is_stored_to_the_cent(tally: RunningTally) -> None:
    [receipt] = _replies(tally, "closed won Initech $9,999,999,999.99")

    assert "deal $9,999,999,999.99" in receipt
    assert tally.entries(REP)[0].amount == Decimal("9999999999.99")


def test_control_characters_in_a_note_are_dropped(tally: RunningTally) -> None:
    [receipt] = _replies(tally, "closed won Ini\x00tech\x07 Corp\x1b")

    assert "+25 pts" in receipt
    assert tally.entries(REP)[0].note == "Initech Corp"


def test_a_note_over_the_limit_is_refused_naming_it(tally: RunningTally) -> None:
    [seen] = _replies(tally, "call " + "n" * 5000)

    assert "Notes can be up to 3,000 characters" in seen
    assert tally.entries() == []


def test_a_long_note_is_shown_cut_with_an_ellipsis(tally: RunningTally) -> None:
    note = ("Initech renewal call " * 150)[:3000].strip()
    [receipt] = _replies(tally, f"call {note}")

    assert tally.entries(REP)[0].note == note
    first_line = receipt.splitlines()[0]
    assert first_line.endswith("…") and len(first_line) < 400
    assert "1 / 500 pts" in receipt


def test_a_duplicate_says_just_now_and_needs_the_same_day_and_note(tally: RunningTally) -> None:
    first, again, other_day, other_note = _replies(
        tally,
        "meeting Initech",
        "meeting Initech",
        "meeting Initech yesterday",
        "meeting Globex",
    )

    assert "duplicate of what you logged just now" in again
    assert "0s ago" not in again
    assert "duplicate" not in first + other_day + other_note
    assert len(tally.entries(REP)) == 4


def test_a_trigger_id_sent_again_by_someone_else_records_their_own_entry(
    tally: RunningTally,
) -> None:
    hers = _command_with_trigger(tally, REP, "closed won Initech $48k", "1234.5678.shared")
    his = _command_with_trigger(tally, OTHER_REP, "12 calls", "1234.5678.shared")

    assert hers.status == his.status == 200
    seen = tally.read(his.json())
    assert "12 calls" in seen
    assert "Initech" not in seen and "48,000" not in seen
    assert [(e.activity_key, e.count) for e in tally.entries(OTHER_REP)] == [("call", 12)]
    assert [e.note for e in tally.entries(REP)] == ["Initech"]
