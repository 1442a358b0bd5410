"""The Friday digest a manager gets: each rep's week, the team's total, and what is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.reminders import overdue_for_team
from handlers.render import message, say
from scoring.rules import ScoringRules
from scoring.schedule import Slot, due_weekly, monday_noon_after
from scoring.tally import WeekTally, progress_bar, tally_week
from scoring.weeks import in_goal_window, iso_week_label, onboarding_week, parse_iso_week, zone
from storage.activities import rows_by_user_and_week
from storage.members import get_member, managers, team_of
from storage.models import Member
from storage.outbox import Draft, find_message, request_update

KIND = "digest"


@dataclass(frozen=True)
class RepWeek:
    user_id: str
    tally: WeekTally
    change: int | None  # vs last week; None when nothing was logged last week either
    onboarding_week: int | None
    below_goal: bool
    goal: int

    @property
    def bar(self) -> str:
        return progress_bar(self.tally.total, self.goal)


def _rep_weeks(
    session: Session, rules: ScoringRules, reps: list[Member], week: str
) -> list[RepWeek]:
    monday = parse_iso_week(week)
    last_week = iso_week_label(monday - timedelta(days=7))
    rows = (
        rows_by_user_and_week(
            session, reps[0].team_id, [week, last_week], [r.user_id for r in reps]
        )
        if reps
        else {}
    )
    result = []
    for rep in reps:
        tally = tally_week(rows.get((rep.user_id, week), []), rules.catalog)
        previous = rows.get((rep.user_id, last_week))
        onboarding = (
            onboarding_week(rep.onboarding_start, monday + timedelta(days=4))
            if rep.onboarding_start
            else None
        )
        goal_applies = onboarding is None or in_goal_window(onboarding, rules.goal_window)
        result.append(
            RepWeek(
                user_id=rep.user_id,
                tally=tally,
                change=tally.total - sum(p for _, _, p in previous) if previous else None,
                onboarding_week=onboarding,
                below_goal=goal_applies and tally.total < rules.weekly_goal,
                goal=rules.weekly_goal,
            )
        )
    return sorted(result, key=lambda r: (-r.tally.total, r.user_id))


def digest_draft(
    session: Session, rules: ScoringRules, manager: Member, week: str, now: datetime
) -> Draft:
    reps = team_of(session, manager.team_id, manager.user_id)
    weeks = _rep_weeks(session, rules, reps, week)
    monday = parse_iso_week(week)
    top = weeks[0] if weeks and weeks[0].tally.total > 0 else None
    team_total = sum(r.tally.total for r in weeks)
    text = say(
        "digest",
        week=week,
        span=f"{monday:%a %-d %b} – {monday + timedelta(days=6):%a %-d %b}",
        goal=rules.weekly_goal,
        reps=weeks,
        team_total=team_total,
        top=top,
        overdue=overdue_for_team(session, manager.team_id, [r.user_id for r in reps], now),
    )
    body = message(text)
    fallback = f"Weekly digest {week}: your team logged {team_total} pts."
    editable_until = monday_noon_after(monday).replace(tzinfo=zone(manager.tz))
    return Draft(
        team_id=manager.team_id,
        kind=KIND,
        recipient=manager.user_id,
        period=week,
        text=fallback,
        blocks=body["blocks"],
        editable_until=editable_until,
    )


def due_digests(session: Session, rules: ScoringRules, slot: Slot, now: datetime) -> list[Draft]:
    """Digests whose Friday moment has passed in each manager's zone and that aren't queued yet."""
    drafts = []
    for manager in managers(session):
        occurrence = due_weekly(slot, now.astimezone(zone(manager.tz)))
        if occurrence is None:
            continue
        week = iso_week_label(occurrence.date())
        if find_message(session, manager.team_id, f"{KIND}:{manager.user_id}:{week}") is None:
            drafts.append(digest_draft(session, rules, manager, week, now))
    return drafts


def digests_for_week(
    session: Session, rules: ScoringRules, week: str, now: datetime
) -> list[Draft]:
    """Every manager's digest for `week`, for the operator command."""
    return [digest_draft(session, rules, m, week, now) for m in managers(session)]


def refresh_sent_digest(deps: Deps, team_id: str, rep_id: str, week: str) -> bool:
    """A late entry or undo re-renders the manager's already-sent digest for the clock to edit."""
    now = deps.clock()
    with deps.reads() as session:  # the common case: no digest out for this week yet
        rep = get_member(session, team_id, rep_id)
        if rep is None or rep.manager_id is None:
            return False
        sent = find_message(session, team_id, f"{KIND}:{rep.manager_id}:{week}")
        if sent is None or sent.editable_until is None or sent.editable_until <= now:
            return False
    with deps.sessions.begin() as session:
        manager = get_member(session, team_id, rep.manager_id)
        if manager is None:
            return False
        draft = digest_draft(session, deps.rules, manager, week, now)
        return request_update(session, team_id, draft.key, draft.text, draft.blocks, now)
