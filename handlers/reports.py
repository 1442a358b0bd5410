"""A person's week as Tally shows it: tally, pace and onboarding week, and the coaching that
follows the rep's own mix of the last few weeks."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy.orm import Session

from handlers.plans import day_label
from scoring.pace import Pace, pace_for
from scoring.rules import ScoringRules
from scoring.tally import WeekTally, progress_bar, tally_week
from scoring.weeks import (
    goal_applies,
    iso_week_label,
    local_time,
    moment_in_week,
    onboarding_week,
    parse_iso_week,
    week_at,
    week_start,
)
from storage.activities import (
    RepWeeks,
    counts_by_activity,
    rep_weeks,
    week_totals,
)
from storage.models import Member
from storage.time_off import days_off_between

MIX_WEEKS = 4  # how far back a rep's usual mix of activities is read


@dataclass(frozen=True)
class WeekReport:
    user_id: str
    week: str
    start: date
    tally: WeekTally
    pace: Pace
    onboarding_week: int | None
    goal_applies: bool
    onboarding_start: date | None = None
    display_name: str = ""
    away_all_week: bool = False  # every weekday off or a holiday: no goal at all
    pending: int = 0  # points waiting for a manager's approval, not in the total yet

    @property
    def bar(self) -> str:
        return progress_bar(self.tally.total, self.pace.goal)

    @property
    def name(self) -> str:
        """The rep as a sentence about them starts: "Alex", or "This rep" without a name."""
        name = self.display_name.strip()
        return name[:1].upper() + name[1:] if name else "This rep"

    @property
    def starts(self) -> str | None:
        """When onboarding begins, while it is still ahead."""
        if self.onboarding_start is None or self.onboarding_week is not None:
            return None
        return day_label(self.onboarding_start)

    @property
    def span(self) -> str:
        end = self.start + timedelta(days=6)
        return f"{self.start:%a %-d %b} – {end:%a %-d %b}"


def member_pace(
    rules: ScoringRules,
    member: Member,
    total: int,
    now: datetime,
    mix: Mapping[str, int] | None = None,
    days_off: Collection[date] = (),
) -> Pace:
    """Pace and coaching on the member's own clock against the goal pro-rated to the days they
    work (`days_off` are theirs, holidays come from the rules), silent in weeks the goal doesn't
    cover; a week away is measured against the full goal, for reference only."""
    local = local_time(now, member.tz)
    monday = week_start(local.date())
    return _pace(rules, member, total, local, rules.week_goal(monday, days_off), mix, days_off)


def _pace(
    rules: ScoringRules,
    member: Member,
    total: int,
    local: datetime,
    goal: int | None,
    mix: Mapping[str, int] | None,
    days_off: Collection[date],
) -> Pace:
    """`member_pace` at `local`, the member's clock, with the week's pro-rated `goal` (None:
    away all week) worked out already."""
    today = local.date()
    return pace_for(
        total,
        goal or rules.weekly_goal,
        local,
        rules.catalog,
        mix=mix,
        max_day=rules.realistic_day,
        goal_applies=goal_applies(member.onboarding_start, today, rules.goal_window),
        days_off=rules.not_worked(week_start(today), days_off),
    )


@lru_cache(maxsize=64)
def _weeks_before(week: str) -> tuple[str, ...]:
    """Cached: every /log receipt asks twice, and a week's labels never change."""
    monday = parse_iso_week(week)
    return tuple(iso_week_label(monday - timedelta(weeks=n)) for n in range(1, MIX_WEEKS + 1))


def recent_mix(session: Session, member: Member, week: str) -> dict[str, int]:
    """What the member logged, by activity, in the weeks before `week`."""
    return counts_by_activity(session, member.team_id, member.user_id, _weeks_before(week))


def _report(
    rules: ScoringRules,
    member: Member,
    now: datetime,
    tally: WeekTally,
    mix: Mapping[str, int] | None = None,
    days_off: Collection[date] = (),
) -> WeekReport:
    local = local_time(now, member.tz)
    today = local.date()
    monday = week_start(today)
    start = member.onboarding_start
    goal = rules.week_goal(monday, days_off)
    pace = _pace(rules, member, tally.total, local, goal, mix, days_off)
    return WeekReport(
        user_id=member.user_id,
        week=iso_week_label(today),
        start=monday,
        tally=tally,
        pace=pace,
        onboarding_week=onboarding_week(start, today) if start else None,
        goal_applies=pace.status != "no_goal",
        onboarding_start=start,
        display_name=member.display_name or "",
        away_all_week=goal is None,
    )


@lru_cache(maxsize=64)
def workdays(week: str) -> tuple[date, date]:
    """Monday and Friday of `week`: the days whose time off shrinks its goal (cached: every
    /log asks)."""
    monday = parse_iso_week(week)
    return monday, monday + timedelta(days=4)


def report_weeks(member: Member, now: datetime) -> list[str]:
    """The weeks a current-week report reads: the member's week, then the mix weeks before it."""
    week = week_at(now, member.tz)
    return [week, *_weeks_before(week)]


def week_report(
    session: Session,
    rules: ScoringRules,
    member: Member,
    now: datetime,
) -> WeekReport:
    """The member's current week in their own time zone, with the breakdown by activity and
    coaching shaped by their recent mix."""
    weeks = report_weeks(member, now)
    sums = rep_weeks(session, member.team_id, member.user_id, weeks, None, workdays(weeks[0]))
    return report_of(rules, member, now, sums)


def report_of(
    rules: ScoringRules, member: Member, now: datetime, sums: RepWeeks, *, breakdown: bool = True
) -> WeekReport:
    """`week_report` from the `report_weeks` read already (a /log receipt reads them with its
    duplicate check): no database, so a receipt is worked out after its transaction commits.
    Without `breakdown` the tally is the week's total alone, no line per activity: a receipt
    shows only the total, and labelling and sorting the lines would be work thrown away."""
    week, *before = report_weeks(member, now)
    mix: dict[str, int] = {}
    for label in before:
        for key, count, _points in sums.counted.get(label, ()):
            mix[key] = mix.get(key, 0) + count
    counted = sums.counted.get(week, [])
    if breakdown:
        tally = tally_week(counted, rules.catalog)
    else:
        tally = WeekTally(sum(points for _key, _count, points in counted), ())
    report = _report(rules, member, now, tally, mix, sums.days_off)
    if not rules.needs_approval:
        return report
    return replace(report, pending=sums.pending.get(week, 0))


def past_week_report(
    session: Session, rules: ScoringRules, member: Member, week: str, now: datetime
) -> WeekReport:
    """An earlier week of the member's as it ended: breakdown, goal and onboarding week then,
    and whether the goal was met; no coaching, that week is over."""
    sums = rep_weeks(session, member.team_id, member.user_id, [week], None, workdays(week))
    moment = moment_in_week(now, member.tz, parse_iso_week(week))
    tally = tally_week(sums.counted.get(week, []), rules.catalog)
    report = _report(rules, member, moment, tally, days_off=sums.days_off)
    if not rules.needs_approval:
        return report
    return replace(report, pending=sums.pending.get(week, 0))


def team_reports(
    session: Session,
    rules: ScoringRules,
    members: Sequence[Member],
    now: datetime,
    week: str | None = None,
) -> list[WeekReport]:
    """Totals for many people with one GROUP BY per distinct week label; no breakdown and no
    recent mix, so their coaching falls back to the catalog's.

    With `week` (the one a team view is headed with) everyone is reported in that week, so the
    numbers under the heading are that week's: a rep whose clock hasn't reached it, or has
    passed it, is judged as at its start or its end. Without it, each one's current week.
    """
    by_week: dict[str, list[Member]] = {}
    for member in members:
        by_week.setdefault(week or week_at(now, member.tz), []).append(member)
    reports = []
    for label, group in by_week.items():
        monday = parse_iso_week(label)
        ids = [m.user_id for m in group]
        totals = week_totals(session, group[0].team_id, label, ids)
        away = days_off_between(session, group[0].team_id, monday, monday + timedelta(days=4), ids)
        for member in group:
            tally = WeekTally(total=totals.get(member.user_id, 0), items=())
            moment = moment_in_week(now, member.tz, monday)
            days_off = away.get(member.user_id, set())
            reports.append(_report(rules, member, moment, tally, days_off=days_off))
    return sorted(reports, key=lambda r: (-r.tally.total, r.user_id))
