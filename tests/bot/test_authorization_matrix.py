"""Who may do what: every person Tally knows against every surface it answers, over signed HTTP.

One workspace: admin Ada; manager Mona with reps Rita and Ravi; manager Max with rep Reed; Dora,
an admin Slack has since demoted whose cached profile (older than ten minutes) still says admin;
and requests from a workspace Tally doesn't serve. Each row of the matrix sends real requests to
`tally serve` and checks that

- nothing anyone was shown (replies, DMs, views) holds private data they aren't entitled to: a
  person's breakdown, week total, notes, deal amounts and plan names belong to them, their manager
  and an admin (board totals are public by design);
- the change was made exactly when the row says it is allowed, and a refusal changed nothing in
  the database and reads the same as the refusal for someone or something that doesn't exist;
- no row is ever stored for another workspace, whose requests stop at the edge with a 403.

Whatever a row changes in the database is put back before the next, so every row starts from
the same workspace.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from functools import partial
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.fakeslack import FakeSlack
from bot.fakeslack.signed_requests import Reply, SignedSlack
from handlers.ids import Action, Callback
from scoring.catalog import DEFAULT_CATALOG
from scoring.deal_amounts import format_amount
from scoring.plans import MONTHLY
from scoring.rules import DEFAULT_WEEKLY_GOAL
from scoring.weeks import iso_week_label
from storage.activities import NewActivity, record_activity
from storage.db import make_session_factory
from storage.invites import ask_to_join
from storage.members import save_profile, set_manager
from storage.models import (
    AccountPlan,
    Activity,
    Base,
    Member,
    OutboxMessage,
    SettingsChange,
    TeamInvite,
    TeamSettingsRow,
    TimeOff,
)
from storage.plans import add_plan
from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally, tally_serving
from tests.fixtures.slack import SIGNING_SECRET

TEAM, OTHER_TEAM = "T0TALLY", "T0OTHER"
RITA, RAVI, MONA, ADA = REP, OTHER_REP, MANAGER, ADMIN
MAX, REED, DORA = "U0MAX", "U0REED", "U0DORA"
OUTSIDER = "outsider"  # Ada's own id, sent from a workspace Tally doesn't serve
GHOST = "U0GHOST"  # nobody, in Slack or in Tally
GHOST_ROW = "2147483000"  # a row id no table holds
LONG_AGO = date(2026, 1, 5)
STALE = timedelta(minutes=20)  # past the ten minutes after which admin rights are asked again


@dataclass(frozen=True)
class Person:
    """Someone in the workspace, with one noted entry and one plan that are theirs alone."""

    user_id: str
    name: str
    manager_id: str | None
    activity: str  # an activity nobody else logs, so its breakdown line points at them
    times: int
    amount: int
    slack_admin: bool = False  # what users.info says now
    cached_admin: bool = False  # what Tally's cached profile says
    checked_ago: timedelta = timedelta(0)

    @property
    def note(self) -> str:
        return f"note-of-{self.name}"

    @property
    def plan(self) -> str:
        return f"Globex-{self.name}"

    @property
    def total(self) -> int:
        activity = DEFAULT_CATALOG.get(self.activity)
        assert activity is not None
        return activity.points * self.times

    @property
    def secrets(self) -> list[re.Pattern[str]]:
        """What only they, their manager and an admin may read."""
        activity = DEFAULT_CATALOG.get(self.activity)
        assert activity is not None
        literal = [
            f"{activity.label} × {self.times}",
            self.note,
            format_amount(Decimal(self.amount), "USD"),
            self.plan,
            f"@{self.name}'s week",
            f"@{self.name}'s account plans",
        ]
        total = rf"(?<!\d){self.total} / {DEFAULT_WEEKLY_GOAL} pts"
        return [re.compile(re.escape(s)) for s in literal] + [re.compile(total)]


PEOPLE = (
    Person(RITA, "rita", MONA, "closed_won", 1, 48_123),
    Person(RAVI, "ravi", MONA, "dm_conversation", 2, 23_456),
    Person(REED, "reed", MAX, "meeting_booked", 3, 77_321),
    Person(MONA, "mona", None, "email", 4, 11_111),
    Person(MAX, "max", None, "demo_shadow", 1, 22_222),
    Person(ADA, "ada", None, "demo_mentor_led", 2, 33_333, slack_admin=True, cached_admin=True),
    Person(
        DORA, "dora", None, "discovery_mentor_led", 1, 44_444, cached_admin=True, checked_ago=STALE
    ),
)
BY_ID = {p.user_id: p for p in PEOPLE}
NAMES = {p.user_id: p.name for p in PEOPLE}


def entitled(viewer: str | None, person: Person) -> bool:
    """The person, their manager and an admin; a public channel (None) is nobody's."""
    return viewer is not None and viewer in (person.user_id, person.manager_id, ADA)


def leaks(viewer: str | None, text: str) -> list[str]:
    return [
        f"{person.name}: {secret.pattern}"
        for person in PEOPLE
        if not entitled(viewer, person)
        for secret in person.secrets
        if secret.search(text)
    ]


# --- the database, as rows a test can compare ----------------------------------------------

PROFILE = frozenset({"display_name", "tz", "tz_checked_at", "is_workspace_admin"})
TABLES: tuple[type[Base], ...] = (
    Member,
    Activity,
    TimeOff,
    TeamInvite,
    AccountPlan,
    OutboxMessage,
    TeamSettingsRow,
    SettingsChange,
)
OWNER = {
    "members": "user_id",
    "activities": "user_id",
    "time_off": "user_id",
    "team_invites": "rep_id",
    "team_settings": "updated_by",
    "settings_changes": "user_id",
}
Rows = dict[str, dict[int, dict[str, Any]]]


def snapshot(sessions: sessionmaker[Session]) -> Rows:
    """Every row of every table, by table and id."""
    with sessions() as session:
        return {
            model.__table__.name: {
                row["id"]: dict(row) for row in session.execute(select(model.__table__)).mappings()
            }
            for model in TABLES
        }


def restore(sessions: sessionmaker[Session], now: Rows, wanted: Rows) -> None:
    """Put back exactly the `wanted` rows, ids included: a row changes one or two, so this is
    much cheaper than seeding again. Deletes go first so no unique key is held twice."""
    with sessions.begin() as session:
        for model in TABLES:
            table = model.__table__
            was, rows = wanted[table.name], now[table.name]
            if added := rows.keys() - was.keys():
                session.execute(delete(table).where(table.c.id.in_(added)))
            for row_id in was.keys() & rows.keys():
                if was[row_id] != rows[row_id]:
                    session.execute(update(table).where(table.c.id == row_id).values(was[row_id]))
            for row_id in was.keys() - rows.keys():
                session.execute(insert(table).values(was[row_id]))


def data(rows: Rows) -> Rows:
    """Without the cached Slack profile, which any request may refresh."""
    return {
        table: {
            i: {k: v for k, v in row.items() if table != "members" or k not in PROFILE}
            for i, row in by_id.items()
        }
        for table, by_id in rows.items()
    }


@dataclass(frozen=True)
class Change:
    table: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def row(self) -> dict[str, Any]:
        return self.after or self.before or {}

    @property
    def owner(self) -> str:
        return self.row.get(OWNER.get(self.table, "owner_id"), self.row.get("recipient", ""))


def changes(before: Rows, after: Rows) -> list[Change]:
    before, after = data(before), data(after)
    return [
        Change(table, before[table].get(i), after[table].get(i))
        for table in after
        for i in sorted(before[table].keys() | after[table].keys())
        if before[table].get(i) != after[table].get(i)
    ]


# --- the workspace ---------------------------------------------------------------------------


@dataclass
class World:
    tally: RunningTally
    outside: SignedSlack
    sessions: sessionmaker[Session]
    rita_modal: dict[str, Any]  # a log form opened for Rita, which anyone might send again
    ada_settings: dict[str, Any]  # the settings form opened for Ada, likewise
    entries: dict[str, int] = field(default_factory=dict)
    plans: dict[str, int] = field(default_factory=dict)
    invite: int = 0  # Max asked Ravi to join his team
    pristine: Rows = field(default_factory=dict)
    last: Rows = field(default_factory=dict)

    def seed(self) -> None:
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            for p in PEOPLE:
                save_profile(
                    session,
                    TEAM,
                    p.user_id,
                    display_name=p.name,
                    tz="UTC",
                    is_workspace_admin=p.cached_admin,
                    now=now - p.checked_ago,
                )
            for p in PEOPLE:
                if p.manager_id:
                    set_manager(session, TEAM, p.user_id, p.manager_id, None, now)
            for p in PEOPLE:
                self.entries[p.user_id] = _noted_entry(session, p, now).id
                plan, _ = add_plan(
                    session, TEAM, p.user_id, p.plan, MONTHLY, LONG_AGO, p.user_id, now
                )
                self.plans[p.user_id] = plan.id
            self.invite = ask_to_join(session, TEAM, RAVI, MAX, None, now)[0].id
        self.pristine = self.last = snapshot(self.sessions)

    def fresh(self) -> None:
        """Back to the seeded rows when the last row changed anything, profiles included."""
        if self.last != self.pristine:
            restore(self.sessions, self.last, self.pristine)
            self.last = snapshot(self.sessions)
            assert self.last == self.pristine


def _noted_entry(session: Session, person: Person, now: datetime) -> Activity:
    activity = DEFAULT_CATALOG.get(person.activity)
    assert activity is not None
    entry, _ = record_activity(
        session,
        NewActivity(
            team_id=TEAM,
            user_id=person.user_id,
            activity_key=activity.key,
            count=person.times,
            points=person.total,
            happened_at=now,
            local_day=now.date(),
            week=iso_week_label(now.date()),
            note=person.note,
            amount=Decimal(person.amount),
            currency="USD",
            source="slash",
            logged_by=person.user_id,
            idempotency_key=f"seed:{person.user_id}",
        ),
        now,
    )
    return entry


@pytest.fixture(scope="module")
def world(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with FakeSlack() as slack:
        for p in PEOPLE:
            slack.add_user(p.user_id, p.name, tz="UTC", is_admin=p.slack_admin)
        log_path = tmp_path_factory.mktemp("serve") / "serve.log"
        with tally_serving(slack, module_database_url, log_path) as tally:
            outside = SignedSlack(tally.signed.endpoint, SIGNING_SECRET, OTHER_TEAM, slack)
            sessions = make_session_factory(tally.engine)
            world = World(tally, outside, sessions, rita_modal={}, ada_settings={})
            world.seed()
            world.rita_modal = _opened(tally, RITA, "/log", "")
            world.ada_settings = _opened(tally, ADA, "/tally", "admin")
            yield world


def _opened(tally: RunningTally, user_id: str, command: str, text: str) -> dict[str, Any]:
    seen = len(tally.slack.views(user_id))
    assert tally.command(user_id, command, text).status == 200
    tally.slack.wait_until(lambda: len(tally.slack.views(user_id)) > seen, timeout=10)
    return tally.slack.views(user_id)[-1]["view"]


# --- sending one request as one person ------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One person sending a surface's request; `ghost` aims it at someone or something that
    doesn't exist, to show a refusal gives nothing away."""

    world: World
    actor: str
    ghost: bool = False

    @property
    def signed(self) -> SignedSlack:
        return self.world.outside if self.actor == OUTSIDER else self.world.tally.signed

    @property
    def user_id(self) -> str:
        return ADA if self.actor == OUTSIDER else self.actor

    @property
    def rita(self) -> str:
        """The person the surface is about."""
        return GHOST if self.ghost else RITA

    def row(self, row_id: int) -> str:
        """The button value naming the row."""
        return GHOST_ROW if self.ghost else str(row_id)

    def ritas(self, ids: dict[str, int]) -> str:
        return self.row(ids[RITA])


@dataclass(frozen=True)
class Shown:
    status: int
    texts: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def _answer(call: Call, reply: Reply) -> Shown:
    """What the person reads: the ack itself, or what came through the response_url."""
    tally = call.world.tally
    if reply.status != 200:
        return Shown(reply.status)
    payload = reply.json()
    if payload and ("text" in payload or "blocks" in payload):
        return Shown(200, (tally.read(payload),))
    url = call.signed.last_response_url
    assert url is not None
    tally.slack.wait_until(lambda: tally.slack.responses(url), timeout=10)
    return Shown(200, tuple(tally.read(r) for r in tally.slack.responses(url)))


def _view(call: Call, send: Callable[[], Reply], method: str) -> Shown:
    """Send, then read the view Slack was asked to open (or publish) for the person."""
    slack = call.world.tally.slack
    seen = len(slack.views(call.user_id))
    reply = send()
    if reply.status != 200:
        return Shown(reply.status)

    def opened() -> list[dict[str, Any]]:
        return [v for v in slack.views(call.user_id)[seen:] if v["method"] == method]

    slack.wait_until(opened, timeout=10)
    return Shown(200, tuple(call.world.tally.read(v["view"]) for v in opened()))


def command(text_of: Callable[[Call], str], name: str = "/tally") -> Callable[[Call], Shown]:
    def send(call: Call) -> Shown:
        return _answer(call, call.signed.command(call.user_id, name, text_of(call)))

    return send


def click(action: Action, value_of: Callable[[Call], str]) -> Callable[[Call], Shown]:
    def send(call: Call) -> Shown:
        return _answer(call, call.signed.block_action(call.user_id, action, value_of(call)))

    return send


def open_log_form(call: Call) -> Shown:
    return _view(call, partial(call.signed.command, call.user_id, "/log"), "views.open")


def undo_in_form(call: Call) -> Shown:
    """Undo pressed inside the person's own log form (where receipts show), naming Rita's entry."""
    opened = open_log_form(call)
    if opened.status != 200:
        return opened
    form = call.world.tally.slack.views(call.user_id)[-1]["view"]
    value = call.ritas(call.world.entries)
    return _view(
        call,
        partial(call.signed.block_action, call.user_id, Action.UNDO, value, view=form),
        "views.update",
    )


def submit_ritas_form(call: Call) -> Shown:
    values = {"activity": "call", "count": "2"}
    reply = call.signed.view_submission(call.user_id, call.world.rita_modal, values)
    if reply.status != 200:
        return Shown(reply.status)
    body = reply.json()
    assert body is not None and body.get("response_action") == "update"
    return Shown(200, (call.world.tally.read(body["view"]),))


def submit_adas_settings(call: Call) -> Shown:
    values = {"points:call": "2"}
    reply = call.signed.view_submission(call.user_id, call.world.ada_settings, values)
    if reply.status != 200:
        return Shown(reply.status)
    body = reply.json()
    assert body is not None and body.get("response_action") == "update"
    return Shown(200, (call.world.tally.read(body["view"]),))


def open_settings(call: Call) -> Shown:
    """`/tally admin`: an admin gets the form, anyone else a reply through the response_url."""
    slack, tally = call.world.tally.slack, call.world.tally
    seen = len(slack.views(call.user_id))
    reply = call.signed.command(call.user_id, "/tally", "admin")
    if reply.status != 200:
        return Shown(reply.status)
    url = call.signed.last_response_url
    assert url is not None

    def opened() -> list[dict[str, Any]]:
        return [v["view"] for v in slack.views(call.user_id)[seen:] if v["method"] == "views.open"]

    slack.wait_until(lambda: opened() or slack.responses(url), timeout=10)
    return Shown(200, tuple(tally.read(r) for r in opened() + slack.responses(url)))


def shortcut_on_ritas_message(call: Call) -> Shown:
    text = "Demoed to Initech, 3 calls"
    shortcut = call.signed.message_shortcut
    send = partial(shortcut, call.user_id, Callback.LOG_SHORTCUT, text, message_user=RITA)
    return _view(call, send, "views.open")


def open_home(call: Call) -> Shown:
    event = {"type": "app_home_opened", "user": call.user_id, "tab": "home"}
    return _view(call, partial(call.signed.event, event), "views.publish")


def home_log_button(call: Call) -> Shown:
    send = partial(call.signed.block_action, call.user_id, Action.OPEN_LOG_MODAL, "")
    return _view(call, send, "views.open")


# --- what each surface counts as done -------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    actor: str
    shown: Shown
    before: Rows
    after: Rows
    world: World
    marks: Marks

    @property
    def changes(self) -> list[Change]:
        return changes(self.before, self.after)

    @property
    def only_own(self) -> bool:
        """Whatever changed is the actor's own."""
        return all(c.owner == self.actor for c in self.changes)

    def row(self, table: str, row_id: int) -> dict[str, Any] | None:
        return self.after[table].get(row_id)

    def ritas_plan(self) -> dict[str, Any] | None:
        return self.row("account_plans", self.world.plans[RITA])

    def manager_of(self, user_id: str) -> str | None:
        return next(
            m["manager_id"] for m in self.after["members"].values() if m["user_id"] == user_id
        )


def shows(*wanted: str) -> Callable[[Outcome], bool]:
    return lambda o: all(w in o.shown.text for w in wanted)


def own_total(o: Outcome) -> bool:
    return f"{BY_ID[o.actor].total} / {DEFAULT_WEEKLY_GOAL} pts" in o.shown.text


def own_plan(o: Outcome) -> bool:
    return BY_ID[o.actor].plan in o.shown.text


def ritas_breakdown(o: Outcome) -> bool:
    return "Closed-won × 1" in o.shown.text


def logged_own(activity: str) -> Callable[[Outcome], bool]:
    def done(o: Outcome) -> bool:
        new = [c.row for c in o.changes if c.table == "activities" and c.before is None]
        logged = [(e["user_id"], e["activity_key"]) for e in new]
        return o.only_own and logged == [(o.actor, activity)]

    return done


def undid_own(o: Outcome) -> bool:
    entry = o.row("activities", o.world.entries[o.actor])
    return o.only_own and entry is not None and entry["deleted_at"] is not None


def nudges_off(o: Outcome) -> bool:
    return o.only_own and any(
        m["user_id"] == o.actor and not m["nudges_enabled"] for m in o.after["members"].values()
    )


def lists_own_team(o: Outcome) -> bool:
    listed = set(re.findall(r"@(\w+) — \*\d+\* pts", o.shown.text))
    return listed == {p.name for p in PEOPLE if p.manager_id == o.actor}


def rita_on_actors_team(o: Outcome) -> bool:
    return o.manager_of(RITA) == o.actor


def rita_off_team(o: Outcome) -> bool:
    return o.manager_of(RITA) is None


def plan_added_for_rita(o: Outcome) -> bool:
    return any(
        c.table == "account_plans" and c.before is None and c.row["owner_id"] == RITA
        for c in o.changes
    )


def ritas_plan_reviewed(o: Outcome) -> bool:
    plan = o.ritas_plan()
    return plan is not None and plan["last_reviewed"] != LONG_AGO


def ritas_plan_snoozed(o: Outcome) -> bool:
    plan = o.ritas_plan()
    return plan is not None and plan["snoozed_until"] is not None


def ritas_plan_gone(o: Outcome) -> bool:
    return o.ritas_plan() is None


def ritas_entry_undone(o: Outcome) -> bool:
    entry = o.row("activities", o.world.entries[RITA])
    return entry is not None and entry["deleted_at"] is not None


def invite_answered(status: str) -> Callable[[Outcome], bool]:
    def done(o: Outcome) -> bool:
        invite = o.row("team_invites", o.world.invite)
        if invite is None or invite["status"] != status:
            return False
        # Max hears the answer after the reply; wait for it so its words are checked too.
        slack, start = o.world.tally.slack, o.marks.messages
        slack.wait_until(
            lambda: any(m["channel"] == "D" + MAX for m in slack.messages[start:]), timeout=10
        )
        return o.only_own

    return done


def settings_changed(o: Outcome) -> bool:
    return any(c.table == "team_settings" for c in o.changes)


def rita_forgotten(o: Outcome) -> bool:
    return all(m["user_id"] != RITA for m in o.after["members"].values())


def exported_whom_entitled(o: Outcome) -> bool:
    """The sheet in the actor's DM has exactly the rows they may see: an admin everyone, a
    manager their reps, anyone else their own."""
    if any(c.table != "members" for c in o.changes):
        return False
    files = [f for f in o.world.tally.slack.files[o.marks.files :] if f.channel == "D" + o.actor]
    if len(files) != 1:
        return False
    rows = csv.DictReader(io.StringIO(files[0].content.decode("utf-8"), newline=""))
    got = {row["Slack user id"] for row in rows}
    if o.actor == ADA:
        return got == set(BY_ID)
    reps = {p.user_id for p in PEOPLE if p.manager_id == o.actor}
    return got == (reps or {o.actor})


def charted_to_actor(o: Outcome) -> bool:
    """A chart reached the actor's own DM, and nothing was stored."""
    files = o.world.tally.slack.files[o.marks.files :]
    return o.changes == [] and [f.channel for f in files] == ["D" + o.actor]


def opened_form(o: Outcome) -> bool:
    return "【Log activity】" in o.shown.text


def asks_only(change: Change, actor: str) -> bool:
    """A refused `team add` still asks: a pending invitation from the actor to Rita."""
    invite = change.row
    return (
        change.table == "team_invites"
        and change.before is None
        and (invite["rep_id"], invite["manager_id"], invite["status"]) == (RITA, actor, "pending")
    )


def no_change(_change: Change, _actor: str) -> bool:
    return False


@dataclass(frozen=True)
class Surface:
    name: str
    send: Callable[[Call], Shown]
    done: Callable[[Outcome], bool]  # the privileged effect happened / the private data shown
    ghost: bool = False  # a refusal must read as it does for a target that doesn't exist
    refusal_may: Callable[[Change, str], bool] = no_change

    def __str__(self) -> str:
        return self.name


LOG_HELP = Surface("/log help", command(lambda c: "help", "/log"), shows("Log what you did"))
LOG_TEXT = Surface("/log 2 calls", command(lambda c: "2 calls", "/log"), logged_own("call"))
LOG_FORM = Surface("/log (form)", open_log_form, opened_form)
LOG_UNDO = Surface("/log undo", command(lambda c: "undo", "/log"), undid_own)
OWN_WEEK = Surface("/tally", command(lambda c: ""), own_total)
TALLY_HELP = Surface("/tally help", command(lambda c: "help"), shows("Tally commands"))
UNKNOWN = Surface("/tally frobnicate", command(lambda c: "frobnicate"), shows("don't know"))
BOARD = Surface("/tally board", command(lambda c: "board"), shows("1. @ada — 40 pts"))
BOARD_MONTH = Surface("/tally board month", command(lambda c: "board month"), shows("1. @ada"))
NUDGES_OFF = Surface("/tally nudges off", command(lambda c: "nudges off"), nudges_off)
TEAM_WEEK = Surface("/tally team", command(lambda c: "team"), lists_own_team)
OWN_PLANS = Surface("/tally plan list", command(lambda c: "plan list"), own_plan)
TEAM_ADD = Surface(
    "/tally team add @rita",
    command(lambda c: f"team add <@{c.rita}>"),
    rita_on_actors_team,
    refusal_may=asks_only,
)
TEAM_REMOVE = Surface(
    "/tally team remove @rita",
    command(lambda c: f"team remove <@{c.rita}>"),
    rita_off_team,
    ghost=True,
)
RITAS_WEEK = Surface("/tally @rita", command(lambda c: f"<@{c.rita}>"), ritas_breakdown, ghost=True)
RITAS_PLANS = Surface(
    "/tally plan list for @rita",
    command(lambda c: f"plan list for <@{c.rita}>"),
    shows("Globex-rita"),
    ghost=True,
)
PLAN_ADD_FOR_RITA = Surface(
    "/tally plan add ... for @rita",
    command(lambda c: f"plan add Newco monthly for <@{c.rita}>"),
    plan_added_for_rita,
    ghost=True,
)
PLAN_REVIEWED_FOR_RITA = Surface(
    "/tally plan reviewed ... for @rita",
    command(lambda c: f"plan reviewed Globex-rita for <@{c.rita}>"),
    ritas_plan_reviewed,
    ghost=True,
)
PLAN_REMOVE_FOR_RITA = Surface(
    "/tally plan remove ... for @rita",
    command(lambda c: f"plan remove Globex-rita for <@{c.rita}>"),
    ritas_plan_gone,
    ghost=True,
)
UNDO_BUTTON = Surface(
    "Undo on Rita's entry",
    click(Action.UNDO, lambda c: c.ritas(c.world.entries)),
    ritas_entry_undone,
    ghost=True,
)
UNDO_IN_FORM = Surface("Undo in a form, Rita's entry", undo_in_form, ritas_entry_undone, ghost=True)
PLAN_REVIEWED_BUTTON = Surface(
    "Mark reviewed on Rita's plan",
    click(Action.PLAN_REVIEWED, lambda c: c.ritas(c.world.plans)),
    ritas_plan_reviewed,
    ghost=True,
)
PLAN_SNOOZE_BUTTON = Surface(
    "Snooze on Rita's plan",
    click(Action.PLAN_SNOOZE, lambda c: c.ritas(c.world.plans)),
    ritas_plan_snoozed,
    ghost=True,
)
INVITE_ACCEPT = Surface(
    "Accept Ravi's invitation",
    click(Action.TEAM_INVITE_ACCEPT, lambda c: c.row(c.world.invite)),
    invite_answered("accepted"),
    ghost=True,
)
INVITE_DECLINE = Surface(
    "Decline Ravi's invitation",
    click(Action.TEAM_INVITE_DECLINE, lambda c: c.row(c.world.invite)),
    invite_answered("declined"),
    ghost=True,
)
FORM_SUBMIT = Surface("submit Rita's log form", submit_ritas_form, logged_own("call"))
SHORTCUT = Surface("Log as activity on Rita's message", shortcut_on_ritas_message, opened_form)
SETTINGS_FORM = Surface("/tally admin", open_settings, shows("【Tally settings】", "Weekly goal"))
SETTINGS_SUBMIT = Surface("Save Ada's settings form", submit_adas_settings, settings_changed)
SETTINGS_LOG = Surface("/tally admin log", command(lambda c: "admin log"), shows("TALLY_CONFIG"))
FORGET_ASK = Surface(
    "/tally admin forget @rita",
    command(lambda c: f"admin forget <@{c.rita}>"),
    shows("Forgetting @rita"),
    ghost=True,
)
FORGET_PRESS = Surface(
    "Forget on the question about Rita",
    click(Action.FORGET_CONFIRM, lambda c: c.rita),
    rita_forgotten,
    ghost=True,
)
RITAS_CHART = Surface(
    "/tally chart @rita",
    command(lambda c: f"chart <@{c.rita}>"),
    charted_to_actor,
    ghost=True,
)
EXPORT = Surface("/tally export csv", command(lambda c: "export csv"), exported_whom_entitled)
HOME = Surface("App Home", open_home, own_total)
HOME_BUTTON = Surface("Home's Log activity button", home_log_button, opened_form)

EVERYONE = frozenset(BY_ID)
RITAS_SIDE = frozenset({RITA, MONA, ADA})  # Rita, her manager, an admin
ONLY_RITA = frozenset({RITA})

# Each surface and who may use it on the data it names; everyone else (and the other workspace)
# is refused. Approve and Reject need a workspace with `needs_approval`; test_approvals has them.
MATRIX: list[tuple[Surface, frozenset[str]]] = [
    (LOG_HELP, EVERYONE),
    (LOG_TEXT, EVERYONE),
    (LOG_FORM, EVERYONE),
    (LOG_UNDO, EVERYONE),
    (OWN_WEEK, EVERYONE),
    (TALLY_HELP, EVERYONE),
    (UNKNOWN, EVERYONE),
    (BOARD, EVERYONE),
    (BOARD_MONTH, EVERYONE),
    (NUDGES_OFF, EVERYONE),
    (TEAM_WEEK, EVERYONE),
    (OWN_PLANS, EVERYONE),
    (TEAM_ADD, frozenset({MONA, ADA})),  # others only ask Rita to join, and she must accept
    (TEAM_REMOVE, frozenset({MONA, ADA})),
    (RITAS_WEEK, RITAS_SIDE),
    (RITAS_PLANS, RITAS_SIDE),
    (PLAN_ADD_FOR_RITA, RITAS_SIDE),
    (PLAN_REVIEWED_FOR_RITA, RITAS_SIDE),
    (PLAN_REMOVE_FOR_RITA, RITAS_SIDE),
    # Undo and the reminder's buttons act for the one who logged or owns the row; a manager
    # manages a rep's plans through `/tally plan … for @rep` instead.
    (UNDO_BUTTON, ONLY_RITA),
    (UNDO_IN_FORM, ONLY_RITA),
    (PLAN_REVIEWED_BUTTON, ONLY_RITA),
    (PLAN_SNOOZE_BUTTON, ONLY_RITA),
    (INVITE_ACCEPT, frozenset({RAVI})),
    (INVITE_DECLINE, frozenset({RAVI})),
    (FORM_SUBMIT, EVERYONE),
    (SHORTCUT, EVERYONE),
    (HOME, EVERYONE),
    (HOME_BUTTON, EVERYONE),
    (SETTINGS_FORM, frozenset({ADA})),
    (SETTINGS_SUBMIT, frozenset({ADA})),
    (SETTINGS_LOG, frozenset({ADA})),
    (FORGET_ASK, frozenset({ADA})),
    (FORGET_PRESS, frozenset({ADA})),
    (EXPORT, EVERYONE),  # each gets the rows they may see, which the row checks
    (RITAS_CHART, RITAS_SIDE),
]
ACTORS = (RITA, RAVI, MONA, MAX, ADA, DORA, OUTSIDER)


class Expect(Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"


ROWS = [
    (actor, surface, Expect.ALLOWED if actor in allowed else Expect.REFUSED)
    for surface, allowed in MATRIX
    for actor in ACTORS
]


def _row_id(value: object) -> str:
    if isinstance(value, Expect):
        return value.value
    return NAMES.get(str(value), str(value))


def _anyone(text: str) -> str:
    """The refusal with the person it names (Rita or the ghost) taken out."""
    return text.replace("@rita", "@someone").replace(f"@{GHOST}", "@someone")


@dataclass(frozen=True)
class Marks:
    """How much Slack had seen before the row, so what the row caused can be read after it."""

    calls: int
    messages: int
    views: int
    files: int

    @classmethod
    def now(cls, slack: FakeSlack) -> Marks:
        return cls(len(slack.calls), len(slack.messages), len(slack.views()), len(slack.files))


def _delivered_leaks(slack: FakeSlack, tally: RunningTally, marks: Marks) -> list[str]:
    """Private data in any DM, channel post or view Slack was asked to show since `marks`."""
    found = []
    for message in slack.messages[marks.messages :]:
        channel = message["channel"]
        viewer = channel[1:] if channel.startswith("D") else None
        found += [f"to {viewer}: {leak}" for leak in leaks(viewer, tally.read(message))]
    for view in slack.views()[marks.views :]:
        found += [
            f"view {view['user_id']}: {leak}"
            for leak in leaks(view["user_id"], tally.read(view["view"]))
        ]
    return found


def _no_other_workspace(rows: Rows) -> None:
    assert all(r["team_id"] == TEAM for table in rows.values() for r in table.values())


@pytest.mark.parametrize(("actor", "surface", "expected"), ROWS, ids=_row_id)
def test_who_may_do_what(world: World, actor: str, surface: Surface, expected: Expect) -> None:
    world.fresh()
    tally, slack = world.tally, world.tally.slack
    before, marks = world.last, Marks.now(slack)
    shown = surface.send(Call(world, actor))
    after = world.last = snapshot(world.sessions)
    _no_other_workspace(after)

    if actor == OUTSIDER:
        assert shown.status == 403
        assert after == before, "a request from another workspace changed the database"
        assert slack.messages[marks.messages :] == [] and slack.views()[marks.views :] == []
        assert {c.method for c in slack.calls[marks.calls :]} <= {"auth.test"}
        return

    assert shown.status == 200
    outcome = Outcome(actor, shown, before, after, world, marks)
    done = surface.done(outcome)
    assert leaks(actor, shown.text) == [], shown.text
    if expected is Expect.ALLOWED:
        assert done, f"{NAMES[actor]} may use {surface}; saw:\n{shown.text}"
    else:
        assert not done, f"{NAMES[actor]} must not get {surface}; saw:\n{shown.text}"
        unexpected = [c for c in outcome.changes if not surface.refusal_may(c, actor)]
        assert unexpected == [], "a refusal changed the database"
        if surface.ghost:
            _refuses_as_for_nobody(world, actor, surface, shown)
    assert _delivered_leaks(slack, tally, marks) == []


def _refuses_as_for_nobody(world: World, actor: str, surface: Surface, shown: Shown) -> None:
    """The same request about nobody reads the same: the refusal names no owner and doesn't
    tell whether Rita, her entry, her plan or the invitation exists."""
    before = world.last
    ghost = surface.send(Call(world, actor, ghost=True))
    world.last = snapshot(world.sessions)
    assert changes(before, world.last) == []
    assert [_anyone(t) for t in shown.texts] == [_anyone(t) for t in ghost.texts], (
        "the refusal about Rita reads differently from the one about nobody"
    )


def test_the_leak_check_sees_ritas_week_in_the_wrong_hands(world: World) -> None:
    """The matrix passes only if its detector works on what Tally really sends."""
    world.fresh()
    seen = RITAS_WEEK.send(Call(world, MONA)).text
    plans = RITAS_PLANS.send(Call(world, ADA)).text

    assert leaks(MONA, seen) == [] and leaks(ADA, plans) == []
    for outsider in (RAVI, MAX, DORA, None):
        assert leaks(outsider, seen) and leaks(outsider, plans)


def test_dora_is_an_admin_in_the_cache_until_slack_is_asked_again(world: World) -> None:
    """The demoted admin's rows mean something only if Tally's cache still calls her one."""
    world.fresh()
    cached = next(m for m in world.last["members"].values() if m["user_id"] == DORA)
    assert cached["is_workspace_admin"] is True
    assert datetime.now(UTC) - cached["tz_checked_at"] > STALE / 2

    assert "Only @rita's manager" in RITAS_WEEK.send(Call(world, DORA)).text
    world.last = snapshot(world.sessions)
    asked = next(m for m in world.last["members"].values() if m["user_id"] == DORA)
    assert asked["is_workspace_admin"] is False
