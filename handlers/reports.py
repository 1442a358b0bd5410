"""A person's week as Tally shows it: tally, pace and onboarding week, read in one query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from scoring.pace import Pace, pace_for
from scoring.rules import ScoringRules
from scoring.tally import WeekTally, progress_bar, tally_week
from scoring.weeks import (
    in_goal_window,
    iso_week_label,
    local_date,
    onboarding_week,
    week_start,
    zone,
)
from storage.activities import week_rows, week_totals
from storage.models import Member


@dataclass(frozen=True)
class WeekReport:
    user_id: str
    week: str
    start: date
    tally: WeekTally
    pace: Pace
    onboarding_week: int | None
    goal_applies: bool

    @property
    def bar(self) -> str:
        return progress_bar(self.tally.total, self.pace.goal)

    @property
    def span(self) -> str:
        end = self.start + timedelta(days=6)
        return f"{self.start:%a %-d %b} – {end:%a %-d %b}"


def _report(rules: ScoringRules, member: Member, now: datetime, tally: WeekTally) -> WeekReport:
    today = local_date(now, member.tz)
    onboarding = (
        onboarding_week(member.onboarding_start, today) if member.onboarding_start else None
    )
    return WeekReport(
        user_id=member.user_id,
        week=iso_week_label(today),
        start=week_start(today),
        tally=tally,
        pace=pace_for(
            tally.total, rules.weekly_goal, now.astimezone(zone(member.tz)), rules.catalog
        ),
        onboarding_week=onboarding,
        goal_applies=onboarding is None or in_goal_window(onboarding, rules.goal_window),
    )


def week_report(session: Session, rules: ScoringRules, member: Member, now: datetime) -> WeekReport:
    """The member's current week in their own time zone, with the breakdown by activity."""
    week = iso_week_label(local_date(now, member.tz))
    rows = week_rows(session, member.team_id, member.user_id, week)
    return _report(rules, member, now, tally_week(rows, rules.catalog))


def team_reports(
    session: Session, rules: ScoringRules, members: Sequence[Member], now: datetime
) -> list[WeekReport]:
    """Totals for many people with one GROUP BY per distinct week label (usually one)."""
    by_week: dict[str, list[Member]] = {}
    for member in members:
        by_week.setdefault(iso_week_label(local_date(now, member.tz)), []).append(member)
    reports = []
    for week, group in by_week.items():
        totals = week_totals(session, group[0].team_id, week, [m.user_id for m in group])
        for member in group:
            total = totals.get(member.user_id, 0)
            reports.append(_report(rules, member, now, WeekTally(total=total, items=())))
    return sorted(reports, key=lambda r: (-r.tally.total, r.user_id))
