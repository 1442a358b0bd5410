"""Storing one logged entry and telling the rep what it did to their week, for every surface."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from sqlalchemy.orm import Session

from handlers.approvals import approver_of, ask_approval
from handlers.celebrations import celebrate, take_back
from handlers.deps import Deps
from handlers.digest_changes import digest_changed, digest_key
from handlers.entry_words import NOTE_SHOWN, day_text, deal_text, describe
from handlers.ids import Action
from handlers.render import message, say
from handlers.reports import WeekReport, report_of, report_weeks, workdays
from handlers.slack_text import one_line
from scoring.parser import ParsedLog
from scoring.rules import ScoringRules
from scoring.weeks import happened_at, iso_week_label, local_date
from storage.activities import (
    COUNTED,
    PENDING,
    NewActivity,
    RepWeeks,
    WeekRead,
    record_and_read,
)
from storage.models import Activity, Member
from storage.outbox import Key

DUPLICATE_WINDOW = timedelta(minutes=2)
_KEY_LIMIT = 255  # the idempotency_key column


@dataclass(frozen=True)
class Logged:
    entry: Activity
    duplicate_seconds: int | None
    sums: RepWeeks  # the rep's weeks as the entry's transaction read them
    rules: ScoringRules
    member: Member
    now: datetime
    approver: str | None = None  # who approves a pending entry
    to_send: list[tuple[str, str]] = field(default_factory=list)  # outbox (team, key) after commit
    created: bool = True  # False: the key was logged before, and `entry` is that first entry

    @cached_property
    def report(self) -> WeekReport:
        """Worked out when the receipt is drawn, which may be after the transaction commits;
        the week's total, with no line per activity: a receipt shows none."""
        return report_of(self.rules, self.member, self.now, self.sums, breakdown=False)

    @property
    def what(self) -> str:
        """The entry in words, by the team's catalog."""
        return describe(self.rules.catalog, self.entry)


def record_entry(
    deps: Deps,
    session: Session,
    member: Member,
    rules: ScoringRules,
    parsed: ParsedLog,
    *,
    source: str,
    key: str,
    logged_by: str,
    at: datetime | None = None,
) -> Logged:
    """Within the caller's transaction and by the team's `rules`: insert (once per key), then
    read the week and look for a twin in one query (on PostgreSQL, in the insert's statement).
    `at` is the moment it happened when the caller knows it (the activity API), else
    `parsed.day` says the day."""
    now = deps.clock()
    when = at or happened_at(parsed.day, member.tz, now)
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
        amount=parsed.amount.value if parsed.amount else None,
        currency=parsed.amount.currency if parsed.amount else None,
        source=source,
        logged_by=logged_by,
        idempotency_key=key,
        status=PENDING if parsed.activity.key in rules.needs_approval else COUNTED,
    )
    week, *before = report_weeks(member, now)

    def read(entry_week: str) -> WeekRead:
        weeks = {week, *before, entry_week}  # the twin check reads the entry's week, maybe earlier
        manager = member.manager_id
        digest = (digest_key(manager, entry_week), now) if manager else None
        return WeekRead(weeks, workdays(week), digest, DUPLICATE_WINDOW)

    entry, created, sums = record_and_read(session, new, now, read)
    send = None
    if created and entry.status == PENDING:
        send = ask_approval(deps, session, member, entry, now)
    elif created:
        if sums.reaches_message:  # most of the week no digest is out to change
            digest_changed(session, member, entry.week, now)
        send = celebrate(deps, session, rules, member, entry, now)
    at = sums.twin_at
    seconds = int((entry.created_at - at).total_seconds()) if at else None
    approver = approver_of(deps, session, member) if entry.status == PENDING else None
    sends = [send] if send else []
    return Logged(entry, seconds, sums, rules, member, now, approver, sends, created)


def entry_undone(session: Session, member: Member, entry: Activity, now: datetime) -> list[Key]:
    """What an undo changes beyond the entry, in its transaction: the manager's digest is due
    a new draft, and the entry's celebration is taken back (the keys to send after commit)."""
    digest_changed(session, member, entry.week, now)
    return take_back(session, entry, now)


def idempotency_key(surface: str, user_id: str, request_id: str) -> str:
    """One entry per person per Slack request: a trigger_id or view id someone else sends
    again must never hand back *her* entry. Over-long ids are hashed to fit the column."""
    key = f"{surface}:{user_id}:{request_id}"
    if len(key) <= _KEY_LIMIT:
        return key
    return f"{surface}:{user_id}:sha256:{hashlib.sha256(request_id.encode()).hexdigest()}"


def undo_button(entry_id: int) -> dict[str, Any]:
    """As a dict: it rides on every /log receipt (see `handlers.render.message`)."""
    text = {"type": "plain_text", "text": "Undo"}
    return {"type": "button", "text": text, "action_id": Action.UNDO, "value": str(entry_id)}


def logged_message(deps: Deps, logged: Logged, via: str | None = None) -> dict[str, Any]:
    """The receipt; `via` names the integration that logged it for the rep (the API's key)."""
    entry = logged.entry
    other_week = entry.week if entry.week != logged.report.week else None
    backdated = entry.happened_at != entry.created_at
    text = say(
        "logged",
        what=logged.what,
        points=entry.points,
        note=one_line(entry.note, NOTE_SHOWN),
        amount=deal_text(entry),
        backdated=backdated,
        other_week=other_week,
        day=day_text(entry) if other_week or backdated else None,  # only they show the day
        report=logged.report,
        logged_ago=None if logged.duplicate_seconds is None else _ago(logged.duplicate_seconds),
        pending=entry.status == PENDING,
        approver=logged.approver,
        via=via,
    )
    return message(text, buttons=[undo_button(entry.id)])


def undone_message(rules: ScoringRules, entry: Activity, report: WeekReport) -> dict[str, Any]:
    note = one_line(entry.note, NOTE_SHOWN)
    text = say(
        "undone",
        what=describe(rules.catalog, entry),
        points=entry.points,
        note=note,
        report=report,
    )
    return message(text)


def _ago(seconds: int) -> str:
    """`just now` under a minute, else whole minutes: the window is only two minutes long."""
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
