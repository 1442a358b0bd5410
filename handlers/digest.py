"""The Friday digest a manager gets: each rep's week with its trend and funnel, the team against
its goal with the deals it closed, whom to coach, and what is overdue."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from handlers.digest_changes import KIND
from handlers.digest_chart import chart_draft
from handlers.ids import Action
from handlers.plans import day_label
from handlers.reminders import OverduePlan, overdue_for_team
from handlers.render import BLOCK_LIMIT, Mrkdwn, literal, say, section_dicts
from scoring.catalog import CLOSED_WON
from scoring.chart_data import RepBar
from scoring.deal_amounts import format_amount
from scoring.insights import coached, funnel, who_to_coach
from scoring.rules import ScoringRules
from scoring.schedule import Slot, due_weekly, monday_noon_after
from scoring.tally import WeekTally, progress_bar, tally_week
from scoring.trend import sparkline
from scoring.weeks import (
    goal_applies,
    iso_week_label,
    onboarding_week,
    parse_iso_week,
    week_at,
    zone,
)
from storage.db import read_only, reader_beside
from storage.digest_rows import (
    Rep,
    chunk_days_off,
    chunk_deals,
    last_days_of,
    points_by_activity,
    rep_weeks,
    reps_of,
)
from storage.members import get_member, managers
from storage.models import Member
from storage.outbox import (
    Draft,
    caught_up,
    queued_keys,
    request_update,
    settle_expired,
    stale_messages,
)
from storage.sheet_rows import Deals
from storage.team_settings import rules_for, slots_of
from storage.time_off import DaysOff


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
    trend: str = ""  # the last TREND_WEEKS weeks' totals as a sparkline, this week last
    last_day: date | None = None  # the latest day they logged anything, up to this week
    funnel: tuple[tuple[str, int], ...] = ()
    deals: Mapping[str, tuple[int, Decimal]] = field(default_factory=dict)  # code -> n, sum

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
MANAGERS_PER_CHUNK = 100
TREND_WEEKS = 4  # the trend shown, this week included; "who to coach" reads the 4 before it
BUTTONS_UP_TO = 40  # reps with their own View button; a bigger team's digest is text only


def _weeks_back(week: str, count: int) -> list[str]:
    """The `count` weeks before `week`, nearest first."""
    monday = parse_iso_week(week)
    return [iso_week_label(monday - timedelta(weeks=n)) for n in range(1, count + 1)]


def _points(rows: list[tuple[str, int, int]] | None) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, _count, points in rows or []:
        found[key] = found.get(key, 0) + points
    return found


class Picked(NamedTuple):
    """The reps a digest coaches, and every rep's points over the weeks before with how many
    of those weeks they logged in (what `coached` picked them by)."""

    user_ids: list[str]
    before: dict[str, tuple[int, int]]


@dataclass(frozen=True)
class _ChunkReads:
    """What a chunk of digests reads about its reps, each in one statement."""

    rows: RowsByUserWeek = field(default_factory=dict)
    last_days: Mapping[str, date] = field(default_factory=dict)
    overdue: Mapping[str, list[OverduePlan]] = field(default_factory=dict)
    away: DaysOff = field(default_factory=dict)
    deals: Deals = field(default_factory=dict)
    totals: Mapping[tuple[str, str], int] = field(default_factory=dict)  # the weeks before
    picks: Mapping[tuple[str, str], Picked] = field(default_factory=dict)  # by (manager, week)
    usual: Mapping[tuple[str, str], dict[str, int]] = field(default_factory=dict)  # coached only

    def total(self, user_id: str, week: str) -> int | None:
        """The rep's points that week; None when they logged nothing in it."""
        found = self.totals.get((user_id, week))
        if found is None and (rows := self.rows.get((user_id, week))):
            found = sum(points for _, _, points in rows)  # a week another digest shows
        return found

    def before(self, reps: Iterable[Rep], weeks: Sequence[str]) -> dict[str, tuple[int, int]]:
        """Each rep's points over `weeks` and how many of them they logged in: what
        `scoring.insights.coached` reads."""
        found = {}
        for rep in reps:
            totals = [t for w in weeks if (t := self.total(rep.user_id, w)) is not None]
            found[rep.user_id] = (sum(totals), len(totals))
        return found


@dataclass(frozen=True)
class _Week:
    """The digest week's dates and labels, worked out once for all its reps."""

    label: str
    monday: date
    before: list[str]  # the TREND_WEEKS weeks before it, nearest first
    shown: list[str]  # the trend's weeks, oldest first and this week last
    goal: int | None  # the week's goal for a rep with no day off

    @classmethod
    def of(cls, rules: ScoringRules, week: str) -> _Week:
        monday = parse_iso_week(week)
        before = _weeks_back(week, TREND_WEEKS)
        shown = [*reversed(before[: TREND_WEEKS - 1]), week]
        return cls(week, monday, before, shown, rules.week_goal(monday))


def _rep_weeks(rules: ScoringRules, reps: list[Rep], week: str, read: _ChunkReads) -> list[RepWeek]:
    when = _Week.of(rules, week)
    result = [_rep_week(rules, rep, when, read) for rep in reps]
    return sorted(result, key=lambda r: (-r.tally.total, r.user_id))


def _rep_week(
    rules: ScoringRules,
    rep: Rep,
    when: _Week,
    read: _ChunkReads,
) -> RepWeek:
    mine = read.rows.get((rep.user_id, when.label), [])
    tally = tally_week(mine, rules.catalog)
    previous = read.total(rep.user_id, when.before[0])
    friday = when.monday + timedelta(days=4)
    start = rep.onboarding_start
    onboarding = onboarding_week(start, friday) if start else None
    days_off = read.away.get(rep.user_id)
    last = read.last_days.get(rep.user_id)
    return RepWeek(
        user_id=rep.user_id,
        tally=tally,
        change=tally.total - previous if previous is not None else None,
        onboarding_week=onboarding,
        goal_applies=goal_applies(start, friday, rules.goal_window),
        goal=rules.week_goal(when.monday, days_off) if days_off else when.goal,
        starts=day_label(start) if start and onboarding is None else None,
        full_goal=rules.weekly_goal,
        trend=sparkline([*(read.total(rep.user_id, w) or 0 for w in when.shown[:-1]), tally.total]),
        last_day=last if last is not None and last <= when.monday + timedelta(days=6) else None,
        funnel=tuple(funnel({key: count for key, count, _ in mine})),
        deals=read.deals.get((rep.user_id, when.label), {}),
    )


@dataclass(frozen=True)
class TeamWeek:
    """The team's line under the reps: what the manager decides from."""

    total: int
    goal: int  # the goals of the reps it applies to this week, pro-rated for time off
    in_goal: int  # reps with a goal this week
    met: int
    deals: dict[str, tuple[int, Decimal]]  # code -> count, sum

    def deal_lines(self) -> list[tuple[str, int, str]]:
        """(total, count, average) per currency, in words."""
        return [
            (format_amount(total, code), count, format_amount(round(total / count, 2), code))
            for code, (count, total) in sorted(self.deals.items())
        ]


def _team_week(weeks: list[RepWeek]) -> TeamWeek:
    deals: dict[str, tuple[int, Decimal]] = {}
    for rep in weeks:
        for code, (count, total) in rep.deals.items():
            had = deals.get(code, (0, Decimal(0)))
            deals[code] = (had[0] + count, had[1] + total)
    counted = [r for r in weeks if r.goal_applies and r.goal is not None]
    return TeamWeek(
        total=sum(r.tally.total for r in weeks),
        goal=sum(r.goal or 0 for r in counted),
        in_goal=len(counted),
        met=sum(1 for r in counted if r.met_goal),
        deals=deals,
    )


def _render(
    rules: ScoringRules,
    manager: Member,
    week: str,
    reps: list[Rep],
    read: _ChunkReads,
    overdue: list[OverduePlan],
    charts: bool,
) -> list[Draft]:
    """The digest, then with `charts` the team chart that follows it (none for a manager without
    reps): drawn only when asked for, as most Fridays' callers drop it."""
    weeks = _rep_weeks(rules, reps, week, read)
    monday = parse_iso_week(week)
    best = weeks[0].tally.total if weeks else 0
    top = [r for r in weeks if r.tally.total == best] if best > 0 else []  # ties share the top
    team = _team_week(weeks)
    picked = read.picks.get((manager.user_id, week), Picked([], {}))
    coach = who_to_coach(
        rules.catalog,
        picked.user_ids,
        {u: _points(read.rows.get((u, week))) for u in picked.user_ids},
        picked.before,
        {u: read.usual.get((u, week), {}) for u in picked.user_ids},
    )
    head = say(
        "digest",
        week=week,
        span=f"{monday:%a %-d %b} – {monday + timedelta(days=6):%a %-d %b}",
        goal=rules.weekly_goal,
        reps=weeks,
    )
    blocks = section_dicts(head)
    if len(weeks) <= BUTTONS_UP_TO:
        blocks += [_rep_block(r) for r in weeks]
    else:
        blocks += section_dicts("\n\n".join(rep_line(r) for r in weeks))
    tail = say(
        "digest_team",
        team=team,
        top=top,
        coach=coach,
        overdue=[(plan, day_label(plan.due)) for plan in overdue],
    )
    blocks += section_dicts(tail)
    digest = Draft(
        team_id=manager.team_id,
        kind=KIND,
        recipient=manager.user_id,
        period=week,
        text=f"Weekly digest {week}: your team logged {team.total} pts.",
        blocks=blocks[:BLOCK_LIMIT],
        editable_until=monday_noon_after(monday).replace(tzinfo=zone(manager.tz)),
    )
    if not weeks or not charts:
        return [digest]
    names = {rep.user_id: rep.display_name or rep.user_id for rep in reps}
    bars = [
        RepBar(names[r.user_id], r.tally.total, r.goal if r.goal_applies else None) for r in weeks
    ]
    return [digest, chart_draft(manager.team_id, manager.user_id, week, bars)]


def _rep_block(rep: RepWeek) -> dict[str, Any]:
    """What `SectionBlock(text=MarkdownTextObject(…), accessory=ButtonElement(text="View", …))
    .to_dict()` gives (tests/handlers/test_digest.py checks), built directly: slack_sdk's
    validation cost more than the rest of a rep's line, on every rep of a Friday."""
    return {
        "accessory": {
            "action_id": Action.VIEW_REP,
            "text": {"emoji": True, "text": "View", "type": "plain_text"},
            "type": "button",
            "value": rep.user_id,
        },
        "text": {"text": rep_line(rep), "type": "mrkdwn"},
        "type": "section",
    }


def rep_line(r: RepWeek) -> Mrkdwn:
    """A rep's three lines: their week against the goal, what they logged, and trend, last
    day, funnel and deals. A function rather than a template: it is drawn for every rep of a
    Friday, where Jinja cost more than working the week out. Text goes through `literal`, as
    every value of a template does."""
    if r.below_goal:
        icon = ":small_red_triangle_down:"
    else:
        icon = ":white_check_mark:" if r.met_goal else ":small_blue_diamond:"
    goal = " pts · _away all week_" if r.goal is None else f" / {r.goal} pts `{r.bar}`"
    head = f"{icon} *<@{literal(r.user_id)}>* — *{r.tally.total}*{goal}{_rep_notes(r)}"
    items = " · ".join(f"{literal(i.label)} × {i.count} ({i.points})" for i in r.tally.items)
    last = (
        f"last activity {literal(r.last_day.strftime('%a %-d %b'))}"
        if r.last_day
        else "nothing logged yet"
    )
    stages = " → ".join(f"{literal(stage)} {count}" for stage, count in r.funnel)
    amounts = "".join(
        f" · {literal(format_amount(total, code))}" for code, (_, total) in r.deals.items()
    )
    tail = f"    4 weeks `{r.trend}` · {last} · {stages}{amounts}"
    return Mrkdwn(f"{head}\n{items or '    _nothing logged_'}\n{tail}".strip())


def _rep_notes(r: RepWeek) -> str:
    """The head line's change on last week, onboarding and goal notes."""
    notes = f" · {r.change:+d} vs last week" if r.change is not None else ""
    if r.onboarding_week:
        notes += f" · onboarding wk {r.onboarding_week}"
    elif r.starts:
        notes += f" · starts {literal(r.starts)}"
    return notes + (" · *below goal*" if r.below_goal else "")


def build_digests(
    session: Session,
    rules: ScoringRules,
    wanted: Sequence[tuple[Member, str]],
    now: datetime,
    charts: bool = False,
) -> Iterator[Draft]:
    """Many managers' digests, a chunk of managers at a time: eight queries per chunk (reps,
    five weeks' rows, the coached reps' points by activity, plans, zones, days off, last days,
    deal amounts), so a Friday costs what the number of reps does, and memory stays that of a
    few chunks however large the workspace.
    `rules` are the defaults; each team's own are read here.

    On PostgreSQL chunks flow through threads: two are read ahead by two sessions, so one
    statement's server time overlaps another's rows being turned into Python, while a helper
    draws the one before (pure Python, no session); on 2 cores at 100,000 reps a Friday went
    from 19–21 s to 16.5–17 s. SQLite reads and draws in turn: its driver takes the GIL back
    for every row, so threads only take turns (measured: a little slower)."""
    by_team: dict[str, list[tuple[Member, str]]] = {}
    for manager, week in wanted:
        by_team.setdefault(manager.team_id, []).append((manager, week))
    chunks = [
        (team_id, team_group[start : start + MANAGERS_PER_CHUNK])
        for team_id, team_group in by_team.items()
        for start in range(0, len(team_group), MANAGERS_PER_CHUNK)
    ]
    own = {team_id: rules_for(session, rules, team_id) for team_id in by_team}
    second = reader_beside(session) if len(chunks) > 1 else None
    if second is None:  # one chunk (a request's one digest), or SQLite
        for team_id, group in chunks:
            yield from _draw(own[team_id], group, *_reads(session, team_id, group, now), charts)
        return
    try:
        yield from _pipeline(chunks, own, (session, second), now, charts)
    finally:
        second.close()


def _pipeline(
    chunks: Sequence[tuple[str, Sequence[tuple[Member, str]]]],
    own: Mapping[str, ScoringRules],
    sessions: tuple[Session, Session],
    now: datetime,
    charts: bool,
) -> Iterator[Draft]:
    """`build_digests` past one chunk on PostgreSQL: chunk n is read with `sessions[n % 2]`,
    which is given chunk n + 2 only once chunk n is read."""
    with (
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="digest-read") as readers,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-draw") as drawer,
    ):

        def read(n: int) -> Future[tuple[list[Rep], _ChunkReads]]:
            team_id, group = chunks[n]
            return readers.submit(_reads, sessions[n % 2], team_id, group, now)

        reading = deque([read(0), read(1)])
        drawing: Future[list[Draft]] | None = None
        for n, (team_id, group) in enumerate(chunks):
            reps, found = reading.popleft().result()
            if n + 2 < len(chunks):
                reading.append(read(n + 2))
            if drawing is not None:
                yield from drawing.result()
            drawing = drawer.submit(_draw, own[team_id], group, reps, found, charts)
        assert drawing is not None, "a pipeline has two chunks or more"
        yield from drawing.result()


def _reads(
    session: Session, team_id: str, group: Sequence[tuple[Member, str]], now: datetime
) -> tuple[list[Rep], _ChunkReads]:
    reps = reps_of(session, team_id, {m.user_id for m, _ in group})
    return reps, (_read(session, team_id, group, reps, now) if reps else _ChunkReads())


def _draw(
    rules: ScoringRules,
    group: Sequence[tuple[Member, str]],
    reps: list[Rep],
    read: _ChunkReads,
    charts: bool,
) -> list[Draft]:
    teams = _teams(reps)
    drafts = []
    for manager, week in group:
        team = teams.get(manager.user_id, [])
        plans = [p for rep in team for p in read.overdue.get(rep.user_id, [])]
        drafts += _render(rules, manager, week, team, read, plans, charts)
    return drafts


def _teams(reps: list[Rep]) -> dict[str, list[Rep]]:
    teams: dict[str, list[Rep]] = {}
    for rep in reps:
        teams.setdefault(rep.manager_id or "", []).append(rep)
    return teams


def _read(
    session: Session,
    team_id: str,
    group: Sequence[tuple[Member, str]],
    reps: list[Rep],
    now: datetime,
) -> _ChunkReads:
    """The chunk's reps' weeks, last days, overdue plans, days off and deals: reps are picked by
    their managers in SQL, so no statement carries a thousand ids."""
    manager_ids = {m.user_id for m, _ in group}
    this = {w for _, w in group}
    found = rep_weeks(session, team_id, manager_ids, {w: _weeks_back(w, TREND_WEEKS) for w in this})
    picks = _picks(group, reps, _ChunkReads(rows=found.rows, totals=found.totals))
    overdue: dict[str, list[OverduePlan]] = {}
    for plan in overdue_for_team(session, team_id, manager_ids, now):
        overdue.setdefault(plan.owner_id, []).append(plan)
    mondays = [parse_iso_week(w) for _, w in group]
    first, last = min(mondays), max(mondays) + timedelta(days=4)
    return _ChunkReads(
        rows=found.rows,
        totals=found.totals,
        picks=picks,
        usual=_usual(session, team_id, picks),
        last_days=last_days_of(session, team_id, [r.user_id for r in reps], found.last_days),
        overdue=overdue,
        away=chunk_days_off(session, team_id, manager_ids, first, last),
        deals=chunk_deals(session, team_id, manager_ids, this, CLOSED_WON),
    )


def _picks(
    group: Sequence[tuple[Member, str]], reps: list[Rep], read: _ChunkReads
) -> dict[tuple[str, str], Picked]:
    """Whom each digest coaches, (manager, week) -> `Picked`: `coached` picks them from
    totals, once per digest, so only their entries are summed by activity (`_usual`)."""
    teams = _teams(reps)
    found = {}
    for manager, week in group:
        team = teams.get(manager.user_id, [])
        now = {r.user_id: read.total(r.user_id, week) or 0 for r in team}
        before = read.before(team, _weeks_back(week, TREND_WEEKS))
        found[manager.user_id, week] = Picked(coached(now, before), before)
    return found


def _usual(
    session: Session, team_id: str, picks: Mapping[tuple[str, str], Picked]
) -> dict[tuple[str, str], dict[str, int]]:
    """Points by activity over the weeks before, (user, shown week) -> {key: points}, of the
    reps the digests coach, in one statement per week shown."""
    wanted: dict[str, set[str]] = {}
    for (_manager, week), picked in picks.items():
        wanted.setdefault(week, set()).update(picked.user_ids)
    return {
        (user_id, week): points
        for week, user_ids in wanted.items()
        for user_id, points in points_by_activity(
            session, team_id, user_ids, _weeks_back(week, TREND_WEEKS)
        ).items()
    }


def digest_draft(
    session: Session, rules: ScoringRules, manager: Member, week: str, now: datetime
) -> Draft:
    return next(build_digests(session, rules, [(manager, week)], now))


def due_digests(
    session: Session, rules: ScoringRules, slot: Slot, now: datetime, charts: bool = False
) -> Iterator[Draft]:
    """Digests whose Friday moment has passed in each manager's zone and that aren't queued
    yet, each followed by its team chart with `charts`."""
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
    return build_digests(session, rules, wanted, now, charts)


def digests_for_week(
    session: Session, rules: ScoringRules, week: str | None, now: datetime, charts: bool = False
) -> Iterator[Draft]:
    """Every manager's digest for `week`, or with None for the week each is in `now` in their
    own zone (UTC's would be next week's, empty, for New York on a Sunday evening), for the
    operator command (drafted as it enqueues)."""
    wanted = [(m, week or week_at(now, m.tz)) for m in managers(session)]
    return build_digests(session, rules, wanted, now, charts)


def redraft_changed(sessions: sessionmaker[Session], rules: ScoringRules, now: datetime) -> int:
    """The clock's part: draft again each digest whose entries changed and queue what it says
    now (an edit, for one already posted); returns how many it looked at. Drafts are built in
    a read-only session, before any write: on SQLite a write transaction would hold the write
    lock through the drafting, and a rep's `/log` would wait behind it."""
    with sessions.begin() as session:
        settle_expired(session, KIND, now)
    with read_only(sessions)() as session:
        stale = stale_messages(session, KIND, MANAGERS_PER_CHUNK)
        if not stale:
            return 0
        wanted = []
        for item in stale:
            manager = get_member(session, item.team_id, item.recipient)
            if manager is not None:
                wanted.append((manager, item.period))
        drafts = {(d.team_id, d.key): d for d in build_digests(session, rules, wanted, now)}
    with sessions.begin() as session:
        for item in stale:
            draft = drafts.get((item.team_id, f"{KIND}:{item.recipient}:{item.period}"))
            if caught_up(session, item) and draft is not None:
                request_update(session, draft.team_id, draft.key, draft.text, draft.blocks, now)
    return len(stale)
