"""The Friday digest a manager gets: each rep's week, the team's total, and what is overdue."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from handlers.digest_changes import KIND
from handlers.plans import day_label
from handlers.reminders import OverduePlan, overdue_for_team
from handlers.render import message, say
from scoring.rules import ScoringRules
from scoring.schedule import Slot, due_weekly, monday_noon_after
from scoring.tally import WeekTally, progress_bar, tally_week
from scoring.weeks import goal_applies, iso_week_label, onboarding_week, parse_iso_week, zone
from storage.activities import rows_by_user_and_week
from storage.members import get_member, managers, reps_of_managers
from storage.models import Member
from storage.outbox import (
    Draft,
    caught_up,
    queued_keys,
    request_update,
    stale_messages,
)
from storage.team_settings import rules_for, slots_of
from storage.time_off import DaysOff, days_off_between


@dataclass(frozen=True)
class RepWeek:
    user_id: str
    tally: WeekTally
    change: int | None  # vs last week; None when nothing was logged last week either
    onboarding_week: int | None
    goal_applies: bool  # False before onboarding starts and outside the goal weeks
    goal: int | None  # pro-rated to the rep's working days; None for a week away
    starts: str | None = None  # the onboarding start, while it is still ahead
    full_goal: int = 0  # the weekly goal before time off, for a week away's bar

    @property
    def bar(self) -> str:
        return progress_bar(self.tally.total, self.goal or self.full_goal)

    @property
    def below_goal(self) -> bool:
        return self.goal_applies and self.goal is not None and self.tally.total < self.goal

    @property
    def met_goal(self) -> bool:
        return self.goal_applies and self.goal is not None and self.tally.total >= self.goal


RowsByUserWeek = dict[tuple[str, str], list[tuple[str, int, int]]]
# Past this many people, one team-wide query beats a long IN list (and PostgreSQL's 65k limit).
IN_LIST_LIMIT = 1000
MANAGERS_PER_CHUNK = 100


def _last_week(week: str) -> str:
    return iso_week_label(parse_iso_week(week) - timedelta(days=7))


def _rep_weeks(
    rules: ScoringRules, reps: list[Member], week: str, rows: RowsByUserWeek, away: DaysOff
) -> list[RepWeek]:
    monday = parse_iso_week(week)
    last_week = _last_week(week)
    result = []
    for rep in reps:
        tally = tally_week(rows.get((rep.user_id, week), []), rules.catalog)
        previous = rows.get((rep.user_id, last_week))
        friday = monday + timedelta(days=4)
        start = rep.onboarding_start
        onboarding = onboarding_week(start, friday) if start else None
        result.append(
            RepWeek(
                user_id=rep.user_id,
                tally=tally,
                change=tally.total - sum(p for _, _, p in previous) if previous else None,
                onboarding_week=onboarding,
                goal_applies=goal_applies(start, friday, rules.goal_window),
                goal=rules.week_goal(monday, away.get(rep.user_id, ())),
                starts=day_label(start) if start and onboarding is None else None,
                full_goal=rules.weekly_goal,
            )
        )
    return sorted(result, key=lambda r: (-r.tally.total, r.user_id))


def _render(
    rules: ScoringRules,
    manager: Member,
    week: str,
    reps: list[Member],
    rows: RowsByUserWeek,
    overdue: list[OverduePlan],
    away: DaysOff,
) -> Draft:
    weeks = _rep_weeks(rules, reps, week, rows, away)
    monday = parse_iso_week(week)
    best = weeks[0].tally.total if weeks else 0
    top = [r for r in weeks if r.tally.total == best] if best > 0 else []  # ties share the top
    team_total = sum(r.tally.total for r in weeks)
    text = say(
        "digest",
        week=week,
        span=f"{monday:%a %-d %b} – {monday + timedelta(days=6):%a %-d %b}",
        goal=rules.weekly_goal,
        reps=weeks,
        team_total=team_total,
        top=top,
        overdue=[(plan, day_label(plan.due)) for plan in overdue],
    )
    return Draft(
        team_id=manager.team_id,
        kind=KIND,
        recipient=manager.user_id,
        period=week,
        text=f"Weekly digest {week}: your team logged {team_total} pts.",
        blocks=message(text)["blocks"],
        editable_until=monday_noon_after(monday).replace(tzinfo=zone(manager.tz)),
    )


def build_digests(
    session: Session, rules: ScoringRules, wanted: Sequence[tuple[Member, str]], now: datetime
) -> Iterator[Draft]:
    """Many managers' digests, a chunk of managers at a time: five queries per chunk (reps,
    both weeks' rows, plans, zones, days off), so a Friday costs what the number of reps does,
    and memory stays that of one chunk however large the workspace. `rules` are the defaults;
    each team's own are read here."""
    by_team: dict[str, list[tuple[Member, str]]] = {}
    for manager, week in wanted:
        by_team.setdefault(manager.team_id, []).append((manager, week))
    for team_id, team_group in by_team.items():
        own = rules_for(session, rules, team_id)
        for start in range(0, len(team_group), MANAGERS_PER_CHUNK):
            yield from _chunk(
                session, own, team_id, team_group[start : start + MANAGERS_PER_CHUNK], now
            )


def _chunk(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    group: Sequence[tuple[Member, str]],
    now: datetime,
) -> Iterator[Draft]:
    reps = reps_of_managers(session, team_id, {m.user_id for m, _ in group})
    rep_ids = [r.user_id for r in reps] if len(reps) <= IN_LIST_LIMIT else None
    weeks = {w for _, w in group} | {_last_week(w) for _, w in group}
    rows = rows_by_user_and_week(session, team_id, weeks, rep_ids) if reps else {}
    overdue: dict[str, list[OverduePlan]] = {}
    for plan in overdue_for_team(session, team_id, rep_ids, now) if reps else []:
        overdue.setdefault(plan.owner_id, []).append(plan)
    mondays = [parse_iso_week(w) for _, w in group]
    away = (
        days_off_between(session, team_id, min(mondays), max(mondays) + timedelta(days=4), rep_ids)
        if reps
        else {}
    )
    reps_of: dict[str, list[Member]] = {}
    for rep in reps:
        reps_of.setdefault(rep.manager_id or "", []).append(rep)
    for manager, week in group:
        team = reps_of.get(manager.user_id, [])
        plans = [p for rep in team for p in overdue.get(rep.user_id, [])]
        yield _render(rules, manager, week, team, rows, plans, away)


def digest_draft(
    session: Session, rules: ScoringRules, manager: Member, week: str, now: datetime
) -> Draft:
    return next(build_digests(session, rules, [(manager, week)], now))


def due_digests(
    session: Session, rules: ScoringRules, slot: Slot, now: datetime
) -> Iterator[Draft]:
    """Digests whose Friday moment has passed in each manager's zone and that aren't queued yet."""
    due = []
    slot_of = slots_of(session, "digest", slot)
    for manager in managers(session):
        occurrence = due_weekly(slot_of(manager.team_id), now.astimezone(zone(manager.tz)))
        if occurrence is not None:
            due.append((manager, iso_week_label(occurrence.date())))
    queued = queued_keys(session, {m.team_id for m, _ in due}, KIND, {week for _, week in due})
    wanted = [
        (m, week) for m, week in due if (m.team_id, f"{KIND}:{m.user_id}:{week}") not in queued
    ]
    return build_digests(session, rules, wanted, now)


def digests_for_week(
    session: Session, rules: ScoringRules, week: str, now: datetime
) -> Iterator[Draft]:
    """Every manager's digest for `week`, for the operator command (drafted as it enqueues)."""
    return build_digests(session, rules, [(m, week) for m in managers(session)], now)


def redraft_changed(sessions: sessionmaker[Session], rules: ScoringRules, now: datetime) -> int:
    """The clock's part: draft again each digest whose entries changed and queue what it says
    now (an edit, for one already posted); returns how many it looked at. Drafts are built
    before any row is locked, so a rep's `/log` never waits behind the drafting."""
    with sessions.begin() as session:
        stale = stale_messages(session, KIND, now, MANAGERS_PER_CHUNK)
        wanted = []
        for item in stale:
            manager = get_member(session, item.team_id, item.recipient)
            if manager is not None:
                wanted.append((manager, item.period))
        drafts = {(d.team_id, d.key): d for d in build_digests(session, rules, wanted, now)}
        for item in stale:
            draft = drafts.get((item.team_id, f"{KIND}:{item.recipient}:{item.period}"))
            if draft is not None:
                request_update(session, draft.team_id, draft.key, draft.text, draft.blocks, now)
            caught_up(session, item)
    return len(stale)
