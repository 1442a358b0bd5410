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
from storage.outbox import SENDING, Draft, enqueue, find_message

log = logging.getLogger(__name__)

SETTLE_SECONDS = 60.0
SETTLE_POLL = 0.2

DraftsFor = Callable[[Session, datetime], Iterable[Draft]]


@dataclass
class JobSummary:
    sent: int = 0
    already: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self, what: str) -> str:
        return f"{what}: {self.sent} sent, {self.already} already sent, {self.failed} failed"


def record_drafts(session: Session, drafts: Iterable[Draft], now: datetime) -> tuple[list, int]:
    """Enqueue each draft once; return the (team_id, key) pairs still to deliver and how many
    had already gone out."""
    pending, already = [], 0
    for draft in drafts:
        row, _created = enqueue(session, draft, now)
        if row.ts is not None:  # in Slack already, even if an edit is going out now
            already += 1
        else:
            pending.append((draft.team_id, draft.key))
    return pending, already


def run_job(
    sessions: sessionmaker[Session],
    deliverer: Deliverer,
    drafts_for: DraftsFor,
    now: datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> JobSummary:
    """One operator command: draft, record, and deliver just those messages."""
    with sessions.begin() as session:
        pending, already = record_drafts(session, drafts_for(session, now), now)
    if not pending:
        return JobSummary(already=already)
    report = deliverer.deliver_due(keys=pending, retry_failed=True)
    in_slack, failed = _settle(sessions, pending, sleep)
    return JobSummary(
        sent=report.sent,
        already=already + max(0, in_slack - report.sent),
        failed=failed,
        errors=list(report.errors),
    )


def _settle(
    sessions: sessionmaker[Session],
    keys: Sequence[tuple[str, str]],
    sleep: Callable[[float], None],
    patience: float = SETTLE_SECONDS,
) -> tuple[int, int]:
    """(how many are in Slack, how many are not) once no other sender still holds one.

    Another clock or operator may have claimed some of our messages; wait for its outcome so
    the summary — and the exit status — tell the truth about every message asked for.
    """
    waited = 0.0
    while True:
        with sessions() as session:
            rows = [find_message(session, team_id, key) for team_id, key in keys]
        in_slack = sum(1 for row in rows if row is not None and row.ts is not None)
        now = datetime.now(UTC)
        in_flight = sum(
            1
            for row in rows
            if row is not None
            and row.ts is None
            and row.status == SENDING
            and row.lease_until is not None
            and row.lease_until > now
        )
        if in_flight == 0 or waited >= patience:
            return in_slack, len(keys) - in_slack
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
