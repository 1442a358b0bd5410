"""`tally clock`: APScheduler only beats; what is due, and what was sent, lives in our tables.

APScheduler's own job stores can't be shared between schedulers, so two clocks coordinate
through the outbox (unique keys, leased rows claimed with SKIP LOCKED), not through APScheduler.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import Deliverer
from bot.jobs import tick
from bot.settings import Settings

log = logging.getLogger(__name__)


def run_clock(
    settings: Settings,
    sessions: sessionmaker[Session],
    deliverer: Deliverer,
    clock: Callable[[], datetime],
) -> None:
    scheduler = BlockingScheduler(timezone=UTC)

    def beat() -> None:
        try:
            tick(settings, sessions, deliverer, clock())
        except Exception:
            log.exception("clock tick failed; the next tick retries from the database state")

    scheduler.add_job(
        beat,
        "interval",
        seconds=settings.tick_seconds,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        id="tick",
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("clock started: a tick every %ss", settings.tick_seconds)
    scheduler.start()
