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

from bot.delivery import Deliverer
from bot.settings import Settings
from handlers.digest import due_digests
from handlers.leaderboard import due_leaderboards
from handlers.nudges import nudges_due
from handlers.reminders import reminder_drafts
from storage.models import OutboxMessage
from storage.outbox import (
    PENDING,
    SENDING,
    Draft,
    enqueue,
    find_message,
    request_update,
    same_content,
)

log = logging.getLogger(__name__)

SETTLE_SECONDS = 60.0
SETTLE_POLL = 0.2

DraftsFor = Callable[[Session, datetime], Iterable[Draft]]


@dataclass
class JobSummary:
    """What an operator command did with each message it asked for.

    `failed` counts only messages whose latest Slack call failed; a message queued for later
    is "not due", and one another sender still holds is "waiting", never "failed".
    """

    sent: int = 0
    updated: int = 0
    already: int = 0
    not_due: int = 0
    not_due_from: datetime | None = None
    waiting: int = 0
    waiting_until: datetime | None = None
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Whether everything that is due reached Slack, for the exit status."""
        return self.failed == 0 and self.waiting == 0

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
        return f"{what}: {', '.join(parts)}"


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


@dataclass
class Recorded:
    """The drafts of one run, recorded in the outbox, by what is left to do with them."""

    to_deliver: list[tuple[str, str]] = field(default_factory=list)  # (team_id, key)
    already: int = 0
    later: list[datetime] = field(default_factory=list)  # when each not-yet-due one goes out


def record_drafts(session: Session, drafts: Iterable[Draft], now: datetime) -> Recorded:
    """Enqueue each draft once. A message queued before takes the new draft's content (not
    sent yet: replaced; sent: edited while still editable), so a re-run also delivers edits
    that late entries left pending."""
    recorded = Recorded()
    for draft in drafts:
        row, created = enqueue(session, draft, now)
        if not created and not same_content(row, draft.text, draft.blocks):
            request_update(session, draft.team_id, draft.key, draft.text, draft.blocks, now)
        if row.ts is not None and not row.needs_update:
            recorded.already += 1
        elif row.ts is None and row.next_attempt_at > now and row.status == PENDING:
            recorded.later.append(row.next_attempt_at)
        else:
            recorded.to_deliver.append((draft.team_id, draft.key))
    return recorded


def run_job(
    sessions: sessionmaker[Session],
    deliverer: Deliverer,
    drafts_for: DraftsFor,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> JobSummary:
    """One operator command: draft, record, and deliver just those messages."""
    with sessions.begin() as session:
        recorded = record_drafts(session, drafts_for(session, now), now)
    summary = JobSummary(
        already=recorded.already,
        not_due=len(recorded.later),
        not_due_from=min(recorded.later, default=None),
    )
    if not recorded.to_deliver:
        return summary
    report = deliverer.deliver_due(keys=recorded.to_deliver, retry_failed=True)
    summary.sent, summary.updated = report.sent, report.updated
    summary.errors = list(report.errors)
    rows = _settle(sessions, recorded.to_deliver, sleep)
    now_after = datetime.now(UTC)
    held = [row.lease_until for row in rows if _held(row, now_after) and row.lease_until]
    summary.waiting, summary.waiting_until = len(held), max(held, default=None)
    delivered = [row for row in rows if row.ts is not None and not row.needs_update]
    summary.already += max(0, len(delivered) - report.sent - report.updated)
    summary.failed = report.failed
    for row in rows:
        ours = (row.team_id, row.key) in report.failed_keys
        if ours or row in delivered or _held(row, now_after):
            continue
        # Another sender failed it while we waited, or we stood back from it: say why.
        summary.failed += 1
        cause = row.last_error or "left unsent by a sender that stopped; the next run retries it"
        summary.errors.append(f"{row.kind} for {row.recipient} ({row.period}): {cause}")
    return summary


def _held(row: OutboxMessage, now: datetime) -> bool:
    """Whether another sender is working on `row` right now."""
    return row.status == SENDING and row.lease_until is not None and row.lease_until > now


def _settle(
    sessions: sessionmaker[Session],
    keys: Sequence[tuple[str, str]],
    sleep: Callable[[float], None],
    patience: float = SETTLE_SECONDS,
) -> list[OutboxMessage]:
    """The rows of `keys` once no other sender still holds one (or patience runs out).

    Another clock or operator may have claimed some of our messages; wait for its outcome so
    the summary — and the exit status — tell the truth about every message asked for.
    """
    waited = 0.0
    while True:
        with sessions() as session:
            rows = [find_message(session, team_id, key) for team_id, key in keys]
        found = [row for row in rows if row is not None]
        if not any(_held(row, datetime.now(UTC)) for row in found) or waited >= patience:
            return found
        sleep(SETTLE_POLL)
        waited += SETTLE_POLL


def due_drafts(settings: Settings) -> DraftsFor:
    """Everything the schedule says is due now, each in its recipient's own zone."""
    rules, schedules = settings.rules, settings.schedules

    def drafts(session: Session, now: datetime) -> Iterator[Draft]:
        yield from due_digests(session, rules, schedules.digest, now)
        if settings.leaderboard_channel:
            yield from due_leaderboards(
                session,
                rules,
                schedules.leaderboard,
                settings.leaderboard_channel,
                schedules.leaderboard_tz,
                now,
            )
        yield from reminder_drafts(session, schedules.reminders, now)
        yield from nudges_due(session, rules, schedules.nudges, now)

    return drafts


def tick(
    settings: Settings, sessions: sessionmaker[Session], deliverer: Deliverer, now: datetime
) -> None:
    """One beat of `tally clock`: state lives in the database, so a late clock catches up."""
    with sessions.begin() as session:
        record_drafts(session, due_drafts(settings)(session, now), now)
    report = deliverer.deliver_due()
    if report.sent or report.updated or report.failed:
        log.info(
            "clock: %d sent, %d updated, %d failed", report.sent, report.updated, report.failed
        )
    for error in report.errors:
        log.warning("clock: %s", error)
