"""The outbox: queued once under races, claimed by one sender at a time, outcomes recorded."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.models import OutboxMessage
from storage.outbox import (
    INTERRUPTED,
    Draft,
    claim_due,
    enqueue,
    find_message,
    make_due,
    mark_abandoned,
    mark_failed,
    mark_sent,
    mark_updated,
    message_blocks,
    messages_with_key,
    renew_leases,
    request_update,
    stuck_messages,
)
from tests.storage.builders import NOW, WEEK

Factory = sessionmaker[Session]
LEASE = timedelta(minutes=5)
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Your team's week*"}}]


def digest(manager: str = "U_MONA", **changes: object) -> Draft:
    fields: dict[str, object] = {
        "team_id": "T1",
        "kind": "digest",
        "recipient": manager,
        "period": WEEK,
        "text": f"Week {WEEK}: 420 points",
        "blocks": BLOCKS,
        "editable_until": NOW + timedelta(days=3),
    }
    return Draft(**(fields | changes))  # type: ignore[arg-type]


def queue(factory: Factory, *drafts: Draft) -> list[int]:
    with factory.begin() as session:
        return [enqueue(session, draft, NOW)[0].id for draft in drafts]


def claim(factory: Factory, at=NOW, limit: int = 100, **options) -> list[OutboxMessage]:
    with factory.begin() as session:
        return claim_due(session, at, LEASE, limit, **options)


def row(factory: Factory, key: str, team_id: str = "T1") -> OutboxMessage:
    with factory() as session:
        message = find_message(session, team_id, key)
    assert message is not None
    return message


def row_count(factory: Factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage))


def test_the_key_names_kind_recipient_and_period() -> None:
    assert digest().key == f"digest:U_MONA:{WEEK}"


def test_a_message_is_queued_once_and_keeps_its_first_content(session_factory: Factory) -> None:
    with session_factory.begin() as session:
        first, created = enqueue(session, digest(), NOW)
    with session_factory.begin() as session:
        again, created_again = enqueue(session, digest(text="something else"), NOW)

    assert (created, created_again) == (True, False)
    assert again.id == first.id
    stored = row(session_factory, digest().key)
    assert (stored.status, stored.attempts, stored.text) == (
        "pending",
        0,
        f"Week {WEEK}: 420 points",
    )
    assert message_blocks(stored) == BLOCKS
    assert stored.next_attempt_at == NOW
    assert row_count(session_factory) == 1


def test_the_same_key_in_another_team_is_another_message(session_factory: Factory) -> None:
    queue(session_factory, digest(), digest(team_id="T2"))
    assert row_count(session_factory) == 2


def test_eight_schedulers_racing_queue_one_message(session_factory: Factory) -> None:
    threads = 8
    barrier = threading.Barrier(threads)

    def schedule() -> tuple[int, bool]:
        barrier.wait()
        with session_factory.begin() as session:
            message, created = enqueue(session, digest(), NOW)
            return message.id, created

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: schedule(), range(threads)))

    assert len({message_id for message_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert row_count(session_factory) == 1


def test_claiming_takes_due_rows_under_a_lease(session_factory: Factory) -> None:
    queue(session_factory, digest("U_A"), digest("U_B"))
    with session_factory.begin() as session:
        later, _ = enqueue(session, digest("U_LATER"), NOW + timedelta(hours=1))

    claimed = claim(session_factory)

    assert sorted(m.recipient for m in claimed) == ["U_A", "U_B"]
    assert {(m.status, m.lease_until) for m in claimed} == {("sending", NOW + LEASE)}
    assert claim(session_factory, at=NOW + timedelta(minutes=1)) == []  # leases held
    assert row(session_factory, later.key).status == "pending"


def test_a_sender_that_died_leaves_a_row_the_next_claim_recovers(session_factory: Factory) -> None:
    queue(session_factory, digest())
    claim(session_factory)

    recovered = claim(session_factory, at=NOW + LEASE)

    [message] = recovered
    assert (message.status, message.attempts, message.last_error) == ("sending", 1, INTERRUPTED)
    assert message.lease_until == NOW + 2 * LEASE


def test_claims_can_be_limited_to_some_keys(session_factory: Factory) -> None:
    queue(session_factory, digest("U_A"), digest("U_B"), digest("U_A", team_id="T2"))

    claimed = claim(session_factory, keys=[("T1", digest("U_A").key)])

    assert [(m.team_id, m.recipient) for m in claimed] == [("T1", "U_A")]
    assert claim(session_factory, keys=[]) == []


def test_a_failed_message_waits_for_its_retry_time(session_factory: Factory) -> None:
    [message_id] = queue(session_factory, digest())
    claim(session_factory)
    with session_factory.begin() as session:
        mark_failed(session, message_id, "HTTP 503", NOW + timedelta(minutes=2), NOW)

    failed = row(session_factory, digest().key)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "HTTP 503")
    assert failed.lease_until is None
    assert claim(session_factory, at=NOW + timedelta(minutes=1)) == []
    assert [m.id for m in claim(session_factory, at=NOW + timedelta(minutes=2))] == [message_id]


def test_an_operator_retry_takes_failed_rows_at_once(session_factory: Factory) -> None:
    [message_id] = queue(session_factory, digest())
    claim(session_factory)
    with session_factory.begin() as session:
        mark_failed(session, message_id, "HTTP 503", NOW + timedelta(hours=1), NOW)

    assert claim(session_factory, at=NOW + timedelta(minutes=1)) == []
    retried = claim(session_factory, at=NOW + timedelta(minutes=1), retry_failed=True)
    assert [m.id for m in retried] == [message_id]


def test_a_sent_message_is_not_claimed_again(session_factory: Factory) -> None:
    [message_id] = queue(session_factory, digest())
    claim(session_factory)
    with session_factory.begin() as session:
        mark_sent(session, message_id, "DU_MONA", "1700000000.000100", NOW)

    sent = row(session_factory, digest().key)
    assert (sent.status, sent.channel_id, sent.ts, sent.sent_at) == (
        "sent",
        "DU_MONA",
        "1700000000.000100",
        NOW,
    )
    assert claim(session_factory, at=NOW + timedelta(days=1)) == []


def test_a_late_entry_edits_a_sent_message_within_its_window(session_factory: Factory) -> None:
    [message_id] = queue(session_factory, digest())
    claim(session_factory)
    with session_factory.begin() as session:
        mark_sent(session, message_id, "DU_MONA", "1700000000.000100", NOW)
    later = NOW + timedelta(hours=2)
    new_blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*470 points*"}}]

    with session_factory.begin() as session:
        accepted = request_update(session, "T1", digest().key, "470 points", new_blocks, later)

    edited = row(session_factory, digest().key)
    assert accepted is True
    assert (edited.status, edited.needs_update, edited.text) == ("sent", True, "470 points")
    assert message_blocks(edited) == new_blocks
    [claimed] = claim(session_factory, at=later)
    assert claimed.ts == "1700000000.000100"
    with session_factory.begin() as session:
        mark_updated(session, message_id, later, sent_text="470 points", sent_blocks=new_blocks)
    done = row(session_factory, digest().key)
    assert (done.status, done.needs_update, done.ts) == ("sent", False, "1700000000.000100")
    assert claim(session_factory, at=later + timedelta(hours=1)) == []


def test_an_edit_after_the_window_is_refused(session_factory: Factory) -> None:
    [message_id] = queue(session_factory, digest())
    claim(session_factory)
    with session_factory.begin() as session:
        mark_sent(session, message_id, "DU_MONA", "1700000000.000100", NOW)

    too_late = NOW + timedelta(days=3)
    with session_factory.begin() as session:
        accepted = request_update(session, "T1", digest().key, "470 points", [], too_late)
        unknown = request_update(session, "T1", "digest:U_NOBODY:2026-W48", "x", [], NOW)

    assert (accepted, unknown) == (False, False)
    kept = row(session_factory, digest().key)
    assert (kept.text, kept.needs_update) == (f"Week {WEEK}: 420 points", False)


def test_an_edit_before_sending_just_replaces_the_content(session_factory: Factory) -> None:
    queue(session_factory, digest())

    with session_factory.begin() as session:
        accepted = request_update(session, "T1", digest().key, "470 points", [], NOW)

    pending = row(session_factory, digest().key)
    assert accepted is True
    assert (pending.status, pending.text, pending.needs_update) == ("pending", "470 points", False)


def test_an_edit_while_the_post_is_in_flight_is_applied_afterwards(
    session_factory: Factory,
) -> None:
    [message_id] = queue(session_factory, digest())
    [in_flight] = claim(session_factory)  # the sender now posts the old text
    with session_factory.begin() as session:
        assert request_update(session, "T1", digest().key, "470 points", [], NOW)
        mark_sent(
            session,
            message_id,
            "DU_MONA",
            "1700000000.000100",
            NOW,
            sent_text=in_flight.text,
            sent_blocks=BLOCKS,
        )

    assert row(session_factory, digest().key).needs_update is True
    assert [m.id for m in claim(session_factory)] == [message_id]


def test_a_lease_is_renewed_only_by_its_holder_before_it_runs_out(
    session_factory: Factory,
) -> None:
    [message_id] = queue(session_factory, digest())
    [claimed] = claim(session_factory)
    held = claimed.lease_until
    assert held is not None

    with session_factory.begin() as session:
        renewed = renew_leases(session, {message_id: held}, NOW + timedelta(minutes=1), LEASE)
    assert renewed == {message_id: NOW + timedelta(minutes=6)}

    # The holder stalls past its lease; another sender recovers the row.
    stalled_at = NOW + timedelta(minutes=7)
    [_taken] = claim(session_factory, at=stalled_at)
    with session_factory.begin() as session:
        assert renew_leases(session, renewed, stalled_at, LEASE) == {}


def test_a_batch_renews_together_and_loses_only_the_rows_taken_from_it(
    session_factory: Factory,
) -> None:
    ids = queue(session_factory, digest("U_A"), digest("U_B"), digest("U_C"))
    claimed = claim(session_factory)
    held = {m.id: m.lease_until for m in claimed}
    with session_factory.begin() as session:  # another sender's edit of U_B's row
        session.get(OutboxMessage, ids[1]).lease_until = NOW + timedelta(minutes=9)

    with session_factory.begin() as session:
        renewed = renew_leases(session, held, NOW + timedelta(minutes=2), LEASE)

    assert renewed == {ids[0]: NOW + timedelta(minutes=7), ids[2]: NOW + timedelta(minutes=7)}
    assert row(session_factory, digest("U_C").key).lease_until == NOW + timedelta(minutes=7)


def test_refusals_are_counted_until_a_message_is_abandoned_and_never_claimed(
    session_factory: Factory,
) -> None:
    [message_id] = queue(session_factory, digest())
    for _ in range(2):
        claim(session_factory, retry_failed=True)
        with session_factory.begin() as session:
            mark_failed(session, message_id, "refused", NOW + timedelta(hours=6), NOW, refused=True)
    claim(session_factory, retry_failed=True)
    with session_factory.begin() as session:
        mark_abandoned(session, message_id, "refused 3 times")

    gone = row(session_factory, digest().key)
    assert (gone.status, gone.attempts, gone.refusals) == ("abandoned", 3, 3)
    assert gone.lease_until is None
    assert claim(session_factory, at=NOW + timedelta(days=30), retry_failed=True) == []


def test_an_operator_retry_makes_an_abandoned_message_due_with_its_refusals_forgiven(
    session_factory: Factory,
) -> None:
    [message_id] = queue(session_factory, digest())
    claim(session_factory)
    with session_factory.begin() as session:
        mark_abandoned(session, message_id, "refused 3 times")

    with session_factory.begin() as session:
        make_due(session, message_id, NOW + timedelta(days=2))

    due = row(session_factory, digest().key)
    assert (due.status, due.refusals, due.next_attempt_at) == (
        "pending",
        0,
        NOW + timedelta(days=2),
    )
    assert [m.id for m in claim(session_factory, at=NOW + timedelta(days=2))] == [message_id]


def test_a_retried_abandoned_edit_is_an_edit_due_again(session_factory: Factory) -> None:
    [message_id] = queue(session_factory, digest())
    claim(session_factory)
    with session_factory.begin() as session:
        mark_sent(session, message_id, "DU_MONA", "1.000100", NOW)
        request_update(session, "T1", digest().key, "new", BLOCKS, NOW)
    claim(session_factory)
    with session_factory.begin() as session:
        mark_abandoned(session, message_id, "message_not_found 3 times")

    with session_factory.begin() as session:
        make_due(session, message_id, NOW)

    edit = row(session_factory, digest().key)
    assert (edit.status, edit.ts, edit.needs_update) == ("sent", "1.000100", True)
    assert [m.id for m in claim(session_factory)] == [message_id]


def test_stuck_messages_are_the_unsent_and_failed_edits_of_the_periods_asked_for(
    session_factory: Factory,
) -> None:
    ids = queue(
        session_factory,
        digest("U_PENDING"),
        digest("U_FAILED"),
        digest("U_SENT"),
        digest("U_EDIT"),
        digest("U_OTHER_WEEK", period="2026-W47"),
    )
    claim(session_factory)
    with session_factory.begin() as session:
        mark_failed(session, ids[1], "HTTP 503", NOW, NOW)
        mark_sent(session, ids[2], "D2", "1.1", NOW)
        mark_sent(session, ids[3], "D3", "1.2", NOW)
        request_update(session, "T1", digest("U_EDIT").key, "new", BLOCKS, NOW)
        mark_failed(session, ids[3], "HTTP 503", NOW, NOW)
        mark_failed(session, ids[4], "HTTP 503", NOW, NOW)
        session.get(OutboxMessage, ids[0]).status = "pending"

    def recipients(statuses: tuple[str, ...], periods: list[str] | None = None) -> list[str]:
        with session_factory() as session:
            return [m.recipient for m in stuck_messages(session, statuses, periods)]

    assert recipients(("failed",), [WEEK]) == ["U_FAILED", "U_EDIT"]
    assert recipients(("pending",)) == ["U_PENDING"]
    assert recipients(("pending", "failed")) == ["U_PENDING", "U_FAILED", "U_EDIT", "U_OTHER_WEEK"]
    assert recipients(("abandoned",)) == []


def test_a_key_is_found_in_every_team_or_in_one(session_factory: Factory) -> None:
    queue(session_factory, digest(), digest(team_id="T2"))

    with session_factory() as session:
        everywhere = [m.team_id for m in messages_with_key(session, digest().key)]
        in_t2 = [m.team_id for m in messages_with_key(session, digest().key, "T2")]
        nowhere = messages_with_key(session, "digest:U_NOBODY:2026-W48")

    assert (everywhere, in_t2, nowhere) == (["T1", "T2"], ["T2"], [])


def test_two_postgres_claimers_get_disjoint_rows(engine: Engine, session_factory: Factory) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serialises claimers with BEGIN IMMEDIATE")
    queue(session_factory, *(digest(f"U_{n:02d}") for n in range(10)))
    first_claimed = threading.Event()
    release = threading.Event()

    def first() -> tuple[list[str], bool]:
        with session_factory.begin() as session:
            claimed = claim_due(session, NOW, LEASE, 4)
            keys = [m.key for m in claimed]
            first_claimed.set()
            # Hold the row locks while the second claimer runs; it must not wait on them.
            second_waited = not release.wait(5)
            return keys, second_waited

    def second() -> list[str]:
        first_claimed.wait(10)
        with session_factory.begin() as session:
            keys = [m.key for m in claim_due(session, NOW, LEASE, 100)]
        release.set()
        return keys

    with ThreadPoolExecutor(2) as pool:
        ones, twos = pool.submit(first), pool.submit(second)
        (first_keys, second_waited), second_keys = ones.result(20), twos.result(20)

    assert not second_waited
    assert len(first_keys) == 4
    assert len(second_keys) == 6
    assert not set(first_keys) & set(second_keys)
