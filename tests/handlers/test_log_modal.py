"""The log form: `/log` alone, the message shortcut, and field-level errors."""

from datetime import date, timedelta

from tests.fixtures.server import REP, RunningTally


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
