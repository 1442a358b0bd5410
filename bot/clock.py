"""`tally clock`: APScheduler only beats; what is due, and what was sent, lives in our tables.

APScheduler's own job stores can't be shared between schedulers, so two clocks coordinate
through the outbox (unique keys, leased rows claimed with SKIP LOCKED), not through APScheduler.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import Deliverer
from bot.jobs import tick
from bot.settings import Settings
from storage.db import BACKGROUND_WAITS, DatabaseUnavailable, database_trouble, open_database

log = logging.getLogger(__name__)

FIRST_RETRY_S = 1
LONGEST_RETRY_S = 60


def wait_for_database(url: str) -> Engine:
    """The clock starts with its database down (a restart, a deploy) and waits for it: backing
    off from 1 s to a minute between attempts, one warning line each, instead of exiting."""
    delay = FIRST_RETRY_S
    while True:
        try:
            return open_database(url, waits=BACKGROUND_WAITS)
        except DatabaseUnavailable as error:
            log.warning("%s; trying again in %d s", error, delay)
        time.sleep(delay)
        delay = min(delay * 2, LONGEST_RETRY_S)


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
        except Exception as error:
            trouble = database_trouble(error)
            if trouble is None:
                log.exception("clock tick failed; the next tick retries from the database state")
            else:  # no bug to trace: the database is away, and the next tick tries again
                log.warning("clock tick failed: database busy or unreachable: %s", trouble)

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
