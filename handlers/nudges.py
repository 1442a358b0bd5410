"""Wednesday pace nudges for reps in their goal window who are falling behind."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from handlers.render import message, say
from handlers.reports import member_pace, recent_mix
from scoring.rules import ScoringRules
from scoring.schedule import WORK_STARTS, Slot, due_today
from scoring.tally import progress_bar
from scoring.weeks import iso_week_label, onboarding_week, week_start, zone
from storage.activities import week_totals
from storage.members import onboarding_reps
from storage.models import Member
from storage.outbox import Draft, queued_keys
from storage.team_settings import rules_for, slots_of
from storage.time_off import DaysOff, days_off_between

KIND = "nudge"


def nudge_draft(
    rules: ScoringRules,
    rep: Member,
    total: int,
    now: datetime,
    mix: Mapping[str, int] | None = None,
    days_off: Collection[date] = (),
) -> Draft | None:
    """None unless the rep is onboarding, in a week the goal applies to, at work today (not a
    day off or a holiday), and behind the pace of the days they work; `mix` (their recent
    activities by key) shapes the suggestion."""
    local = now.astimezone(zone(rep.tz))
    if rep.onboarding_start is None:
        return None
    if local.date() in days_off or local.date() in rules.holidays:
        return None
    week_number = onboarding_week(rep.onboarding_start, local.date())
    pace = member_pace(rules, rep, total, now, mix, days_off)
    if pace.status != "behind":
        return None
    text = say("nudge", pace=pace, bar=progress_bar(total, pace.goal), onboarding_week=week_number)
    return Draft(
        team_id=rep.team_id,
        kind=KIND,
        recipient=rep.user_id,
        period=iso_week_label(local.date()),
        text=f"Midweek check-in: {total} / {pace.goal} pts. {pace.suggestion}",
        blocks=message(text)["blocks"],
    )


def nudges_due(
    session: Session,
    rules: ScoringRules,
    slot: Slot,
    now: datetime,
    *,
    on_schedule: bool = True,
    day: date | None = None,
) -> list[Draft]:
    """With `on_schedule` False (the operator command) every behind rep is nudged, any day,
    and those already nudged are drafted again so the summary counts them as already sent.
    `day` (an operator's --as-of) judges each rep's pace on that day: now if it is their today,
    at the slot's time for a past day, and for a day that hasn't begun in their zone, as of
    that morning, when the nudge is queued to go out."""
    due = []
    slot_of = slots_of(session, "nudges", slot)
    for rep in onboarding_reps(session):
        local = now.astimezone(zone(rep.tz))
        if on_schedule and due_today(slot_of(rep.team_id), local) is None:
            continue
        moment = local
        if day is not None and day < local.date():
            moment = datetime.combine(day, slot_of(rep.team_id).at, tzinfo=local.tzinfo)
        elif day is not None and day > local.date():
            moment = datetime.combine(day, WORK_STARTS, tzinfo=local.tzinfo)
        due.append((rep, moment))
    queued = (
        queued_keys(
            session, {r.team_id for r, _ in due}, KIND, {iso_week_label(m.date()) for _, m in due}
        )
        if on_schedule
        else set()
    )
    away = _days_off(session, due)
    drafts = []
    for rep, moment in due:
        week = iso_week_label(moment.date())
        if (rep.team_id, f"{KIND}:{rep.user_id}:{week}") in queued:
            continue
        total = week_totals(session, rep.team_id, week, [rep.user_id]).get(rep.user_id, 0)
        mix = recent_mix(session, rep, week)
        days_off = away.get(rep.team_id, {}).get(rep.user_id, set())
        own = rules_for(session, rules, rep.team_id)
        if draft := nudge_draft(own, rep, total, moment, mix, days_off):
            drafts.append(replace(draft, not_before=moment) if moment > now else draft)
    return drafts


def _days_off(session: Session, due: list[tuple[Member, datetime]]) -> dict[str, DaysOff]:
    """Days off of every due rep in their nudge's week, one query per team."""
    by_team: dict[str, list[tuple[Member, datetime]]] = {}
    for rep, moment in due:
        by_team.setdefault(rep.team_id, []).append((rep, moment))
    away: dict[str, DaysOff] = {}
    for team_id, group in by_team.items():
        mondays = [week_start(moment.date()) for _, moment in group]
        ids = [rep.user_id for rep, _ in group]
        last = max(mondays) + timedelta(days=4)
        away[team_id] = days_off_between(session, team_id, min(mondays), last, ids)
    return away
