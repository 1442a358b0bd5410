"""Reading a team's settings on every request and saving an admin's change with its audit lines,
in one transaction, so the log never disagrees with what is in force."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache, lru_cache

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from scoring.rules import ScoringRules
from scoring.schedule import Slot
from scoring.team_settings import TeamSettings
from storage.insert_once import insert_once
from storage.models import Member, SettingsChange, TeamSettingsRow
from storage.prebuilt import Prebuilt, detached


def _locked_row(session: Session, team_id: str) -> TeamSettingsRow | None:
    query = select(TeamSettingsRow).where(TeamSettingsRow.team_id == team_id)
    return session.scalars(query.with_for_update()).one_or_none()


def settings_of(session: Session, team_id: str) -> TeamSettings:
    stored = _stored(session, team_id)
    return _settings(stored) if stored is not None else TeamSettings()


def rules_for(session: Session, defaults: ScoringRules, team_id: str) -> ScoringRules:
    """TALLY_CONFIG's rules with the team's changes over them; the database wins."""
    stored = _stored(session, team_id)
    return _rules(defaults, stored) if stored is not None else defaults


_MEMBERS, _SETTINGS = Member.__table__, TeamSettingsRow.__table__
# Requests read a team's settings text often (every /log, a cheer, an approval ask): on the
# driver's cursor (storage.prebuilt), parsed once per text.
_SETTINGS_TEXT = Prebuilt(
    select(_SETTINGS.c.settings).where(_SETTINGS.c.team_id == bindparam("team"))
)


def _stored(session: Session, team_id: str) -> str | None:
    found = _SETTINGS_TEXT.rows(session, {"team": team_id})
    return found[0][0] if found else None


@lru_cache(maxsize=256)
def _settings(stored: str) -> TeamSettings:
    return TeamSettings.from_json(stored)


MEMBER_AND_SETTINGS = Prebuilt(
    select(_MEMBERS, _SETTINGS.c.settings)
    .select_from(_MEMBERS.outerjoin(_SETTINGS, _SETTINGS.c.team_id == _MEMBERS.c.team_id))
    .where(_MEMBERS.c.team_id == bindparam("team"), _MEMBERS.c.user_id == bindparam("user"))
)
_MEMBER_KEYS = [column.key for column in _MEMBERS.c]


def member_and_rules(
    session: Session, defaults: ScoringRules, team_id: str, user_id: str
) -> tuple[Member, ScoringRules] | None:
    """Who is asking and their team's rules in one statement, the first of every /log; None
    for someone Tally has no row for. The member is read, not tracked by the session: nothing
    on the /log path changes it."""
    found = MEMBER_AND_SETTINGS.rows(session, {"team": team_id, "user": user_id})
    if not found:
        return None
    *columns, stored = found[0]
    member = detached(Member, dict(zip(_MEMBER_KEYS, columns, strict=True)))
    return member, _rules(defaults, stored) if stored is not None else defaults


@lru_cache(maxsize=256)
def _rules(defaults: ScoringRules, stored: str) -> ScoringRules:
    """Cached by the stored text: every request asks, the settings rarely change."""
    return _settings(stored).rules(defaults)


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
        lambda: _locked_row(session, team_id),
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
