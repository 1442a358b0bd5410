"""Reading a team's settings on every request and saving an admin's change with its audit lines,
in one transaction, so the log never disagrees with what is in force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.rules import ScoringRules
from scoring.schedule import Slot
from scoring.team_settings import TeamSettings
from storage.insert_once import insert_once
from storage.models import SettingsChange, TeamSettingsRow


def _row(session: Session, team_id: str, *, for_update: bool = False) -> TeamSettingsRow | None:
    query = select(TeamSettingsRow).where(TeamSettingsRow.team_id == team_id)
    return session.scalars(query.with_for_update() if for_update else query).one_or_none()


def settings_of(session: Session, team_id: str) -> TeamSettings:
    row = _row(session, team_id)
    return TeamSettings.from_json(row.settings) if row else TeamSettings()


def rules_for(session: Session, defaults: ScoringRules, team_id: str) -> ScoringRules:
    """TALLY_CONFIG's rules with the team's changes over them; the database wins."""
    row = _row(session, team_id)
    return TeamSettings.from_json(row.settings).rules(defaults) if row else defaults


def save_settings(
    session: Session,
    team_id: str,
    user_id: str,
    settings: TeamSettings,
    describe: Callable[[TeamSettings, TeamSettings], list[tuple[str, str, str]]],
    now: datetime,
) -> list[tuple[str, str, str]]:
    """Two admins saving at once: the later save wins whole, and each logs what it changed
    from what was in force when it saved (`describe(before, after)`); nothing changed, nothing
    written."""
    row, _ = insert_once(
        session,
        TeamSettingsRow(team_id=team_id, settings="{}", updated_by=user_id, updated_at=now),
        lambda: _row(session, team_id, for_update=True),
    )
    lines = describe(TeamSettings.from_json(row.settings), settings)
    if not lines:
        return []
    row.settings, row.updated_by, row.updated_at = settings.to_json(), user_id, now
    session.add_all(
        SettingsChange(
            team_id=team_id, user_id=user_id, what=what, was=was, now=new, changed_at=now
        )
        for what, was, new in lines
    )
    return lines


def recent_changes(session: Session, team_id: str, limit: int) -> list[SettingsChange]:
    return list(
        session.scalars(
            select(SettingsChange)
            .where(SettingsChange.team_id == team_id)
            .order_by(SettingsChange.changed_at.desc(), SettingsChange.id.desc())
            .limit(limit)
        )
    )


def slots_of(session: Session, name: str, default: Slot) -> Callable[[str], Slot]:
    """Each team's time for the scheduled `name`, read once per team per tick."""
    return cache(lambda team_id: settings_of(session, team_id).slot(name, default))


def every_team_settings(session: Session) -> dict[str, TeamSettings]:
    """Teams whose admins changed something: few, so the clock reads them all each tick."""
    rows = session.scalars(select(TeamSettingsRow))
    return {row.team_id: TeamSettings.from_json(row.settings) for row in rows}
