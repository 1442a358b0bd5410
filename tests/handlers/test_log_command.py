"""`/log` end to end: signed HTTP into `tally serve`, replies read as the rep would read them."""

from urllib.parse import urlencode

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
