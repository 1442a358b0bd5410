"""Delivery: the outbox reaches Slack once per message, through rate limits, outages and crashes.

Real databases (SQLite file and PostgreSQL) and real HTTP to the fake Slack; only time is
simulated, so backoffs and Retry-After waits are recorded instead of slept.
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import METADATA_EVENT_TYPE, Deliverer
from bot.fakeslack import FakeSlack
from bot.rate_limits import Pace, RateLimiter
from storage.models import OutboxMessage
from storage.outbox import (
    Draft,
    claim_due,
    enqueue,
    find_message,
    mark_sent,
    remember_channel,
    request_update,
    retract,
)
from tests.fixtures.fake_time import FakeTime
from tests.fixtures.slack import BOT_TOKEN

Factory = sessionmaker[Session]
WEEK = "2026-W48"
MONA, RAVI = "U0MONA", "U0RAVI"
BOARD = "C0BOARD"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def deliverer(factory: Factory, client: WebClient, time: FakeTime, **options: object) -> Deliverer:
    return Deliverer(
        factory,
        client,
        time.now,
        sleep=time.sleep,
        monotonic=time.monotonic,
        **options,  # type: ignore[arg-type]
    )


def draft(kind: str, recipient: str, text: str = "", **changes: object) -> Draft:
    fields: dict[str, object] = {
        "team_id": "T0TALLY",
        "kind": kind,
        "recipient": recipient,
        "period": WEEK,
        "text": text or f"{kind} for {recipient}",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text or kind}}],
    }
    return Draft(**(fields | changes))  # type: ignore[arg-type]


def queue(factory: Factory, time: FakeTime, *drafts: Draft) -> None:
    with factory.begin() as session:
        for one in drafts:
            enqueue(session, one, time.now())


def stored(factory: Factory, one: Draft) -> OutboxMessage:
    with factory() as session:
        message = find_message(session, one.team_id, one.key)
    assert message is not None
    return message


def posts_per_key(slack: FakeSlack) -> Counter[str]:
    """How many chat.postMessage calls Slack accepted for each outbox key."""
    return Counter(
        call.args["metadata"]["event_payload"]["key"]
        for call in slack.calls_to("chat.postMessage")
        if call.status == 200 and call.args.get("metadata")
    )


def test_each_due_message_is_posted_once_with_its_key(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    digest, nudge, board = draft("digest", MONA), draft("nudge", RAVI), draft("leaderboard", BOARD)
    queue(session_factory, fake_time, digest, nudge, board)
    sender = deliverer(session_factory, slack_client, fake_time)

    report = sender.deliver_due()
    again = sender.deliver_due()

    assert (report.sent, report.failed, report.errors) == (3, 0, [])
    assert (again.sent, again.updated, again.failed) == (0, 0, 0)
    [dm] = fake_slack.messages_in("D" + MONA)
    assert dm["text"] == f"digest for {MONA}"
    assert dm["blocks"] == digest.blocks
    assert dm["metadata"] == {
        "event_type": METADATA_EVENT_TYPE,
        "event_payload": {"key": digest.key},
    }
    assert [m["text"] for m in fake_slack.messages_in(BOARD)] == [f"leaderboard for {BOARD}"]
    assert posts_per_key(fake_slack) == {digest.key: 1, nudge.key: 1, board.key: 1}
    assert [c.args["users"] for c in fake_slack.calls_to("conversations.open")] == [MONA, RAVI]
    assert fake_slack.calls_to("conversations.history") == []  # nothing to recover
    row = stored(session_factory, digest)
    assert (row.status, row.channel_id, row.ts) == ("sent", "D" + MONA, dm["ts"])


def test_only_the_requested_keys_are_delivered(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    digest, nudge = draft("digest", MONA), draft("nudge", RAVI)
    queue(session_factory, fake_time, digest, nudge)

    report = deliverer(session_factory, slack_client, fake_time).deliver_due(
        keys=[(digest.team_id, digest.key)]
    )

    assert report.sent == 1
    assert posts_per_key(fake_slack) == {digest.key: 1}
    assert stored(session_factory, nudge).status == "pending"


def test_rate_limited_post_waits_retry_after_and_goes_out_once(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    board = draft("leaderboard", BOARD)
    queue(session_factory, fake_time, board)
    fake_slack.fail("chat.postMessage", 429, retry_after=7)

    report = deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert (report.sent, report.failed) == (1, 0)
    assert 7 in fake_time.sleeps
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]
    assert len(fake_slack.messages_in(BOARD)) == 1


def test_an_outage_longer_than_the_retries_fails_then_delivers_once_after(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    board, digest = draft("leaderboard", BOARD), draft("digest", MONA)
    queue(session_factory, fake_time, board, digest)
    fake_slack.fail("chat.postMessage", 503, times=3)  # every try this run for the board
    sender = deliverer(session_factory, slack_client, fake_time, max_tries=3)

    during = sender.deliver_due()

    assert (during.sent, during.failed) == (1, 1)  # the digest went out; the board waits
    [error] = during.errors
    assert f"leaderboard for {BOARD} ({WEEK})" in error
    assert "Slack unavailable after 3 tries" in error and "HTTP 503" in error
    assert fake_slack.messages_in(BOARD) == []
    assert 0.5 in fake_time.sleeps and 1.0 in fake_time.sleeps  # backoff between tries
    failed = stored(session_factory, board)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert failed.next_attempt_at > fake_time.now()

    too_soon = sender.deliver_due()
    fake_time.advance(failed.next_attempt_at - fake_time.now())
    after = sender.deliver_due()

    assert (too_soon.sent, too_soon.failed) == (0, 0)
    assert (after.sent, after.failed) == (1, 0)
    assert posts_per_key(fake_slack) == {board.key: 1, digest.key: 1}
    assert len(fake_slack.messages_in(BOARD)) == 1
    assert stored(session_factory, board).status == "sent"


def test_network_errors_fail_the_run_and_a_later_run_delivers(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    digest = draft("digest", MONA)
    queue(session_factory, fake_time, digest)
    unreachable = WebClient(base_url="http://127.0.0.1:9/api/", token=BOT_TOKEN, timeout=2)

    offline = deliverer(session_factory, unreachable, fake_time, max_tries=2).deliver_due()
    fake_time.advance(timedelta(hours=1))
    online = deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert offline.failed == 1
    assert "conversations.open could not reach Slack" in offline.errors[0]
    assert online.sent == 1
    assert posts_per_key(fake_slack) == {digest.key: 1}


def test_a_post_slack_accepted_but_whose_answer_was_lost_is_not_repeated(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    board = draft("leaderboard", BOARD)
    queue(session_factory, fake_time, board)
    fake_slack.fail("chat.postMessage", 502, after_serving=True)

    report = deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert (report.sent, report.failed) == (1, 0)
    [message] = fake_slack.messages_in(BOARD)
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert fake_slack.calls_to("conversations.history")[0].args["include_all_metadata"] in (
        True,
        "1",
        "true",
    )
    assert stored(session_factory, board).ts == message["ts"]


def test_a_crash_after_slack_accepted_is_recovered_from_history_without_reposting(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    digest = draft("digest", MONA)
    queue(session_factory, fake_time, digest)
    # A sender claims the row, opens the DM, posts, and dies before recording the post.
    with session_factory.begin() as session:
        [row] = claim_due(session, fake_time.now(), timedelta(minutes=5), 10)
        remember_channel(session, row.id, "D" + MONA)
    posted = slack_client.chat_postMessage(
        channel="D" + MONA,
        text=digest.text,
        metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": digest.key}},
    )
    sender = deliverer(session_factory, slack_client, fake_time)

    while_leased = sender.deliver_due()
    fake_time.advance(timedelta(minutes=5))
    recovered = sender.deliver_due()

    assert while_leased.sent == 0  # the dead sender's lease still holds
    # Recorded as found, not counted as sent: the dead sender posted it.
    assert (recovered.sent, recovered.found) == (0, 1)
    assert len(fake_slack.messages_in("D" + MONA)) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    assert fake_slack.calls_to("conversations.open") == []  # the channel was remembered
    row_after = stored(session_factory, digest)
    assert (row_after.status, row_after.ts) == ("sent", posted["ts"])


def test_a_crash_before_posting_is_sent_on_recovery(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    board = draft("leaderboard", BOARD)
    queue(session_factory, fake_time, board)
    slack_client.chat_postMessage(channel=BOARD, text="someone else's message")
    with session_factory.begin() as session:
        claim_due(session, fake_time.now(), timedelta(minutes=5), 10)  # then the sender died
    fake_time.advance(timedelta(minutes=5))

    report = deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert report.sent == 1
    assert len(fake_slack.calls_to("conversations.history")) == 1
    assert posts_per_key(fake_slack) == {board.key: 1}


def test_refused_messages_fail_and_the_rest_still_go_out(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    gone, board = draft("nudge", "C0ARCHIVED"), draft("leaderboard", BOARD)
    queue(session_factory, fake_time, gone, board)
    fake_slack.fail("chat.postMessage", 200, error="channel_not_found")

    report = deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert (report.sent, report.failed) == (1, 1)
    assert report.errors[0].startswith("nudge for C0ARCHIVED (2026-W48): Slack refused it")
    assert "channel_not_found" in report.errors[0]
    assert len(fake_slack.calls_to("chat.postMessage")) == 2  # no pointless retries this run
    assert stored(session_factory, gone).status == "failed"


def test_a_late_entry_edits_the_sent_digest_in_place_once(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    digest = draft("digest", MONA, editable_until=fake_time.now() + timedelta(days=3))
    queue(session_factory, fake_time, digest)
    sender = deliverer(session_factory, slack_client, fake_time)
    sender.deliver_due()
    [first] = fake_slack.messages_in("D" + MONA)
    new_blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*470 points*"}}]
    fake_time.advance(timedelta(hours=2))

    with session_factory.begin() as session:
        assert request_update(
            session, digest.team_id, digest.key, "470 points", new_blocks, fake_time.now()
        )
    edit = sender.deliver_due()
    again = sender.deliver_due()

    assert (edit.sent, edit.updated, again.updated) == (0, 1, 0)
    assert len(fake_slack.calls_to("conversations.open")) == 1
    [updated] = fake_slack.messages_in("D" + MONA)
    assert (updated["ts"], updated["text"], updated["blocks"]) == (
        first["ts"],
        "470 points",
        new_blocks,
    )
    assert len(fake_slack.calls_to("chat.update")) == 1
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_dm_channel_is_opened_once_per_person(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    queue(session_factory, fake_time, draft("digest", MONA), draft("nudge", MONA))
    sender = deliverer(session_factory, slack_client, fake_time)
    sender.deliver_due()
    queue(session_factory, fake_time, draft("digest", MONA, period="2026-W49"))

    report = sender.deliver_due()

    assert report.sent == 1
    assert len(fake_slack.messages_in("D" + MONA)) == 3
    assert len(fake_slack.calls_to("conversations.open")) == 1


def test_posts_to_one_channel_are_spaced_a_second_apart(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    drafts = [draft("leaderboard", BOARD, period=f"2026-W{week}") for week in (46, 47, 48)]
    queue(session_factory, fake_time, *drafts, draft("leaderboard", "C0OTHER"))

    report = deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert report.sent == 4
    assert len(fake_slack.messages_in(BOARD)) == 3
    assert sum(fake_time.sleeps) == pytest.approx(2.0)  # three posts, two one-second gaps


def test_two_deliverers_racing_post_each_message_exactly_once(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    drafts = [draft("nudge", f"U0REP{n:02d}") for n in range(25)]
    drafts += [draft("leaderboard", f"C0TEAM{n:02d}") for n in range(25)]
    queue(session_factory, fake_time, *drafts)
    senders = [deliverer(session_factory, slack_client, fake_time, batch=1) for _ in range(2)]
    start = threading.Barrier(2)

    def run(sender: Deliverer):
        start.wait()
        return sender.deliver_due()

    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(run, senders))

    assert sum(report.sent for report in reports) == 50
    assert sum(report.failed for report in reports) == 0
    assert posts_per_key(fake_slack) == {one.key: 1 for one in drafts}
    assert len(fake_slack.calls_to("chat.postMessage")) == 50


def test_the_rate_limiter_allows_a_burst_then_paces() -> None:
    time = FakeTime()
    limiter = RateLimiter(Pace(per_second=0.5, burst=3), sleep=time.sleep, monotonic=time.monotonic)

    waits = [limiter.wait("conversations.open") for _ in range(5)]
    other = limiter.wait("another key")

    assert waits == [0.0, 0.0, 0.0, 2.0, 2.0]
    assert other == 0.0


# --- slow runs, refusals and abandoned messages --------------------------------------------

# What one hung call costs a real sender: slack_sdk's default client timeout.
HUNG_CALL = timedelta(seconds=30)


def test_a_run_slower_than_its_lease_keeps_every_message_it_claimed(
    session_factory: Factory, fake_slack: FakeSlack, fake_time: FakeTime
) -> None:
    """Ten chat.postMessage calls hang (30 s each): the run outlasts the 5-minute lease, yet
    no message it claimed is lost to it; only the two that hung fail, each saying why."""
    boards = [draft("leaderboard", f"C0TEAM{n:02d}") for n in range(20)]
    queue(session_factory, fake_time, *boards)
    started = fake_time.now()
    with fake_slack.stall(
        "chat.postMessage", times=10, on_stall=lambda: fake_time.advance(HUNG_CALL)
    ):
        client = WebClient(base_url=fake_slack.url, token=BOT_TOKEN, timeout=0.2)
        report = deliverer(session_factory, client, fake_time).deliver_due()

    assert fake_time.now() - started > timedelta(minutes=5)  # longer than one lease
    assert (report.sent, report.failed) == (18, 2)
    assert report.lease_lost == 0
    assert len(report.errors) == 2
    for error in report.errors:
        assert "Slack unavailable after 5 tries" in error
        assert "chat.postMessage got no answer within 0.2 s" in error
    assert posts_per_key(fake_slack) == {board.key: 1 for board in boards[2:]}
    assert [stored(session_factory, board).status for board in boards[:2]] == ["failed"] * 2


def test_a_lease_that_lapses_mid_run_is_left_to_the_next_run_not_counted_failed(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    """Slack asks for a wait longer than the lease: the sender stands back instead of posting
    on a lease another sender may hold, says so, and the next run delivers the message once."""
    board = draft("leaderboard", BOARD)
    queue(session_factory, fake_time, board)
    fake_slack.fail("chat.postMessage", 429, retry_after=400)
    sender = deliverer(session_factory, slack_client, fake_time)

    lapsed = sender.deliver_due()
    recovered = sender.deliver_due()

    assert (lapsed.sent, lapsed.failed, lapsed.lease_lost) == (0, 0, 1)
    assert lapsed.errors == []
    assert (recovered.sent, recovered.failed) == (1, 0)
    assert posts_per_key(fake_slack) == {board.key: 1}


def test_a_message_slack_refuses_three_times_is_abandoned_and_never_claimed_again(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    gone, board = draft("nudge", "C0ARCHIVED"), draft("leaderboard", BOARD)
    sender = deliverer(session_factory, slack_client, fake_time)
    queue(session_factory, fake_time, board)
    sender.deliver_due()
    queue(session_factory, fake_time, gone)
    fake_slack.fail("chat.postMessage", 200, times=3, error="is_archived")

    runs = []
    for _ in range(3):
        runs.append(sender.deliver_due(retry_failed=True))
        fake_time.advance(timedelta(hours=6))
    later = sender.deliver_due(retry_failed=True)

    assert [(run.failed, run.abandoned) for run in runs] == [(1, 0), (1, 0), (0, 1)]
    assert (
        "Slack refused it: is_archived (1 of 3 refusals before it is abandoned)"
        in (runs[0].errors[0])
    )
    assert runs[2].abandoned_lines == [
        "nudge for C0ARCHIVED (2026-W48): Slack refused it 3 times: is_archived"
    ]
    assert (later.sent, later.failed, later.abandoned) == (0, 0, 0)
    tries = [
        c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == gone.recipient
    ]
    assert len(tries) == 3  # none after it was abandoned
    row = stored(session_factory, gone)
    assert (row.status, row.attempts, row.last_error) == (
        "abandoned",
        3,
        "Slack refused it 3 times: is_archived",
    )
    assert fake_slack.messages_in(gone.recipient) == []
    assert len(fake_slack.messages_in(BOARD)) == 1


def test_refusals_of_a_dm_count_at_conversations_open_too(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    digest = draft("digest", MONA)
    queue(session_factory, fake_time, digest)
    fake_slack.fail("conversations.open", 200, times=3, error="user_not_found")
    sender = deliverer(session_factory, slack_client, fake_time)

    runs = [sender.deliver_due(retry_failed=True) for _ in range(3)]

    assert [run.abandoned for run in runs] == [0, 0, 1]
    assert stored(session_factory, digest).status == "abandoned"
    assert fake_slack.calls_to("chat.postMessage") == []


def test_a_refusal_of_tallys_own_token_never_abandons_a_message(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    """invalid_auth is about Tally's setup, not the message: fixing the token delivers it."""
    board = draft("leaderboard", BOARD)
    queue(session_factory, fake_time, board)
    fake_slack.fail("chat.postMessage", 200, times=4, error="invalid_auth")
    sender = deliverer(session_factory, slack_client, fake_time)

    runs = [sender.deliver_due(retry_failed=True) for _ in range(4)]
    fixed = sender.deliver_due(retry_failed=True)

    assert [(run.failed, run.abandoned) for run in runs] == [(1, 0)] * 4
    assert "invalid_auth" in runs[0].errors[0] and "SLACK_BOT_TOKEN" in runs[0].errors[0]
    assert fixed.sent == 1
    assert len(fake_slack.messages_in(BOARD)) == 1


def test_an_edit_slack_refuses_three_times_is_abandoned_and_the_post_stays(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    digest = draft("digest", MONA, editable_until=fake_time.now() + timedelta(days=3))
    queue(session_factory, fake_time, digest)
    sender = deliverer(session_factory, slack_client, fake_time)
    sender.deliver_due()
    fake_slack.fail("chat.update", 200, times=3, error="message_not_found")

    runs = []
    for text in ("first late entry", "second", "third"):
        with session_factory.begin() as session:
            request_update(session, digest.team_id, digest.key, text, [], fake_time.now())
        runs.append(sender.deliver_due(retry_failed=True))

    assert [run.abandoned for run in runs] == [0, 0, 1]
    assert runs[2].abandoned_lines == [
        f"edit of digest for {MONA} ({WEEK}): Slack refused it 3 times: message_not_found"
    ]
    row = stored(session_factory, digest)
    assert (row.status, row.ts is not None) == ("abandoned", True)
    assert len(fake_slack.messages_in("D" + MONA)) == 1


def _celebration(**changes: object) -> Draft:
    return draft("celebration", BOARD, "🎉 a deal", period="entry-7", **changes)


def _retract(factory: Factory, time: FakeTime) -> list[tuple[str, str]]:
    with factory.begin() as session:
        return retract(session, "T0TALLY", "celebration", "entry-7", time.now())


def test_a_posted_celebration_taken_back_in_time_is_deleted_from_the_channel(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    cheer = _celebration(editable_until=fake_time.now() + timedelta(days=1))
    queue(session_factory, fake_time, cheer)
    sender = deliverer(session_factory, slack_client, fake_time)
    sender.deliver_due()
    assert len(fake_slack.messages_in(BOARD)) == 1

    due = _retract(session_factory, fake_time)
    report = sender.deliver_due(due)

    assert due == [("T0TALLY", cheer.key)] and report.outcomes[due[0]] == "withdrawn"
    assert fake_slack.messages_in(BOARD) == []
    assert stored(session_factory, cheer).status == "withdrawn"
    assert _retract(session_factory, fake_time) == []  # once is enough
    assert len(fake_slack.calls_to("chat.delete")) == 1


def test_a_celebration_taken_back_before_it_was_posted_is_never_posted(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    cheer = _celebration(editable_until=fake_time.now() + timedelta(days=1))
    queue(session_factory, fake_time, cheer)

    assert _retract(session_factory, fake_time) == []
    deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert fake_slack.messages_in(BOARD) == []
    assert stored(session_factory, cheer).status == "withdrawn"


def test_a_celebration_taken_back_mid_post_whose_sender_then_died_is_deleted_next_run(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    cheer = _celebration(editable_until=fake_time.now() + timedelta(days=1))
    queue(session_factory, fake_time, cheer)
    with session_factory.begin() as session:
        [row] = claim_due(session, fake_time.now(), timedelta(minutes=5), 10)
        row_id = row.id
    posted = slack_client.chat_postMessage(channel=BOARD, text=cheer.text, blocks=cheer.blocks)

    _retract(session_factory, fake_time)  # the undo lands while the sender waits for Slack
    with session_factory.begin() as session:
        mark_sent(
            session,
            row_id,
            BOARD,
            posted["ts"],
            fake_time.now(),
            sent_text=cheer.text,
            sent_blocks=cheer.blocks,
        )
    fake_time.advance(timedelta(minutes=6))  # the sender died holding the row's lease
    deliverer(session_factory, slack_client, fake_time).deliver_due()

    assert fake_slack.messages_in(BOARD) == []
    assert stored(session_factory, cheer).status == "withdrawn"


def test_a_celebration_people_saw_for_a_day_stays(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    cheer = _celebration(editable_until=fake_time.now() + timedelta(days=1))
    queue(session_factory, fake_time, cheer)
    sender = deliverer(session_factory, slack_client, fake_time)
    sender.deliver_due()
    fake_time.advance(timedelta(days=1, seconds=1))

    assert _retract(session_factory, fake_time) == []
    sender.deliver_due()

    assert len(fake_slack.messages_in(BOARD)) == 1
    assert stored(session_factory, cheer).status == "sent"


def test_the_sender_of_a_celebration_taken_back_mid_post_deletes_it_itself(
    session_factory: Factory, fake_slack: FakeSlack, slack_client: WebClient, fake_time: FakeTime
) -> None:
    """The undo lands between chat.postMessage and the sender recording it: no clock needed."""
    cheer = _celebration(editable_until=fake_time.now() + timedelta(days=1))
    queue(session_factory, fake_time, cheer)

    class UndoneMidPost(WebClient):
        def chat_postMessage(self, **kwargs: Any) -> SlackResponse:
            answer = super().chat_postMessage(**kwargs)
            _retract(session_factory, fake_time)
            return answer

    client = UndoneMidPost(token=BOT_TOKEN, base_url=slack_client.base_url)
    report = deliverer(session_factory, client, fake_time).deliver_due()

    assert report.outcomes[("T0TALLY", cheer.key)] == "withdrawn"
    assert fake_slack.messages_in(BOARD) == []
    assert stored(session_factory, cheer).status == "withdrawn"
