"""The log form: `/log` alone, the message shortcut, and field-level errors."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.fixtures.server import OTHER_REP, REP, RunningTally, in_one_zone


def _opened_modal(tally: RunningTally) -> dict:
    """The modal as Slack shows it to the rep (with its view id), once the app has opened it."""
    tally.slack.wait_until(lambda: tally.slack.views(REP), timeout=10)
    return tally.slack.views(REP)[-1]["view"]


def test_log_alone_opens_the_form_and_submitting_logs(tally: RunningTally) -> None:
    ack = tally.command(REP, "/log", "")
    assert ack.status == 200

    view = _opened_modal(tally)
    assert view["callback_id"] == "log_modal"
    reply = tally.signed.view_submission(
        REP, view, {"activity": "demo_mentor_led", "count": "2", "note": "Initech"}
    )

    body = reply.json()
    assert body["response_action"] == "update"
    seen = tally.read(body["view"])
    assert "+40 pts" in seen and "40 / 500 pts" in seen
    [entry] = tally.entries(REP)
    assert (entry.activity_key, entry.count, entry.note, entry.source) == (
        "demo_mentor_led",
        2,
        "Initech",
        "modal",
    )


def test_bad_fields_come_back_as_errors_under_each_input(tally: RunningTally) -> None:
    tally.command(REP, "/log", "")
    view = _opened_modal(tally)
    far_back = (date.today() - timedelta(days=30)).isoformat()

    reply = tally.signed.view_submission(
        REP, view, {"activity": "call", "count": "0", "day": far_back, "amount": "lots"}
    )

    body = reply.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"count", "day", "amount"}
    assert tally.entries() == []


def test_submitting_the_same_form_twice_stores_once(tally: RunningTally) -> None:
    tally.command(REP, "/log", "")
    view = _opened_modal(tally)

    tally.signed.view_submission(REP, view, {"activity": "call", "count": "3"})
    tally.signed.view_submission(REP, view, {"activity": "call", "count": "3"})

    assert len(tally.entries(REP)) == 1


def test_message_shortcut_prefills_note_and_guessed_activity(tally: RunningTally) -> None:
    tally.signed.message_shortcut(REP, "log_activity", "Ran the demo for Globex today, went well")

    view = _opened_modal(tally)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["note"]["element"]["initial_value"].startswith("Ran the demo for Globex")
    assert blocks["activity"]["element"]["initial_option"]["value"].startswith("demo")

    reply = tally.signed.view_submission(REP, view, {"count": "1"})

    assert reply.json()["response_action"] == "update"
    [entry] = tally.entries(REP)
    assert entry.source == "shortcut" and entry.note.startswith("Ran the demo")


def test_undo_inside_the_receipt_view_updates_the_view(tally: RunningTally) -> None:
    tally.command(REP, "/log", "")
    view = _opened_modal(tally)
    receipt = tally.signed.view_submission(REP, view, {"activity": "call", "count": "4"}).json()
    button = receipt["view"]["blocks"][-1]["elements"][0]

    tally.signed.block_action(REP, button["action_id"], button["value"], view=view)

    tally.slack.wait_until(lambda: tally.slack.calls_to("views.update"), timeout=10)
    updated = tally.slack.calls_to("views.update")[-1].args["view"]
    assert "Undone" in tally.read(updated)
    assert tally.entries(REP) == []


def _submit(tally: RunningTally, values: dict[str, str], user_id: str = REP) -> dict:
    """Open the form with `/log` and submit it; the app's answer as JSON (a 200 is required)."""
    tally.command(user_id, "/log", "")
    tally.slack.wait_until(lambda: tally.slack.views(user_id), timeout=10)
    view = tally.slack.views(user_id)[-1]["view"]
    reply = tally.signed.view_submission(user_id, view, values)
    assert reply.status == 200, reply.body[:200]
    return reply.json()


def test_a_day_that_is_not_a_date_is_a_field_error(tally: RunningTally) -> None:
    body = _submit(tally, {"activity": "call", "count": "1", "day": "not-a-date"})

    assert body["response_action"] == "errors"
    assert body["errors"] == {"day": "Pick a day from the calendar."}
    assert tally.entries() == []


def test_a_count_that_is_not_ascii_digits_is_a_field_error(tally: RunningTally) -> None:
    for count in ("²", "٣", "1e3", "3.0", "9" * 5000):
        body = _submit(tally, {"activity": "call", "count": count})

        assert body["response_action"] == "errors", count
        assert body["errors"] == {"count": "Enter a whole number from 1 to 500."}
    assert tally.entries() == []


def test_amount_and_note_past_their_limits_are_field_errors(tally: RunningTally) -> None:
    body = _submit(
        tally,
        {"activity": "closed_won", "amount": "$1,000,000,000,000", "note": "n" * 3001},
    )

    assert body["response_action"] == "errors"
    assert body["errors"]["amount"].startswith("Deal amounts go up to $10,000,000,000")
    assert body["errors"]["note"].startswith("Notes can be up to 3,000 characters")
    assert tally.entries() == []


def test_the_amount_field_keeps_the_currency_and_the_note_drops_controls(
    tally: RunningTally,
) -> None:
    body = _submit(
        tally,
        {"activity": "closed_won", "count": "1", "amount": "€9,000", "note": "Ini\x00tech\ud800"},
    )

    assert body["response_action"] == "update"
    assert "deal €9,000" in tally.read(body["view"])
    [entry] = tally.entries(REP)
    assert (entry.amount, entry.currency, entry.note) == (9000, "EUR", "Initech")


def test_a_view_sent_again_by_someone_else_records_their_own_entry(tally: RunningTally) -> None:
    in_one_zone(tally)  # her modal's today is his (New York's Monday was Chicago's Sunday)
    tally.command(REP, "/log", "")
    view = _opened_modal(tally)
    hers = tally.signed.view_submission(
        REP, view, {"activity": "closed_won", "count": "1", "amount": "$48k", "note": "Initech"}
    )
    assert hers.json()["response_action"] == "update"
    his = tally.signed.view_submission(OTHER_REP, view, {"activity": "call"})

    assert his.json()["response_action"] == "update"
    seen = tally.read(his.json()["view"])
    assert "Initech" not in seen and "48,000" not in seen
    assert [(e.activity_key, e.note) for e in tally.entries(OTHER_REP)] == [("call", "")]
    assert [e.note for e in tally.entries(REP)] == ["Initech"]


def test_message_shortcut_prefills_the_count_it_reads(tally: RunningTally) -> None:
    tally.signed.message_shortcut(REP, "log_activity", "Booked 3 meetings with Initech")

    blocks = {b["block_id"]: b for b in _opened_modal(tally)["blocks"]}
    assert blocks["activity"]["element"]["initial_option"]["value"] == "meeting_booked"
    assert blocks["count"]["element"]["initial_value"] == "3"


def test_message_shortcut_prefills_the_amount_and_yesterday(tally: RunningTally) -> None:
    tally.signed.message_shortcut(REP, "log_activity", "Closed Initech for £48k yesterday")

    view = _opened_modal(tally)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["amount"]["element"]["initial_value"] == "£48,000"
    yesterday = datetime.now(ZoneInfo("America/New_York")).date() - timedelta(days=1)
    assert blocks["day"]["element"]["initial_date"] == yesterday.isoformat()

    reply = tally.signed.view_submission(REP, view, {})

    assert reply.json()["response_action"] == "update"
    [entry] = tally.entries(REP)
    assert (entry.activity_key, entry.amount, entry.currency) == ("closed_won", 48000, "GBP")
    assert entry.local_day == yesterday
