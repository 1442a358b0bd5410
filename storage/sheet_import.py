"""Storing an imported sheet: one entry per rep, week and activity under a key made of the
three, so importing the same file again finds every entry and changes only what the sheet
changed. Entries logged in Slack are never touched.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring.sheet_import import SOURCE, Entry, Logged
from scoring.weeks import parse_iso_week, zone
from storage.activities import COUNTS
from storage.insert_once import insert_once
from storage.members import get_member
from storage.models import Activity, Member

RepWeekKey = tuple[str, str, str]  # team_id, user_id, week


@dataclass(frozen=True)
class NewRep:
    """Someone the sheet names whom Tally has not stored yet."""

    team_id: str
    user_id: str
    name: str
    tz: str = "UTC"


@dataclass
class Outcome:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changed: set[RepWeekKey] = field(default_factory=set)  # weeks whose entries changed


def members_with_ids(session: Session, user_ids: Collection[str]) -> dict[str, list[Member]]:
    """Stored members by user id, in whichever workspaces they are."""
    found: dict[str, list[Member]] = {}
    if user_ids:
        query = select(Member).where(Member.user_id.in_(sorted(user_ids)))
        for member in session.scalars(query.order_by(Member.team_id)):
            found.setdefault(member.user_id, []).append(member)
    return found


def members_named(session: Session, names: Collection[str]) -> dict[str, list[Member]]:
    """Stored members whose display name is exactly one of `names` (case and all)."""
    found: dict[str, list[Member]] = {}
    if names:
        query = select(Member).where(Member.display_name.in_(sorted(names)))
        for member in session.scalars(query.order_by(Member.team_id, Member.user_id)):
            if member.display_name in names:  # SQLite's = ignores no case, but be exact anyway
                found.setdefault(member.display_name, []).append(member)
    return found


def logged_outside_imports(
    session: Session, keys: Collection[RepWeekKey]
) -> dict[RepWeekKey, Logged]:
    """What these rep-weeks hold in live entries not from an import: the sheet's totals
    include them."""
    found: dict[RepWeekKey, Logged] = {}
    if not keys:
        return found
    wanted = set(keys)
    query = select(
        Activity.team_id,
        Activity.user_id,
        Activity.week,
        Activity.activity_key,
        Activity.count,
        Activity.amount,
        Activity.currency,
    ).where(*_covering(keys), Activity.source != SOURCE, *COUNTS)
    for team, user, week, activity_key, count, amount, currency in session.execute(query):
        if (team, user, week) not in wanted:
            continue
        logged = found.setdefault((team, user, week), Logged())
        logged.counts[activity_key] = logged.counts.get(activity_key, 0) + count
        if amount is not None and currency is not None:
            logged.amounts[currency] = logged.amounts.get(currency, Decimal(0)) + amount
    return found


def import_weeks(
    session: Session,
    weeks: Mapping[RepWeekKey, Sequence[Entry]],
    new_reps: Sequence[NewRep],
    now: datetime,
    *,
    write: bool,
) -> Outcome:
    """Bring each rep-week's imported entries to `weeks`: add, update (a count of 0 deletes
    the entry softly) or leave alone. `write` False only counts; the caller's transaction
    holds every write."""
    if write:
        for rep in new_reps:
            _add_member(session, rep, now)
    stored = _imported(session, weeks.keys())
    zones = _zones(session, weeks.keys()) if write else {}
    outcome = Outcome()
    for key, entries in weeks.items():
        held = stored.get(key, {})
        touched = outcome.added + outcome.updated
        for entry in entries:
            activity = held.pop(entry.idempotency_key, None)
            _bring(session, key, entry, activity, zones, now, write, outcome)
        for activity in held.values():  # its cell is blank or 0 now
            if activity.deleted_at is None:
                if write:
                    activity.deleted_at = now
                outcome.updated += 1
        if outcome.added + outcome.updated > touched:
            outcome.changed.add(key)
    session.flush()
    return outcome


def _bring(
    session: Session,
    key: RepWeekKey,
    entry: Entry,
    activity: Activity | None,
    zones: Mapping[tuple[str, str], str],
    now: datetime,
    write: bool,
    outcome: Outcome,
) -> None:
    if activity is None:
        if write:
            session.add(_new(key, entry, zones.get(key[:2]), now))
        outcome.added += 1
        return
    held = (activity.count, activity.amount, activity.currency, activity.deleted_at)
    if held == (entry.count, entry.amount, entry.currency, None):
        outcome.unchanged += 1  # points stay as frozen when it was stored
        return
    if write:
        activity.count, activity.points = entry.count, entry.points
        activity.amount, activity.currency = entry.amount, entry.currency
        activity.deleted_at = None
    outcome.updated += 1


def _new(key: RepWeekKey, entry: Entry, tz: str | None, now: datetime) -> Activity:
    """At noon on the week's Monday on the rep's own clock: inside that week wherever they are."""
    team_id, user_id, week = key
    monday = parse_iso_week(week)
    return Activity(
        team_id=team_id,
        user_id=user_id,
        activity_key=entry.activity_key,
        count=entry.count,
        points=entry.points,
        happened_at=datetime.combine(monday, time(12), tzinfo=zone(tz)).astimezone(UTC),
        local_day=monday,
        week=week,
        note="",
        amount=entry.amount,
        currency=entry.currency,
        source=SOURCE,
        logged_by=SOURCE,
        idempotency_key=entry.idempotency_key,
        created_at=now,
    )


def _add_member(session: Session, rep: NewRep, now: datetime) -> None:
    insert_once(
        session,
        Member(
            team_id=rep.team_id,
            user_id=rep.user_id,
            display_name=rep.name,
            tz=rep.tz,
            created_at=now,
        ),
        lambda: get_member(session, rep.team_id, rep.user_id),
    )


def _covering(keys: Collection[RepWeekKey]) -> tuple:
    """Conditions matching these teams, users and weeks: a superset of the rep-weeks asked for,
    which callers narrow down (one IN list each keeps the query short)."""
    return (
        Activity.team_id.in_(sorted({team for team, _, _ in keys})),
        Activity.user_id.in_(sorted({user for _, user, _ in keys})),
        Activity.week.in_(sorted({week for _, _, week in keys})),
    )


def _imported(
    session: Session, keys: Collection[RepWeekKey]
) -> dict[RepWeekKey, dict[str, Activity]]:
    """Entries earlier imports stored for these rep-weeks, deleted ones too, by idempotency
    key."""
    found: dict[RepWeekKey, dict[str, Activity]] = {}
    if not keys:
        return found
    wanted = set(keys)
    query = select(Activity).where(*_covering(keys), Activity.source == SOURCE)
    for activity in session.scalars(query):
        key = (activity.team_id, activity.user_id, activity.week)
        if key in wanted:
            found.setdefault(key, {})[activity.idempotency_key] = activity
    return found


def _zones(session: Session, keys: Collection[RepWeekKey]) -> dict[tuple[str, str], str]:
    users = {(team, user) for team, user, _ in keys}
    query = select(Member.team_id, Member.user_id, Member.tz).where(
        Member.user_id.in_(sorted({user for _, user in users}))
    )
    return {(t, u): tz for t, u, tz in session.execute(query) if (t, u) in users}
