"""`/tally plan …`, the reminder DM and its buttons, as the people involved would read them."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.fakeslack import FakeSlack
from bot.fakeslack.readable import as_read
from handlers.deps import Deps
from handlers.plans import answer_plan
from handlers.reminders import (
    KIND,
    MAX_PLANS_SHOWN,
    REMINDER_SLOT,
    overdue_for_team,
    reminder_drafts,
)
from handlers.render import message
from scoring.catalog import DEFAULT_CATALOG
from scoring.plans import MONTHLY, QUARTERLY, Cadence
from scoring.rules import ScoringRules
from scoring.weeks import local_date
from storage.db import make_engine, make_session_factory, upgrade
from storage.members import save_profile, set_manager
from storage.models import AccountPlan
from storage.plans import add_plan, plans_of, snooze
from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, PEOPLE, REP, RunningTally
from tests.fixtures.slack import BOT_TOKEN

TEAM = "T0TALLY"  # the fake Slack's team, which `tally serve` sees too
# Friday 27 Nov 2026, 10:00 in New York (rita, mona), 09:00 in Chicago (ravi), 15:00 in London.
FRIDAY_MORNING = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)


PlanCommand = Callable[[str, str], str]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sessions(tmp_path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'tally.db'}")
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY_MORNING)


@pytest.fixture
def deps(sessions: sessionmaker[Session], clock: Clock) -> Deps:
    return Deps(
        sessions=sessions,
        reads=sessions,
        rules=ScoringRules(catalog=DEFAULT_CATALOG),
        admins=frozenset(),
        clock=clock,
    )


@pytest.fixture
def plan(deps: Deps, fake_slack: FakeSlack) -> PlanCommand:
    """`plan(user, text)`: what the user reads after typing `/tally plan <text>`."""
    for user_id, name, tz, admin in PEOPLE:
        fake_slack.add_user(user_id, name, tz=tz, is_admin=admin)
    client = WebClient(base_url=fake_slack.url, token=BOT_TOKEN)

    def run(user_id: str, text: str) -> str:
        reply = answer_plan(deps, client, TEAM, user_id, text)
        return as_read(message(reply), fake_slack.user_name).replace("*", "")

    return run


def _plans(deps: Deps, owner: str = REP) -> list[AccountPlan]:
    with deps.sessions() as session:
        return plans_of(session, TEAM, owner)


def _seed(
    sessions: sessionmaker[Session],
    owner: str,
    account: str,
    last: date,
    cadence: Cadence = MONTHLY,
    tz: str = "America/New_York",
) -> int:
    with sessions.begin() as session:
        save_profile(
            session,
            TEAM,
            owner,
            display_name=owner,
            tz=tz,
            is_workspace_admin=False,
            now=FRIDAY_MORNING,
        )
        plan, _ = add_plan(session, TEAM, owner, account, cadence, last, owner, FRIDAY_MORNING)
        return plan.id


# --- /tally plan ---------------------------------------------------------------------------


def test_add_defaults_to_monthly_reviewed_today(plan: PlanCommand, deps: Deps) -> None:
    seen = plan(REP, "add Acme Corp")

    assert "Added Acme Corp, reviewed monthly" in seen
    assert "next one due Sun 27 Dec 2026" in seen
    [stored] = _plans(deps)
    assert (stored.account, stored.cadence_unit, stored.last_reviewed) == (
        "Acme Corp",
        "month",
        TODAY,
    )


def test_add_with_cadence_and_review_date(plan: PlanCommand, deps: Deps) -> None:
    seen = plan(REP, "add Initech quarterly reviewed 2026-08-31")

    assert "reviewed quarterly" in seen and "due Mon 30 Nov 2026" in seen
    seen = plan(REP, "add Globex every 10 days reviewed 2026-11-01")
    assert "due Wed 11 Nov 2026 — that's already overdue" in seen


def test_dates_are_the_owners_local_days(plan: PlanCommand, deps: Deps, clock: Clock) -> None:
    clock.now = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # still Friday evening in New York

    plan(REP, "add Acme Corp")
    plan(ADMIN, "add Acme Corp")

    assert _plans(deps, REP)[0].last_reviewed == date(2026, 11, 27)
    assert _plans(deps, ADMIN)[0].last_reviewed == date(2026, 11, 28)  # London


def test_adding_twice_is_a_friendly_refusal(plan: PlanCommand, deps: Deps) -> None:
    plan(REP, "add Acme Corp quarterly")

    seen = plan(REP, "add ACME corp")

    assert "You already have a plan for Acme Corp (quarterly" in seen
    assert len(_plans(deps)) == 1 and _plans(deps)[0].cadence_count == 3


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("add Acme every ten days", "isn't a review cadence"),
        ("add Acme reviewed 27/11/2026", "isn't a date; write the last review as YYYY-MM-DD"),
        ("add Acme reviewed 2026-11-28", "Sat 28 Nov 2026 is in the future"),
        ("add", "Name the account"),
    ],
)
def test_bad_add_text_is_explained_and_nothing_is_stored(
    plan, deps: Deps, text: str, hint: str
) -> None:
    seen = plan(REP, text)

    assert hint in seen and "/tally plan add Acme Corp quarterly" in seen
    assert _plans(deps) == []


def test_reviewed_takes_a_unique_prefix_in_any_case(
    plan: PlanCommand, deps: Deps, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions, REP, "Acme Corp", date(2026, 9, 1))
    _seed(sessions, REP, "Initech", date(2026, 9, 1))

    seen = plan(REP, "reviewed acme")

    assert "Acme Corp reviewed today" in seen and "Next review due Sun 27 Dec 2026" in seen
    reviewed = {p.account: p.last_reviewed for p in _plans(deps)}
    assert reviewed == {"Acme Corp": TODAY, "Initech": date(2026, 9, 1)}


def test_an_ambiguous_name_lists_the_candidates(
    plan: PlanCommand, deps: Deps, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions, REP, "Acme Corp", date(2026, 9, 1))
    _seed(sessions, REP, "Acme Labs", date(2026, 9, 1))

    seen = plan(REP, "reviewed ac")

    assert "ac matches 2 plans: Acme Corp, Acme Labs" in seen
    assert all(p.last_reviewed == date(2026, 9, 1) for p in _plans(deps))


def test_an_unknown_account_lists_yours(plan: PlanCommand, sessions: sessionmaker[Session]) -> None:
    _seed(sessions, REP, "Acme Corp", date(2026, 9, 1))
    _seed(sessions, OTHER_REP, "Globex", date(2026, 9, 1))

    seen = plan(REP, "reviewed Globex")

    assert "You have no plan for Globex" in seen and "Your plans: Acme Corp." in seen
    assert "no plan for Hooli" in plan(OTHER_REP, "remove Hooli")


def test_list_shows_due_dates_overdue_first(
    plan: PlanCommand, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions, REP, "Zeta", date(2026, 11, 20))
    _seed(sessions, REP, "Acme Corp", date(2026, 11, 27), QUARTERLY)
    _seed(sessions, REP, "Initech", date(2026, 9, 15))
    snoozed = _seed(sessions, REP, "Globex", date(2026, 8, 1))
    _seed(sessions, REP, "Hooli", date(2026, 10, 27))
    with sessions.begin() as session:
        snooze(session, TEAM, REP, snoozed, date(2026, 12, 4))

    lines = plan(REP, "list").splitlines()

    assert lines[0] == "Your account plans"
    assert lines[1].startswith(":red_circle: Initech — overdue, was due Thu 15 Oct 2026")
    assert lines[2].startswith(":large_yellow_circle: Hooli — due today")
    assert lines[3].startswith(":zzz: Globex — was due Tue 1 Sep 2026, snoozed until Fri 4 Dec")
    assert lines[4].startswith(":white_circle: Zeta — due Sun 20 Dec 2026 · monthly")
    assert lines[5].startswith(":white_circle: Acme Corp — due Sat 27 Feb 2027 · quarterly")


def test_remove_stops_tracking_the_plan(
    plan: PlanCommand, deps: Deps, sessions: sessionmaker[Session]
) -> None:
    _seed(sessions, REP, "Acme Corp", date(2026, 9, 1))

    assert "Removed the plan for Acme Corp" in plan(REP, "remove acme corp")
    assert _plans(deps) == []
    assert "No account plans yet" in plan(REP, "list")


def test_account_names_cannot_ping_or_link(
    plan: PlanCommand, deps: Deps, fake_slack: FakeSlack
) -> None:
    plan(REP, "list")  # registers the people on the fake
    client = WebClient(base_url=fake_slack.url, token=BOT_TOKEN)

    reply = answer_plan(deps, client, TEAM, REP, "add &lt;!channel&gt; &amp; Co")

    assert "<!channel>" not in reply and "&lt;!channel&gt; &amp; Co" in reply
    assert _plans(deps)[0].account == "<!channel> & Co"


def test_a_manager_adds_and_lists_plans_for_their_rep(plan: PlanCommand, deps: Deps) -> None:
    with deps.sessions.begin() as session:
        set_manager(session, TEAM, REP, MANAGER, None, FRIDAY_MORNING)

    seen = plan(MANAGER, f"add Acme Corp quarterly for <@{REP}|rita>")

    assert "Added Acme Corp to @rita's plans, reviewed quarterly" in seen
    [stored] = _plans(deps, REP)
    assert (stored.owner_id, stored.created_by) == (REP, MANAGER)
    assert _plans(deps, MANAGER) == []
    assert "@rita's account plans" in plan(MANAGER, "list for @rita")
    assert "Acme Corp reviewed today (for @rita)" in plan(MANAGER, f"reviewed acme for <@{REP}>")


def test_only_the_reps_manager_or_an_admin_may_manage_their_plans(
    plan: PlanCommand, deps: Deps
) -> None:
    with deps.sessions.begin() as session:
        set_manager(session, TEAM, REP, MANAGER, None, FRIDAY_MORNING)

    refused = plan(OTHER_REP, f"add Acme Corp for <@{REP}|rita>")
    allowed = plan(ADMIN, f"add Initech for <@{REP}|rita>")

    assert "Only @rita's manager or a Tally admin" in refused
    assert "Added Initech to @rita's plans" in allowed
    assert [p.account for p in _plans(deps, REP)] == ["Initech"]


def test_unknown_words_show_the_plan_help(plan: PlanCommand) -> None:
    seen = plan(REP, "frobnicate Acme")

    assert "I don't know `/tally plan frobnicate`" in seen and "/tally plan list" in seen
    assert "/tally plan reviewed" in plan(REP, "")


# --- the reminder DM --------------------------------------------------------------------


def _read_draft(draft: Any) -> str:
    return as_read({"text": draft.text, "blocks": draft.blocks}, lambda _id: None).replace("*", "")


def test_a_reminder_lists_overdue_plans_with_both_buttons(sessions: sessionmaker[Session]) -> None:
    _seed(sessions, REP, "Initech", date(2026, 9, 15))
    _seed(sessions, REP, "Acme Corp", date(2026, 10, 1))
    _seed(sessions, REP, "Hooli", date(2026, 10, 27))  # due today: not yet overdue
    snoozed = _seed(sessions, REP, "Globex", date(2026, 8, 1))
    with sessions.begin() as session:
        snooze(session, TEAM, REP, snoozed, date(2026, 12, 4))
        [draft] = reminder_drafts(session, REMINDER_SLOT, FRIDAY_MORNING)

    assert (draft.kind, draft.recipient, draft.period) == (KIND, REP, "2026-11-27")
    seen = _read_draft(draft)
    assert seen.index("Initech — was due Thu 15 Oct") < seen.index("Acme Corp — was due Sun 1 Nov")
    assert "Hooli" not in seen and "Globex" not in seen
    assert seen.count("[Mark reviewed] [Snooze 7 days]") == 2
    assert "2 account plans are overdue" in draft.text


def test_reminders_wait_for_a_weekday_morning_in_the_owners_zone(
    sessions: sessionmaker[Session],
) -> None:
    _seed(sessions, REP, "Acme Corp", date(2026, 9, 1))
    _seed(sessions, ADMIN, "Initech", date(2026, 9, 1), tz="Pacific/Auckland")

    def recipients(now: datetime) -> list[str]:
        with sessions() as session:
            return [d.recipient for d in reminder_drafts(session, REMINDER_SLOT, now)]

    assert recipients(datetime(2026, 11, 27, 13, 59, tzinfo=UTC)) == []  # 08:59 NY; Sat Auckland
    assert recipients(datetime(2026, 11, 27, 14, 0, tzinfo=UTC)) == [REP]  # 09:00 NY
    assert recipients(datetime(2026, 11, 29, 19, 59, tzinfo=UTC)) == []  # Sun NY; 08:59 Mon
    assert recipients(datetime(2026, 11, 29, 20, 0, tzinfo=UTC)) == [ADMIN]  # 09:00 Mon Auckland
    with sessions() as session:
        forced = reminder_drafts(session, None, datetime(2026, 11, 28, 15, 0, tzinfo=UTC))
    assert sorted(d.recipient for d in forced) == sorted([REP, ADMIN])


def test_a_long_reminder_stays_within_block_kit_limits(sessions: sessionmaker[Session]) -> None:
    for n in range(MAX_PLANS_SHOWN + 7):
        _seed(sessions, REP, f"Account {n:02d} " + "x" * 180, date(2026, 9, 1))
    with sessions() as session:
        [draft] = reminder_drafts(session, REMINDER_SLOT, FRIDAY_MORNING)

    assert len(draft.blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in draft.blocks)
    assert "…and 7 more overdue" in _read_draft(draft)
    assert len(draft.text) <= 3000


def test_overdue_for_team_feeds_the_managers_digest(sessions: sessionmaker[Session]) -> None:
    _seed(sessions, REP, "Acme Corp", date(2026, 10, 1))
    _seed(sessions, REP, "Hooli", date(2026, 11, 1))
    _seed(sessions, OTHER_REP, "Initech", date(2026, 9, 15), QUARTERLY, tz="America/Chicago")
    snoozed = _seed(sessions, OTHER_REP, "Globex", date(2026, 8, 1))
    _seed(sessions, ADMIN, "Umbrella", date(2026, 1, 1))  # not on the team
    with sessions.begin() as session:
        for rep in (REP, OTHER_REP):
            set_manager(session, TEAM, rep, MANAGER, None, FRIDAY_MORNING)
        snooze(session, TEAM, OTHER_REP, snoozed, date(2026, 12, 4))
        found = overdue_for_team(session, TEAM, {MANAGER}, FRIDAY_MORNING)
        quiet = overdue_for_team(session, TEAM, {MANAGER}, FRIDAY_MORNING, include_snoozed=False)
        nobody = overdue_for_team(session, TEAM, {ADMIN}, FRIDAY_MORNING)

    assert [(o.owner_id, o.account, o.due) for o in found] == [
        (OTHER_REP, "Globex", date(2026, 9, 1)),
        (REP, "Acme Corp", date(2026, 11, 1)),
    ]
    assert [(o.owner_id, o.account) for o in quiet] == [(REP, "Acme Corp")]
    assert nobody == []


# --- the buttons, end to end through `tally serve` ----------------------------------------


def _today_in_new_york() -> date:
    return local_date(datetime.now(UTC), "America/New_York")


def _reminder_for(tally: RunningTally, owner: str, accounts: list[str]) -> tuple[list[int], dict]:
    """Seed overdue plans, draft the owner's reminder and deliver it to their DM on the fake."""
    sessions = make_session_factory(tally.engine)
    last = _today_in_new_york() - timedelta(days=90)
    with sessions.begin() as session:
        ids = [
            add_plan(session, TEAM, owner, a, MONTHLY, last, owner, datetime.now(UTC))[0].id
            for a in accounts
        ]
        [draft] = reminder_drafts(session, None, datetime.now(UTC), team_id=TEAM)
    client = WebClient(base_url=tally.slack.url, token=BOT_TOKEN)
    client.chat_postMessage(channel=owner, text=draft.text, blocks=draft.blocks)
    return ids, tally.slack.messages[-1]


def _read(tally: RunningTally, payload: dict) -> str:
    return tally.read(payload).replace("*", "")


def _stored(tally: RunningTally, plan_id: int) -> AccountPlan:
    with make_session_factory(tally.engine)() as session:
        plan = session.get(AccountPlan, plan_id)
        assert plan is not None
        return plan


def _click(tally: RunningTally, user: str, action: str, plan_id: int, shown: dict) -> dict:
    reply = tally.signed.block_action(user, action, str(plan_id), message=shown)
    assert reply.status == 200
    return tally.later_reply()


def test_mark_reviewed_updates_the_plan_and_the_reminder(tally: RunningTally) -> None:
    [acme, initech], shown = _reminder_for(tally, REP, ["Acme Corp", "Initech"])

    updated = _click(tally, REP, "plan_reviewed", acme, shown)

    assert updated["replace_original"] is True
    seen = _read(tally, updated)
    assert "Acme Corp — reviewed today; next review due" in seen
    assert "Initech — was due" in seen and seen.count("[Mark reviewed]") == 1
    assert _stored(tally, acme).last_reviewed in {_today_in_new_york(), date.today()}
    assert _stored(tally, initech).last_reviewed < _today_in_new_york()

    shown = shown | {"blocks": updated["blocks"]}
    done = _read(tally, _click(tally, REP, "plan_snooze", initech, shown))
    assert "All caught up" in done and "[Mark reviewed]" not in done


def test_snooze_keeps_the_plan_out_of_reminders_for_a_week(tally: RunningTally) -> None:
    [acme], shown = _reminder_for(tally, REP, ["Acme Corp"])

    seen = _read(tally, _click(tally, REP, "plan_snooze", acme, shown))

    until = _stored(tally, acme).snoozed_until
    assert until is not None and until - _today_in_new_york() in {timedelta(7), timedelta(8)}
    assert f"Acme Corp — snoozed until {until:%a %-d %b %Y}" in seen
    with make_session_factory(tally.engine)() as session:
        assert reminder_drafts(session, None, datetime.now(UTC)) == []
        week_later = datetime.now(UTC) + timedelta(days=8)
        assert [d.recipient for d in reminder_drafts(session, None, week_later)] == [REP]


def test_only_the_owner_can_press_the_buttons(tally: RunningTally) -> None:
    [acme], shown = _reminder_for(tally, REP, ["Acme Corp"])
    before = _stored(tally, acme).last_reviewed

    refused = _click(tally, OTHER_REP, "plan_reviewed", acme, shown)

    assert "among yours" in tally.read(refused) and "@rita" not in tally.read(refused)
    assert refused.get("replace_original") is False
    assert _stored(tally, acme).last_reviewed == before
    assert _stored(tally, acme).snoozed_until is None
