"""What every listener needs from the composition root, handed over through Bolt's context."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from handlers.chart_links import HomeCharts
from scoring.rules import ScoringRules
from scoring.schedule import Slot
from scoring.team_settings import Defaults
from storage.team_settings import rules_for


def run_now(work: Callable[[], None]) -> None:
    work()


def leave_to_clock(keys: Collection[tuple[str, str]]) -> None:
    """Queued messages wait for the clock's next tick."""


def no_installations(_gone: Gone) -> None:
    """Single-workspace mode: SLACK_BOT_TOKEN is not stored anywhere to delete."""


@dataclass(frozen=True)
class Gone:
    """A workspace (or, org-wide, an Enterprise Grid org) that took Tally's bot token away."""

    team_id: str | None
    enterprise_id: str | None
    org_wide: bool


@dataclass(frozen=True)
class Deps:
    """Session *factories*, never live sessions: deferred work runs on other threads."""

    sessions: sessionmaker[Session]
    reads: sessionmaker[Session]  # read-only: never waits for SQLite's write lock
    rules: ScoringRules  # TALLY_CONFIG's: every team's defaults (see `rules_in`)
    admins: frozenset[str]
    clock: Callable[[], datetime]
    # Runs work after the HTTP reply has gone back to Slack (a thread pool in production).
    defer: Callable[[Callable[[], None]], None] = run_now
    # Sends these outbox messages, (team_id, key), once queued: a reply's follow-ups.
    send_now: Callable[[Collection[tuple[str, str]]], None] = leave_to_clock
    # TALLY_CONFIG's schedule and channels, which a team's admins may change from Slack.
    slots: Mapping[str, Slot] = field(default_factory=dict)
    leaderboard_channel: str | None = None
    celebrate_channel: str | None = None
    home_charts: HomeCharts | None = None  # None: no public URL, so the Home has no image
    # Deletes the installation of a workspace that uninstalled Tally (OAuth mode).
    forget_installation: Callable[[Gone], None] = no_installations

    @property
    def defaults(self) -> Defaults:
        return Defaults(self.rules, self.slots, self.leaderboard_channel, self.celebrate_channel)

    def rules_in(self, session: Session, team_id: str) -> ScoringRules:
        """The team's rules: what its admins changed from Slack over TALLY_CONFIG's."""
        return rules_for(session, self.rules, team_id)
