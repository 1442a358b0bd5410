"""Storing one logged entry and telling the rep what it did to their week, for every surface."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from slack_sdk.models.blocks import ButtonElement
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.ids import Action
from handlers.render import message, say
from handlers.reports import WeekReport, week_report
from scoring.parser import ParsedLog
from scoring.weeks import happened_at, iso_week_label, local_date
from storage.activities import NewActivity, find_recent_duplicate, record_activity
from storage.models import Activity, Member

DUPLICATE_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class Logged:
    entry: Activity
    duplicate_seconds: int | None
    report: WeekReport


def record_entry(
    deps: Deps,
    session: Session,
    member: Member,
    parsed: ParsedLog,
    *,
    source: str,
    key: str,
    logged_by: str,
) -> Logged:
    """Within the caller's transaction: insert (once per key), look for a twin, read the week."""
    now = deps.clock()
    when = happened_at(parsed.day, member.tz, now)
    day = local_date(when, member.tz)
    new = NewActivity(
        team_id=member.team_id,
        user_id=member.user_id,
        activity_key=parsed.activity.key,
        count=parsed.count,
        points=parsed.activity.points * parsed.count,
        happened_at=when,
        local_day=day,
        week=iso_week_label(day),
        note=parsed.note,
        amount=parsed.amount,
        source=source,
        logged_by=logged_by,
        idempotency_key=key,
    )
    entry, _created = record_activity(session, new, now)
    twin = find_recent_duplicate(
        session,
        member.team_id,
        member.user_id,
        entry.activity_key,
        entry.count,
        since=entry.created_at - DUPLICATE_WINDOW,
        exclude_id=entry.id,
    )
    report = week_report(session, deps.rules, member, now)
    seconds = int((entry.created_at - twin.created_at).total_seconds()) if twin else None
    return Logged(entry=entry, duplicate_seconds=seconds, report=report)


def describe(deps: Deps, entry: Activity) -> str:
    """'2 self-led demos'; an activity since removed from the catalog keeps its stored key."""
    activity = deps.rules.catalog.get(entry.activity_key)
    return activity.describe(entry.count) if activity else f"{entry.count} × {entry.activity_key}"


def undo_button(entry_id: int) -> ButtonElement:
    return ButtonElement(text="Undo", action_id=Action.UNDO, value=str(entry_id))


def logged_message(deps: Deps, logged: Logged) -> dict[str, Any]:
    entry = logged.entry
    other_week = entry.week if entry.week != logged.report.week else None
    text = say(
        "logged",
        what=describe(deps, entry),
        points=entry.points,
        note=entry.note,
        amount=_money(entry.amount),
        backdated=entry.happened_at != entry.created_at,
        other_week=other_week,
        day=f"{entry.local_day:%a %-d %b}",
        report=logged.report,
        duplicate_seconds=logged.duplicate_seconds,
    )
    return message(text, buttons=[undo_button(entry.id)])


def undone_message(deps: Deps, entry: Activity, report: WeekReport) -> dict[str, Any]:
    text = say(
        "undone", what=describe(deps, entry), points=entry.points, note=entry.note, report=report
    )
    return message(text)


def _money(amount: Decimal | None) -> str | None:
    if amount is None:
        return None
    return f"{amount:,.2f}".removesuffix(".00")
