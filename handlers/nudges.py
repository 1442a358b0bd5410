"""Wednesday pace nudges for reps in their goal window who are falling behind."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from handlers.render import message, say
from scoring.pace import pace_for
from scoring.rules import ScoringRules
from scoring.schedule import Slot, due_today
from scoring.tally import progress_bar
from scoring.weeks import in_goal_window, iso_week_label, onboarding_week, zone
from storage.activities import week_totals
from storage.members import onboarding_reps
from storage.models import Member
from storage.outbox import Draft, queued_keys

KIND = "nudge"


def nudge_draft(rules: ScoringRules, rep: Member, total: int, now: datetime) -> Draft | None:
    """None unless the rep is in the goal window and behind pace right now."""
    local = now.astimezone(zone(rep.tz))
    if rep.onboarding_start is None:
        return None
    week_number = onboarding_week(rep.onboarding_start, local.date())
    if not in_goal_window(week_number, rules.goal_window):
        return None
    pace = pace_for(total, rules.weekly_goal, local, rules.catalog)
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
    session: Session, rules: ScoringRules, slot: Slot, now: datetime, *, on_schedule: bool = True
) -> list[Draft]:
    """With `on_schedule` False (the operator command) every behind rep is nudged, any day,
    and those already nudged are drafted again so the summary counts them as already sent."""
    due = []
    for rep in onboarding_reps(session):
        local = now.astimezone(zone(rep.tz))
        if not on_schedule or due_today(slot, local) is not None:
            due.append((rep, iso_week_label(local.date())))
    queued = (
        queued_keys(session, {r.team_id for r, _ in due}, KIND, {w for _, w in due})
        if on_schedule
        else set()
    )
    drafts = []
    for rep, week in due:
        if (rep.team_id, f"{KIND}:{rep.user_id}:{week}") in queued:
            continue
        total = week_totals(session, rep.team_id, week, [rep.user_id]).get(rep.user_id, 0)
        if draft := nudge_draft(rules, rep, total, now):
            drafts.append(draft)
    return drafts
