"""The outbox: every message Tally sends on its own, recorded before any Slack call.

A row is inserted once per (team_id, key), so racing schedulers queue a message once; senders
claim due rows under a lease, so two of them never work on one row at the same time; and the
outcome of each send is recorded in its own short transaction. Nothing here talks to Slack.

Statuses: "pending" (queued), "sending" (claimed under `lease_until`), "sent" (posted: `ts`
is set), "failed" (not posted; retried once `next_attempt_at` passes), "abandoned" (refused
for good too often: never claimed again until an operator retries it), "withdrawn" (taken
back because its entry was undone: never posted, or deleted from Slack). A posted message whose
edit or deletion is pending keeps `ts` and carries `needs_update`.
"""

import json
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from storage.insert_once import insert_once
from storage.models import OutboxMessage
from storage.prebuilt import Prebuilt

Key = tuple[str, str]  # (team_id, outbox key)

PENDING, SENDING, SENT, FAILED, ABANDONED = "pending", "sending", "sent", "failed", "abandoned"
WITHDRAWN = "withdrawn"
UNSENT = (PENDING, SENDING, FAILED, ABANDONED)
INTERRUPTED = "interrupted: a sender stopped before recording the outcome"


@dataclass(frozen=True)
class Draft:
    """A message to queue: who gets it, for which period, and what it says."""

    team_id: str
    kind: str  # "digest" | "leaderboard" | "plan_reminder" | "nudge"
    recipient: str  # a user id (sent as a DM) or a channel id (C…/G…)
    period: str  # e.g. "2026-W48" or "2026-11-23"
    text: str  # plain-text fallback, also what notifications show
    blocks: list[dict[str, Any]]  # Block Kit
    editable_until: datetime | None = None
    # Not to be sent before this moment (an operator queued it before the recipient's day began).
    not_before: datetime | None = None

    @property
    def key(self) -> str:
        """What makes this message unique within its team: one digest per manager per week."""
        return f"{self.kind}:{self.recipient}:{self.period}"


def describe(message: OutboxMessage) -> str:
    """How operators read a row: "digest for U… (2026-W48)", or "edit of …" once posted."""
    what = "edit of " if message.ts is not None else ""
    return f"{what}{message.kind} for {message.recipient} ({message.period})"


def enqueue(session: Session, draft: Draft, now: datetime) -> tuple[OutboxMessage, bool]:
    """Queue `draft` once per (team, key); a second enqueue returns the first row untouched."""
    message = OutboxMessage(
        team_id=draft.team_id,
        key=draft.key,
        kind=draft.kind,
        recipient=draft.recipient,
        period=draft.period,
        text=draft.text,
        blocks=_dump_blocks(draft.blocks),
        status=PENDING,
        attempts=0,
        refusals=0,
        next_attempt_at=max(now, draft.not_before) if draft.not_before else now,
        needs_update=False,
        editable_until=draft.editable_until,
        created_at=now,
    )
    return insert_once(session, message, lambda: find_message(session, draft.team_id, draft.key))


def queued_keys(
    session: Session, teams: Collection[str], kind: str, periods: Collection[str]
) -> set[tuple[str, str]]:
    """(team_id, key) of every message of `kind` already queued for these periods, in one
    query on the (team_id, kind, period) index."""
    if not periods or not teams:
        return set()
    query = select(OutboxMessage.team_id, OutboxMessage.key).where(
        OutboxMessage.team_id.in_(list(teams)),
        OutboxMessage.kind == kind,
        OutboxMessage.period.in_(list(periods)),
    )
    return {(team_id, key) for team_id, key in session.execute(query)}


def find_message(session: Session, team_id: str, key: str) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.team_id == team_id, OutboxMessage.key == key)
    ).first()


def message_blocks(message: OutboxMessage) -> list[dict[str, Any]]:
    """The Block Kit blocks of a row (stored as JSON text)."""
    return json.loads(message.blocks or "[]")


def request_update(
    session: Session,
    team_id: str,
    key: str,
    text: str,
    blocks: list[dict[str, Any]],
    now: datetime,
) -> bool:
    """Change what a message says, for late entries.

    Not posted yet: the new content simply replaces the old (if a send is in flight, an edit
    follows in case it carried the old content). Posted: edited in place, but only while
    `now < editable_until`. Returns whether the new content will reach the recipient.
    """
    message = _lock(session, team_id, key)
    if message is None:
        return False
    if message.ts is None:
        message.text, message.blocks = text, _dump_blocks(blocks)
        if message.status == SENDING:
            message.needs_update = True
        return True
    if message.editable_until is None or now >= message.editable_until:
        return False
    message.text, message.blocks = text, _dump_blocks(blocks)
    message.needs_update = True
    if message.status == SENT:
        message.next_attempt_at = now
    return True


def claim_due(
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int,
    keys: Collection[tuple[str, str]] | None = None,
    *,
    retry_failed: bool = False,
    skip_ids: Collection[int] = (),
) -> list[OutboxMessage]:
    """Take up to `limit` rows to work on until `now + lease`, skipping rows others hold.

    Due: pending or failed rows whose `next_attempt_at` has come, rows left "sending" by a
    sender whose lease ran out (it died: the attempt counts, and the message may already be
    in Slack), and posted rows with an edit waiting; never abandoned rows. `keys` limits the
    claim to those (team_id, key) pairs; `retry_failed` makes failed rows due at once;
    `skip_ids` leaves out rows the caller already handled. On PostgreSQL rows are locked
    with SKIP LOCKED so concurrent claimers get disjoint rows; SQLite's BEGIN IMMEDIATE
    serialises claimers instead.
    """
    due = [
        and_(
            OutboxMessage.status.in_((PENDING, FAILED)),
            OutboxMessage.next_attempt_at <= now,
        ),
        and_(
            OutboxMessage.status == SENDING,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
        ),
        and_(
            OutboxMessage.status == SENT,
            OutboxMessage.needs_update.is_(True),
            OutboxMessage.next_attempt_at <= now,
        ),
    ]
    if retry_failed:
        due.append(OutboxMessage.status == FAILED)
    query = select(OutboxMessage).where(or_(*due))
    if keys is not None:
        if not keys:
            return []
        query = query.where(_among(keys))
    if skip_ids:
        query = query.where(OutboxMessage.id.not_in(list(skip_ids)))
    query = (
        query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = list(session.scalars(query))
    for message in claimed:
        if message.status == SENDING:
            message.attempts += 1
            message.last_error = INTERRUPTED
        message.status = SENDING
        message.lease_until = now + lease
    session.flush()
    return claimed


def renew_leases(
    session: Session, held: Mapping[int, datetime], now: datetime, lease: timedelta
) -> dict[int, datetime]:
    """Extend every lease in `held` (row id → the expiry we hold) that is still ours; returns
    the renewed rows and their new expiry, leaving out those lost.

    Ours means unexpired and unchanged: a sender stuck past its lease (long Retry-After waits,
    timeouts) must not post, as another sender may have claimed the row and be recovering it.
    One UPDATE per distinct expiry, and a batch renewed together shares one.
    """
    renewed = now + lease
    by_expiry: dict[datetime, list[int]] = defaultdict(list)
    for message_id, held_until in held.items():
        if now < held_until:
            by_expiry[held_until].append(message_id)
    kept: dict[int, datetime] = {}
    for held_until, ids in by_expiry.items():
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.status == SENDING,
                OutboxMessage.lease_until == held_until,
            )
            .values(lease_until=renewed)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        kept.update((message_id, renewed) for message_id in result.scalars())
    return kept


def count_change(session: Session, team_id: str, key: str, now: datetime) -> None:
    """Within the transaction that changed what `key` shows: one more change for the clock to
    draft it again for, while the new content can still reach its recipient. Best run last in
    that transaction: the row stays locked until it commits."""
    params = {"changed_team": team_id, "changed_key": key, "changed_at": now}
    _COUNT_CHANGE.rows(session, params)


_c = OutboxMessage.__table__.c


def changes_reach(team: BindParameter, key: BindParameter, at: BindParameter) -> ColumnElement:
    """The message `key` of `team` if a change made `at` still reaches it: not posted yet, or
    posted and still editable."""
    return and_(_c.team_id == team, _c.key == key, or_(_c.ts.is_(None), _c.editable_until > at))


# Built once on Core columns and run on the driver's cursor (every /log that reaches a digest
# sends it); bind names are no column's: SET reserves those.
_COUNT_CHANGE = Prebuilt(
    update(OutboxMessage.__table__)
    .where(
        changes_reach(bindparam("changed_team"), bindparam("changed_key"), bindparam("changed_at"))
    )
    .values(stale=_c.stale + 1)
)


@dataclass(frozen=True)
class Stale:
    """A message to draft again, and how many changes had been counted on it when it was read:
    a draft read after that shows at least those."""

    id: int
    team_id: str
    recipient: str
    period: str
    changes: int


def settle_expired(session: Session, kind: str, now: datetime) -> None:
    """Messages of `kind` past their edit window are settled as they are: nothing can show a
    change now."""
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.stale > OutboxMessage.drafted,
            OutboxMessage.ts.is_not(None),
            OutboxMessage.editable_until <= now,
        )
        .values(drafted=OutboxMessage.stale)
        .execution_options(synchronize_session=False)
    )


def stale_messages(session: Session, kind: str, limit: int) -> list[Stale]:
    """Up to `limit` messages of `kind` with changes their content doesn't show, oldest first."""
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.team_id,
            OutboxMessage.recipient,
            OutboxMessage.period,
            OutboxMessage.stale,
        )
        .where(OutboxMessage.kind == kind, OutboxMessage.stale > OutboxMessage.drafted)
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [Stale(*row) for row in rows]


def caught_up(session: Session, stale: Stale) -> bool:
    """Whether a draft that saw `stale.changes` changes is the newest: then the message is
    marked as showing them (before its content is replaced, in the same transaction). A draft
    that saw no more than the content shows — another clock's landed first — must not land."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == stale.id, OutboxMessage.drafted < stale.changes)
        .values(drafted=stale.changes)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


def remember_channel(session: Session, message_id: int, channel_id: str) -> None:
    """Keep the DM channel conversations.open gave us, so a retry needn't reopen it."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(channel_id=channel_id)
        .execution_options(synchronize_session=False)
    )


def known_channel(session: Session, team_id: str, recipient: str) -> str | None:
    """The DM channel an earlier message to `recipient` used; a bot's DM with a person is stable."""
    return session.scalars(
        select(OutboxMessage.channel_id)
        .where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.recipient == recipient,
            OutboxMessage.channel_id.is_not(None),
        )
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()


def mark_sent(
    session: Session,
    message_id: int,
    channel_id: str,
    ts: str,
    now: datetime,
    *,
    sent_text: str | None = None,
    sent_blocks: list[dict[str, Any]] | None = None,
) -> bool:
    """Record that Slack holds the message as (channel_id, ts); False when it was taken back
    while in flight (it stays due, for deletion).

    Pass what was posted (`sent_text`, `sent_blocks`) so an edit requested while the post was
    in flight is kept pending; without them a pending edit is left as it is.
    """
    message = _lock_id(session, message_id)
    retracted = message.retracted_at is not None  # while it was in flight: delete it next
    message.channel_id, message.ts = channel_id, ts
    message.sent_at = message.sent_at or now
    if not retracted:  # else the sender keeps the row and its lease, to delete it
        message.status, message.lease_until = SENT, None
    message.last_error = None
    message.refusals = 0
    if sent_text is not None and same_content(message, sent_text, sent_blocks) and not retracted:
        message.needs_update = False
    return not retracted


def mark_updated(
    session: Session,
    message_id: int,
    now: datetime,
    *,
    sent_text: str | None = None,
    sent_blocks: list[dict[str, Any]] | None = None,
) -> None:
    """Record a chat.update; an edit that arrived meanwhile (content differs) stays pending."""
    message = _lock_id(session, message_id)
    message.status = SENT
    message.lease_until = None
    message.last_error = None
    message.refusals = 0
    message.needs_update = sent_text is not None and not same_content(
        message, sent_text, sent_blocks
    )
    message.next_attempt_at = now


def retract(session: Session, team_id: str, kind: str, period: str, now: datetime) -> list[Key]:
    """Take back the `kind` messages of `period` (an entry was undone): one not posted yet is
    withdrawn at once; a posted one, while still editable, is due for deletion (the deliverer
    deletes it and marks it withdrawn). Returns the rows the deliverer has to act on."""
    query = select(OutboxMessage).where(
        OutboxMessage.team_id == team_id,
        OutboxMessage.kind == kind,
        OutboxMessage.period == period,
        OutboxMessage.status != WITHDRAWN,
        OutboxMessage.retracted_at.is_(None),
    )
    due: list[Key] = []
    for message in session.scalars(query.with_for_update()):
        if message.status in (PENDING, FAILED, ABANDONED) and message.ts is None:
            message.status, message.last_error = WITHDRAWN, "withdrawn before it was posted"
            continue
        if message.ts is not None and (
            message.editable_until is None or now >= message.editable_until
        ):
            continue  # posted too long ago: it stays where people have seen it
        message.retracted_at, message.needs_update, message.next_attempt_at = now, True, now
        due.append((team_id, message.key))
    return due


def mark_withdrawn(session: Session, message_id: int) -> None:
    """The deliverer deleted the message from Slack (or found it never got there)."""
    message = _lock_id(session, message_id)
    message.status, message.needs_update, message.lease_until = WITHDRAWN, False, None
    message.last_error = None


def mark_failed(
    session: Session,
    message_id: int,
    error: str,
    retry_at: datetime,
    now: datetime,
    *,
    refused: bool = False,
) -> None:
    """Record a failed attempt; a later run retries it once `retry_at` passes.

    `refused`: the recipient's side refused it for good (counted towards abandoning it). A
    message already in Slack (its edit failed) stays "sent" with its edit pending.
    """
    message = _lock_id(session, message_id)
    message.attempts += 1
    message.refusals += int(refused)
    message.last_error = error
    message.next_attempt_at = retry_at
    message.lease_until = None
    message.status = SENT if message.ts is not None else FAILED


def mark_abandoned(session: Session, message_id: int, error: str) -> None:
    """Give up on a message refused for good once too often: no run claims it again until an
    operator retries it (`make_due`). A posted message keeps its `ts`; its edit is what is
    abandoned."""
    message = _lock_id(session, message_id)
    message.attempts += 1
    message.refusals += 1
    message.last_error = error
    message.lease_until = None
    message.status = ABANDONED


def abandon_team(session: Session, team_id: str, error: str) -> int:
    """Give up on everything a workspace still had coming (queued, failed, edits waiting), as
    when Tally is uninstalled from it; how many messages. An operator can retry them once it
    is installed again. Rows a sender holds finish or fail on their own."""
    waiting = or_(
        OutboxMessage.status.in_((PENDING, FAILED)),
        and_(OutboxMessage.status == SENT, OutboxMessage.needs_update.is_(True)),
    )
    abandoned = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.team_id == team_id, waiting)
        .values(status=ABANDONED, last_error=error, lease_until=None)
    )
    return abandoned.rowcount


def make_due(session: Session, message_id: int, now: datetime) -> OutboxMessage:
    """An operator's retry: the message (or its pending edit) is due now, refusals forgiven.

    A row another sender holds is left to it; its lease running out makes it due anyway.
    """
    message = _lock_id(session, message_id)
    message.refusals = 0
    message.next_attempt_at = now
    if message.status in (PENDING, FAILED, ABANDONED):
        message.status = SENT if message.ts is not None else PENDING
    return message


def messages_with_key(
    session: Session, key: str, team_id: str | None = None
) -> list[OutboxMessage]:
    """The rows queued under `key`, in every team or in `team_id`'s."""
    query = select(OutboxMessage).where(OutboxMessage.key == key)
    if team_id is not None:
        query = query.where(OutboxMessage.team_id == team_id)
    return list(session.scalars(query.order_by(OutboxMessage.team_id)))


def stuck_messages(
    session: Session, statuses: Collection[str], periods: Collection[str] | None = None
) -> list[OutboxMessage]:
    """Rows in `statuses` (for "failed", also sent messages whose edit failed), optionally only
    for `periods`, oldest first: what an operator looks at when something didn't arrive."""
    wanted = [OutboxMessage.status.in_(list(statuses))]
    if FAILED in statuses:
        wanted.append(
            and_(
                OutboxMessage.status == SENT,
                OutboxMessage.needs_update.is_(True),
                OutboxMessage.last_error.is_not(None),
            )
        )
    query = select(OutboxMessage).where(or_(*wanted))
    if periods is not None:
        query = query.where(OutboxMessage.period.in_(list(periods)))
    return list(session.scalars(query.order_by(OutboxMessage.created_at, OutboxMessage.id)))


def _among(keys: Collection[tuple[str, str]]) -> ColumnElement[bool]:
    by_team: dict[str, list[str]] = defaultdict(list)
    for team_id, key in keys:
        by_team[team_id].append(key)
    return or_(
        *(
            and_(OutboxMessage.team_id == team_id, OutboxMessage.key.in_(team_keys))
            for team_id, team_keys in by_team.items()
        )
    )


def _lock(session: Session, team_id: str, key: str) -> OutboxMessage | None:
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.team_id == team_id, OutboxMessage.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def _lock_id(session: Session, message_id: int) -> OutboxMessage:
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def same_content(message: OutboxMessage, text: str, blocks: list[dict[str, Any]] | None) -> bool:
    return message.text == text and message_blocks(message) == (blocks or [])


def _dump_blocks(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, separators=(",", ":"), ensure_ascii=False)
