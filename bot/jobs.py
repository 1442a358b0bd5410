"""Scheduled messages end to end: work out what is due, record it in the outbox, deliver it.

The clock and the operator commands share this path, so a re-run is always safe: a message
already recorded is not drafted twice and one already delivered is not sent again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import Deliverer, Key, Outcome
from bot.settings import Settings
from handlers.digest import due_digests, redraft_changed
from handlers.digest_chart import KIND as CHART_KIND
from handlers.leaderboard import due_leaderboards
from handlers.nudges import nudges_due
from handlers.reminders import reminder_drafts
from storage.db import read_only
from storage.models import OutboxMessage
from storage.outbox import (
    ABANDONED,
    PENDING,
    SENDING,
    WITHDRAWN,
    Draft,
    describe,
    enqueue,
    find_message,
    request_update,
    same_content,
)

log = logging.getLogger(__name__)

# How long a command waits for other senders to finish messages it asked for…
SETTLE_PATIENCE = 60.0
# …but never this long with none of them finishing one: a dead sender's lease only runs out.
SETTLE_QUIET = 2.0
SETTLE_POLL = 0.2

DraftsFor = Callable[[Session, datetime], Iterable[Draft]]


@dataclass
class JobSummary:
    """What an operator command did with each message it asked for; the counts add up to them.

    `failed` counts only messages whose latest Slack call failed; a message queued for later
    is "not due", one another sender (live or dead) still holds is "waiting", and one Slack
    refused for good too often is "abandoned": none of those is "failed".
    """

    sent: int = 0
    updated: int = 0
    already: int = 0
    not_due: int = 0
    not_due_from: datetime | None = None
    waiting: int = 0
    waiting_until: datetime | None = None
    failed: int = 0
    abandoned: int = 0
    # One line per message that did not reach Slack, "failed: …" or "abandoned: …", with why.
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether everything that is due reached Slack, for the exit status."""
        return self.failed == 0 and self.waiting == 0 and self.abandoned == 0

    def line(self, what: str) -> str:
        parts = [f"{self.sent} sent"]
        if self.updated:
            parts.append(f"{self.updated} updated")
        parts.append(f"{self.already} already sent")
        if self.not_due and self.not_due_from is not None:
            parts.append(f"{self.not_due} not due (goes out from {_utc(self.not_due_from)})")
        if self.waiting and self.waiting_until is not None:
            parts.append(
                f"{self.waiting} waiting for another sender's lease "
                f"(expires {_utc(self.waiting_until)})"
            )
        parts.append(f"{self.failed} failed")
        if self.abandoned:
            parts.append(f"{self.abandoned} abandoned")
        return f"{what}: {', '.join(parts)}"


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass
class Recorded:
    """The drafts of one run, recorded in the outbox, by what is left to do with them."""

    to_deliver: list[tuple[str, str]] = field(default_factory=list)  # (team_id, key)
    already: int = 0
    later: list[datetime] = field(default_factory=list)  # when each not-yet-due one goes out


# Drafts recorded per write transaction. On SQLite a write transaction holds the file's one write
# lock, so drafting (seconds for a Friday at thousands of reps) happens outside any.
RECORD_BATCH = 100


def record_drafts(
    sessions: sessionmaker[Session], drafts_for: DraftsFor, now: datetime
) -> Recorded:
    """Enqueue each draft once. A message queued before takes the new draft's content (not
    sent yet: replaced; sent: edited while still editable), so a re-run also delivers edits
    that late entries left pending.

    Drafts are read in a read-only session and recorded a batch per short write transaction,
    so no rep's `/log` waits behind the drafting; a digest's chart stays in its digest's batch,
    so a run stopped between batches never leaves a queued digest whose chart is not."""
    recorded = Recorded()
    with read_only(sessions)() as reading:
        batch: list[Draft] = []
        for draft in drafts_for(reading, now):
            if len(batch) >= RECORD_BATCH and draft.kind != CHART_KIND:
                _record(sessions, batch, now, recorded)
                batch = []
            batch.append(draft)
        _record(sessions, batch, now, recorded)
    return recorded


def _record(
    sessions: sessionmaker[Session], drafts: list[Draft], now: datetime, recorded: Recorded
) -> None:
    with sessions.begin() as session:
        for draft in drafts:
            row, created = enqueue(session, draft, now)
            if draft.kind == CHART_KIND:  # goes with its digest: once, never edited, not counted
                if row.ts is None and row.status != WITHDRAWN:
                    recorded.to_deliver.append((draft.team_id, draft.key))
                continue
            if not created and not same_content(row, draft.text, draft.blocks):
                request_update(session, draft.team_id, draft.key, draft.text, draft.blocks, now)
            if row.ts is not None and not row.needs_update:
                recorded.already += 1
            elif row.ts is None and row.next_attempt_at > now and row.status == PENDING:
                recorded.later.append(row.next_attempt_at)
            else:
                recorded.to_deliver.append((draft.team_id, draft.key))


def run_job(
    sessions: sessionmaker[Session],
    deliverer: Deliverer,
    drafts_for: DraftsFor,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> JobSummary:
    """One operator command: draft, record, and deliver just those messages."""
    recorded = record_drafts(sessions, drafts_for, now)
    summary = JobSummary(
        already=recorded.already,
        not_due=len(recorded.later),
        not_due_from=min(recorded.later, default=None),
    )
    if recorded.to_deliver:
        deliver_now(sessions, deliverer, recorded.to_deliver, summary, sleep)
    return summary


def deliver_now(
    sessions: sessionmaker[Session],
    deliverer: Deliverer,
    keys: Sequence[Key],
    summary: JobSummary,
    sleep: Callable[[float], None] = time.sleep,
) -> JobSummary:
    """Deliver `keys` now (failed ones too), then count each in `summary` by what became of it,
    this run's outcome first, else (another sender had it) the row's state once settled."""
    report = deliverer.deliver_due(keys=keys, retry_failed=True)
    rows = _settle(sessions, keys, deliverer.clock, sleep)
    now = deliverer.clock()
    for row in rows:
        key = (row.team_id, row.key)
        outcome, cause = report.outcomes.get(key), report.causes.get(key)
        if row.kind == CHART_KIND and outcome not in (Outcome.FAILED, Outcome.ABANDONED):
            continue  # a digest's chart is counted with it; only its trouble is reported
        if outcome == Outcome.SENT:
            summary.sent += 1
        elif outcome == Outcome.UPDATED:
            summary.updated += 1
        elif outcome == Outcome.FOUND:
            summary.already += 1
        elif outcome == Outcome.FAILED:
            summary.failed += 1
            summary.problems.append(f"failed: {cause}")
        elif outcome == Outcome.ABANDONED:
            _abandoned(summary, row, cause or "")
        elif row.ts is not None and not row.needs_update:
            summary.already += 1
        elif _held(row, now):
            summary.waiting += 1
            if row.lease_until and (
                not summary.waiting_until or row.lease_until > summary.waiting_until
            ):
                summary.waiting_until = row.lease_until
        elif row.status == ABANDONED:
            _abandoned(summary, row, f"{describe(row)}: {row.last_error}")
        else:
            summary.failed += 1
            summary.problems.append(f"failed: {describe(row)}: {_why_unsent(row)}")
    return summary


def _abandoned(summary: JobSummary, row: OutboxMessage, cause: str) -> None:
    summary.abandoned += 1
    summary.problems.append(f"abandoned: {cause} (`tally outbox retry {row.key}` sends it again)")


def _why_unsent(row: OutboxMessage) -> str:
    """The cause of a message another sender left undelivered, from what it recorded."""
    if row.status == SENDING and row.lease_until is not None:
        return (
            f"its sender stopped before recording the outcome (lease ran out "
            f"{_utc(row.lease_until)}); the next run recovers it"
        )
    if row.last_error:
        return f"{row.last_error}; will retry after {_utc(row.next_attempt_at)}"
    return f"not sent yet ({row.status}); the next run sends it"


def _held(row: OutboxMessage, now: datetime) -> bool:
    """Whether another sender is working on `row` right now."""
    return row.status == SENDING and row.lease_until is not None and row.lease_until > now


def _settle(
    sessions: sessionmaker[Session],
    keys: Sequence[Key],
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
) -> list[OutboxMessage]:
    """The rows of `keys` once no other sender holds one, or none has finished one for a while.

    Another clock or operator may have claimed some of our messages; wait for its outcome so
    the summary — and the exit status — tell the truth about every message asked for. A
    sender that died finishes nothing: its rows are reported as waiting for its lease.
    """
    waited = quiet = 0.0
    last_held: set[int] | None = None
    reads = read_only(sessions)
    while True:
        with reads() as session:
            rows = [find_message(session, team_id, key) for team_id, key in keys]
        found = [row for row in rows if row is not None]
        now = clock()
        held = {row.id for row in found if _held(row, now)}
        if held != last_held:
            last_held, quiet = held, 0.0
        if not held or waited >= SETTLE_PATIENCE or quiet >= SETTLE_QUIET:
            return found
        sleep(SETTLE_POLL)
        waited += SETTLE_POLL
        quiet += SETTLE_POLL


def due_drafts(settings: Settings) -> DraftsFor:
    """Everything the schedule says is due now, each in its recipient's own zone."""
    rules, schedules = settings.rules, settings.schedules

    def drafts(session: Session, now: datetime) -> Iterator[Draft]:
        yield from due_digests(session, rules, schedules.digest, now, settings.digest_chart)
        yield from due_leaderboards(
            session,
            rules,
            schedules.leaderboard,
            settings.leaderboard_channel,
            schedules.leaderboard_tz,
            now,
            settings.team_channels,
        )
        yield from reminder_drafts(session, schedules.reminders, now)
        yield from nudges_due(session, rules, schedules.nudges, now)

    return drafts


def tick(
    settings: Settings, sessions: sessionmaker[Session], deliverer: Deliverer, now: datetime
) -> None:
    """One beat of `tally clock`: state lives in the database, so a late clock catches up."""
    record_drafts(sessions, due_drafts(settings), now)
    redraft_changed(sessions, settings.rules, now)
    report = deliverer.deliver_due()
    if report.outcomes:
        log.info(
            "clock: %d sent, %d updated, %d found already posted, %d failed, %d abandoned",
            report.sent,
            report.updated,
            report.found,
            report.failed,
            report.abandoned,
        )
    for error in report.errors:
        log.warning("clock: %s", error)
    for line in report.abandoned_lines:
        log.warning("clock: abandoned: %s", line)
