"""Scheduled messages end to end: work out what is due, record it in the outbox, deliver it.

The clock and the operator commands share this path, so a re-run is always safe: a message
already recorded is not drafted twice and one already delivered is not sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import Deliverer
from bot.settings import Settings
from handlers.digest import due_digests
from handlers.leaderboard import due_leaderboards
from handlers.nudges import nudges_due
from handlers.reminders import reminder_drafts
from storage.outbox import Draft, enqueue

log = logging.getLogger(__name__)

DraftsFor = Callable[[Session, datetime], Sequence[Draft]]


@dataclass
class JobSummary:
    sent: int = 0
    already: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def line(self, what: str) -> str:
        return f"{what}: {self.sent} sent, {self.already} already sent, {self.failed} failed"


def record_drafts(session: Session, drafts: Sequence[Draft], now: datetime) -> tuple[list, int]:
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
    sessions: sessionmaker[Session], deliverer: Deliverer, drafts_for: DraftsFor, now: datetime
) -> JobSummary:
    """One operator command: draft, record, and deliver just those messages."""
    with sessions.begin() as session:
        pending, already = record_drafts(session, drafts_for(session, now), now)
    report = deliverer.deliver_due(keys=pending, retry_failed=True) if pending else None
    if report is None:
        return JobSummary(already=already)
    return JobSummary(
        sent=report.sent, already=already, failed=report.failed, errors=list(report.errors)
    )


def due_drafts(settings: Settings) -> DraftsFor:
    """Everything the schedule says is due now, each in its recipient's own zone."""
    rules, schedules = settings.rules, settings.schedules

    def drafts(session: Session, now: datetime) -> list[Draft]:
        found = due_digests(session, rules, schedules.digest, now)
        if settings.leaderboard_channel:
            found += due_leaderboards(
                session,
                rules,
                schedules.leaderboard,
                settings.leaderboard_channel,
                schedules.leaderboard_tz,
                now,
            )
        found += reminder_drafts(session, schedules.reminders, now)
        found += nudges_due(session, rules, schedules.nudges, now)
        return found

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
