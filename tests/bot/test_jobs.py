"""The clock's tick, in process with a frozen clock: on time in every zone, and only once; and
what an operator command's summary says when Slack hangs, a sender dies or Slack refuses."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.app import utc_now, web_client
from bot.delivery import METADATA_EVENT_TYPE, Deliverer
from bot.fakeslack import FakeSlack
from bot.fakeslack.readable import as_read
from bot.jobs import JobSummary, run_job, tick
from bot.settings import Settings, load_settings
from handlers.deps import Deps
from handlers.digest import redraft_changed
from handlers.nudges import nudges_due
from handlers.recording import record_entry
from handlers.reminders import reminder_drafts
from scoring.parser import parse_log_text
from scoring.plans import MONTHLY
from scoring.schedule import parse_slot
from scoring.team_settings import SCHEDULED, Defaults, TeamSettings, changes
from scoring.weeks import local_date
from storage.members import get_member, set_nudges
from storage.outbox import Draft, claim_due, enqueue, remember_channel
from storage.plans import add_plan
from storage.team_settings import save_settings
from tests.fixtures.fake_time import FakeTime
from tests.fixtures.seed import TEAM, Seeder
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

SYDNEY_BOSS, NEW_YORK_BOSS = "U0SYD", "U0NYC"
SYDNEY_REP, NEW_YORK_REP = "U0SREP", "U0NREP"
# Saturday 16:30 in New York, Sunday 08:30 in Sydney: working hours for both managers.
SATURDAY_BOTH_AWAKE = "2026-11-28 21:30:00"


class ManualTime:
    """Sleep and monotonic for the rate limiter while freezegun holds the wall clock."""

    def __init__(self) -> None:
        self.now, self.slept = 0.0, []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def settings(fake_slack: FakeSlack) -> Settings:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url,
    }
    return load_settings(env)


@pytest.fixture
def manual_time() -> ManualTime:
    return ManualTime()


@pytest.fixture
def deliverer(session_factory, settings, manual_time) -> Deliverer:
    return Deliverer(
        session_factory,
        web_client(settings),
        utc_now,
        sleep=manual_time.sleep,
        monotonic=manual_time.monotonic,
    )


@pytest.fixture
def two_teams(session_factory: sessionmaker[Session]) -> Seeder:
    seed = Seeder(session_factory)
    start = datetime(2026, 11, 23, 1, tzinfo=UTC)
    for user_id, tz in (
        (SYDNEY_BOSS, "Australia/Sydney"),
        (SYDNEY_REP, "Australia/Sydney"),
        (NEW_YORK_BOSS, "America/New_York"),
        (NEW_YORK_REP, "America/New_York"),
    ):
        seed.person(user_id, tz, start)
    seed.team(SYDNEY_BOSS, [SYDNEY_REP], date(2026, 11, 2), start)
    seed.team(NEW_YORK_BOSS, [NEW_YORK_REP], date(2026, 11, 2), start)
    seed.log(
        SYDNEY_REP, "demo_self_led", 2, datetime(2026, 11, 24, 1, tzinfo=UTC), "Australia/Sydney"
    )
    seed.log(NEW_YORK_REP, "call", 30, datetime(2026, 11, 24, 15, tzinfo=UTC), "America/New_York")
    return seed


def _tick_at(moment: str, settings, sessions, deliverer) -> None:
    with freeze_time(moment):
        tick(settings, sessions, deliverer, utc_now())


def _digests(fake_slack: FakeSlack) -> dict[str, list[dict]]:
    """Digest posts Slack accepted, by DM channel."""
    posts = [c for c in fake_slack.calls_to("chat.postMessage") if c.status == 200]
    found: dict[str, list[dict]] = {}
    for call in posts:
        if (
            call.args.get("metadata", {})
            .get("event_payload", {})
            .get("key", "")
            .startswith("digest")
        ):
            found.setdefault(call.args["channel"], []).append(call.args)
    return found


def test_each_manager_gets_the_digest_at_their_own_friday_3pm(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    # Friday 15:30 in Sydney is Thursday 23:30 in New York.
    _tick_at("2026-11-27 04:30:00", settings, session_factory, deliverer)
    assert set(_digests(fake_slack)) == {f"D{SYDNEY_BOSS}"}

    _tick_at("2026-11-27 19:59:00", settings, session_factory, deliverer)  # 14:59 in New York
    assert set(_digests(fake_slack)) == {f"D{SYDNEY_BOSS}"}

    _tick_at("2026-11-27 20:01:00", settings, session_factory, deliverer)  # 15:01 in New York
    _tick_at("2026-11-27 20:02:00", settings, session_factory, deliverer)
    digests = _digests(fake_slack)
    assert {channel: len(posts) for channel, posts in digests.items()} == {
        f"D{SYDNEY_BOSS}": 1,
        f"D{NEW_YORK_BOSS}": 1,
    }
    sydney = as_read(digests[f"D{SYDNEY_BOSS}"][0], lambda u: u)
    assert "50 / 500 pts" in sydney.replace("*", "")


def test_a_workspace_s_own_digest_time_and_goal_from_slack_drive_the_tick(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    chosen = TeamSettings(weekly_goal=400, schedule={"digest": parse_slot("thu 10:00")})
    with session_factory.begin() as session:
        save_settings(
            session,
            TEAM,
            "U0ADMIN",
            chosen,
            lambda before, after: changes(before, after, _defaults(settings)),
            datetime(2026, 11, 23, tzinfo=UTC),
        )

    _tick_at("2026-11-26 14:59:00", settings, session_factory, deliverer)  # 09:59 in New York
    assert f"D{NEW_YORK_BOSS}" not in _digests(fake_slack)
    _tick_at("2026-11-26 15:01:00", settings, session_factory, deliverer)  # Thu 10:01
    _tick_at("2026-11-27 20:01:00", settings, session_factory, deliverer)  # Fri 15:01: not again

    [digest] = _digests(fake_slack)[f"D{NEW_YORK_BOSS}"]
    assert "30 / 400 pts" in as_read(digest, lambda u: u).replace("*", "")


def _defaults(settings: Settings) -> Defaults:
    slots = {name: getattr(settings.schedules, name) for name in SCHEDULED}
    return Defaults(settings.rules, slots, settings.leaderboard_channel)


def test_a_clock_down_on_friday_catches_up_the_next_morning_but_not_after_monday_noon(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    # Mon 13:00 in New York, Tue 05:00 in Sydney: both managers' Monday noon has passed.
    _tick_at("2026-11-30 18:00:00", settings, session_factory, deliverer)
    assert _digests(fake_slack) == {}

    _tick_at("2026-11-28 15:00:00", settings, session_factory, deliverer)  # Sat 10:00 NY
    # Sunday 02:00 in Sydney: the late digest waits for the morning instead of waking him.
    assert set(_digests(fake_slack)) == {f"D{NEW_YORK_BOSS}"}

    _tick_at("2026-11-28 20:59:00", settings, session_factory, deliverer)  # Sun 07:59 Sydney
    assert set(_digests(fake_slack)) == {f"D{NEW_YORK_BOSS}"}
    _tick_at("2026-11-28 21:00:00", settings, session_factory, deliverer)  # Sun 08:00 Sydney
    assert set(_digests(fake_slack)) == {f"D{SYDNEY_BOSS}", f"D{NEW_YORK_BOSS}"}


def test_a_late_digest_is_not_sent_in_the_evening_but_the_next_morning(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    # The clock was down from Friday 15:00 and comes back at 18:30 in New York.
    _tick_at("2026-11-27 23:30:00", settings, session_factory, deliverer)
    _tick_at("2026-11-28 12:59:00", settings, session_factory, deliverer)  # Sat 07:59 NY
    assert f"D{NEW_YORK_BOSS}" not in _digests(fake_slack)

    _tick_at("2026-11-28 13:00:00", settings, session_factory, deliverer)  # Sat 08:00 NY
    assert len(_digests(fake_slack)[f"D{NEW_YORK_BOSS}"]) == 1


def test_dst_end_moves_the_utc_moment_not_the_local_one(
    settings, session_factory, deliverer, fake_slack
) -> None:
    seed = Seeder(session_factory)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    seed.person("U0LON", "Europe/London", start)
    seed.person("U0LREP", "Europe/London", start)
    seed.team("U0LON", ["U0LREP"], None, start)
    # London left summer time on Sunday 25 October: 15:00 local on Friday 30 October is 15:00 UTC.
    _tick_at("2026-10-30 14:30:00", settings, session_factory, deliverer)
    assert _digests(fake_slack) == {}
    _tick_at("2026-10-30 15:00:30", settings, session_factory, deliverer)
    assert set(_digests(fake_slack)) == {"DU0LON"}


def test_rate_limited_post_waits_retry_after_and_sends_once(
    two_teams, settings, session_factory, deliverer, fake_slack, manual_time
) -> None:
    fake_slack.fail("chat.postMessage", 429, retry_after=3)

    _tick_at(SATURDAY_BOTH_AWAKE, settings, session_factory, deliverer)

    assert 3 in manual_time.slept
    assert {c: len(p) for c, p in _digests(fake_slack).items()} == {
        f"D{SYDNEY_BOSS}": 1,
        f"D{NEW_YORK_BOSS}": 1,
    }


def test_two_clocks_ticking_at_once_send_each_digest_once(
    two_teams, settings, session_factory, fake_slack
) -> None:
    clocks = []
    for _ in range(2):
        paced = ManualTime()
        clocks.append(
            Deliverer(
                session_factory,
                web_client(settings),
                utc_now,
                sleep=paced.sleep,
                monotonic=paced.monotonic,
            )
        )
    with freeze_time(SATURDAY_BOTH_AWAKE):
        barrier = threading.Barrier(2)

        def run(deliverer: Deliverer) -> None:
            barrier.wait()
            tick(settings, session_factory, deliverer, utc_now())

        threads = [threading.Thread(target=run, args=(d,)) for d in clocks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert {c: len(p) for c, p in _digests(fake_slack).items()} == {
        f"D{SYDNEY_BOSS}": 1,
        f"D{NEW_YORK_BOSS}": 1,
    }


def _dying_web_process(sessions: sessionmaker[Session], settings: Settings) -> Deps:
    """What a web process's handlers get, where deferred work never runs."""
    return Deps(
        sessions=sessions,
        reads=sessions,
        rules=settings.rules,
        admins=frozenset(),
        clock=utc_now,
        defer=lambda _work: None,
    )


def _log_and_die(deps: Deps, user_id: str, text: str) -> None:
    """What `/log` stores, in its one transaction, from a web process that then dies: nothing
    after the reply (deferred work) ever runs."""
    with deps.sessions.begin() as session:
        member = get_member(session, TEAM, user_id)
        assert member is not None
        today = local_date(deps.clock(), member.tz)
        rules = deps.rules_in(session, TEAM)
        parsed = parse_log_text(text, rules.catalog, today)
        record_entry(
            deps, session, member, rules, parsed, source="slash", key=text, logged_by=user_id
        )


def test_a_late_entry_edits_the_sent_digest_in_place_until_monday_noon(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    """Before, the web process re-drafted the digest after its reply: one that died (or met a
    busy database) then left the manager's digest showing the old total for good."""
    _tick_at(SATURDAY_BOTH_AWAKE, settings, session_factory, deliverer)
    assert len(_digests(fake_slack)[f"D{NEW_YORK_BOSS}"]) == 1
    deps = _dying_web_process(session_factory, settings)

    with freeze_time("2026-11-29 14:00:00"):  # Sunday: the rep logs Friday's demo late
        _log_and_die(deps, NEW_YORK_REP, "demo self-led friday")
    _tick_at("2026-11-29 14:01:00", settings, session_factory, deliverer)

    [update] = fake_slack.calls_to("chat.update")
    assert update.args["channel"] == f"D{NEW_YORK_BOSS}"
    assert "55 / 500 pts" in as_read(update.args, lambda u: u).replace("*", "")
    posted_ts = [m["ts"] for m in fake_slack.messages_in(f"D{NEW_YORK_BOSS}")]
    assert len(posted_ts) == 1
    _tick_at("2026-11-29 14:02:00", settings, session_factory, deliverer)
    assert len(fake_slack.calls_to("chat.update")) == 1  # edited once, not every tick

    with freeze_time("2026-11-30 17:30:00"):  # Monday 12:30 in New York: the week is closed
        _log_and_die(deps, NEW_YORK_REP, "demo self-led last friday")
    _tick_at("2026-11-30 17:31:00", settings, session_factory, deliverer)
    assert len(fake_slack.calls_to("chat.update")) == 1


class _PausedBeforeWriting:
    """A clock's sessions whose write after drafting waits for `meanwhile` first: one clock
    has drafted a digest again when another redrafts it too (the first `begin` settles)."""

    def __init__(self, sessions: sessionmaker[Session], meanwhile) -> None:
        self._sessions, self._meanwhile, self._begun = sessions, meanwhile, 0
        self.kw = sessions.kw  # what they are bound to, as a sessionmaker says

    def __call__(self) -> Session:
        return self._sessions()

    def begin(self):
        self._begun += 1
        if self._begun == 2:
            self._meanwhile()
        return self._sessions.begin()


def test_two_clocks_redrafting_one_digest_leave_it_showing_the_newest_total(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    """Clock A drafts after the first late entry, then a second lands and clock B redrafts
    with both before A writes. Before, each took back the changes it had seen from one count
    and A's older draft landed last: the digest showed 55 points until some later change."""
    _tick_at(SATURDAY_BOTH_AWAKE, settings, session_factory, deliverer)
    deps = _dying_web_process(session_factory, settings)

    with freeze_time("2026-11-29 14:00:00"):
        _log_and_die(deps, NEW_YORK_REP, "demo self-led friday")

        def clock_b() -> None:
            _log_and_die(deps, NEW_YORK_REP, "12 calls friday")
            assert redraft_changed(session_factory, settings.rules, utc_now()) == 1

        clock_a = _PausedBeforeWriting(session_factory, clock_b)
        assert redraft_changed(clock_a, settings.rules, utc_now()) == 1
    _tick_at("2026-11-29 14:01:00", settings, session_factory, deliverer)
    _tick_at("2026-11-29 14:02:00", settings, session_factory, deliverer)

    updates = fake_slack.calls_to("chat.update")
    assert updates, "the digest was never edited"
    assert "67 / 500 pts" in as_read(updates[-1].args, lambda u: u).replace("*", "")


def test_pace_nudges_reach_reps_behind_at_their_own_wednesday_noon(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    def nudged() -> list[str]:
        return [
            c.args["channel"]
            for c in fake_slack.calls_to("chat.postMessage")
            if c.args["metadata"]["event_payload"]["key"].startswith("nudge")
        ]

    _tick_at("2026-11-25 01:30:00", settings, session_factory, deliverer)  # 12:30 Sydney
    assert nudged() == [f"D{SYDNEY_REP}"]

    with session_factory.begin() as session:
        set_nudges(session, TEAM, NEW_YORK_REP, False, utc_now())
    _tick_at("2026-11-25 17:30:00", settings, session_factory, deliverer)  # 12:30 in New York
    assert nudged() == [f"D{SYDNEY_REP}"]

    with session_factory.begin() as session:
        set_nudges(session, TEAM, NEW_YORK_REP, True, utc_now())
    _tick_at("2026-11-25 17:31:00", settings, session_factory, deliverer)
    _tick_at("2026-11-25 17:32:00", settings, session_factory, deliverer)
    assert nudged() == [f"D{SYDNEY_REP}", f"D{NEW_YORK_REP}"]
    text = fake_slack.calls_to("chat.postMessage")[-1].args["text"]
    assert "30 / 500 pts" in text  # the suggestion's wording is scoring.pace's to test
    assert not [c for c in fake_slack.calls_to("chat.postMessage") if "digest" in str(c.args)]


def test_a_late_pace_nudge_waits_for_working_hours_and_lapses_with_its_day(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    """The clock was down over Wednesday noon; it comes back at 22:57 in Sydney."""

    def nudged() -> list[str]:
        return [
            c.args["channel"]
            for c in fake_slack.calls_to("chat.postMessage")
            if c.args["metadata"]["event_payload"]["key"].startswith("nudge")
        ]

    _tick_at("2026-11-25 11:57:00", settings, session_factory, deliverer)  # Wed 22:57 Sydney
    assert nudged() == []
    _tick_at("2026-11-25 21:30:00", settings, session_factory, deliverer)  # Thu 08:30 Sydney
    assert nudged() == [f"D{NEW_YORK_REP}"]  # Wed 16:30 in New York: still its day
    _tick_at("2026-11-25 23:30:00", settings, session_factory, deliverer)  # Wed 18:30 NY
    assert nudged() == [f"D{NEW_YORK_REP}"]


def test_the_clock_does_not_redraft_what_it_already_queued(
    two_teams, settings, session_factory, deliverer, fake_slack
) -> None:
    with session_factory.begin() as session:
        add_plan(
            session, TEAM, NEW_YORK_REP, "Acme", MONTHLY, date(2026, 9, 1), NEW_YORK_REP, utc_now()
        )
    wednesday_1pm_new_york = "2026-11-25 18:00:00"
    _tick_at(wednesday_1pm_new_york, settings, session_factory, deliverer)
    sent = [
        c.args["metadata"]["event_payload"]["key"] for c in fake_slack.calls_to("chat.postMessage")
    ]
    assert f"plan_reminder:{NEW_YORK_REP}:2026-11-25" in sent
    assert f"nudge:{NEW_YORK_REP}:2026-W48" in sent

    with freeze_time(wednesday_1pm_new_york), session_factory() as session:
        schedules = settings.schedules
        assert reminder_drafts(session, schedules.reminders, utc_now()) == []
        assert nudges_due(session, settings.rules, schedules.nudges, utc_now()) == []
        # The operator's "send now" still drafts them, so its summary says "already sent".
        assert len(reminder_drafts(session, None, utc_now())) == 1


# --- what an operator command reports: counts that add up, every failure with its cause ------

HUNG_CALL = timedelta(seconds=30)  # what a hung call costs a sender on slack_sdk's timeout
LEASE = timedelta(minutes=5)


def _digest_drafts(count: int, time: FakeTime) -> list[Draft]:
    return [
        Draft(
            team_id=TEAM,
            kind="digest",
            recipient=f"U0MGR{n:02d}",
            period="2026-W48",
            text=f"digest {n}",
            blocks=[],
            editable_until=time.now() + timedelta(days=3),
        )
        for n in range(count)
    ]


def _run(sessions, sender: Deliverer, drafts: list[Draft], time: FakeTime) -> JobSummary:
    return run_job(sessions, sender, lambda _session, _now: drafts, time.now(), sleep=time.sleep)


def _sender(sessions, client: WebClient, time: FakeTime) -> Deliverer:
    return Deliverer(sessions, client, time.now, sleep=time.sleep, monotonic=time.monotonic)


def _posts_per_key(fake_slack: FakeSlack) -> dict[str, int]:
    keys = [
        call.args["metadata"]["event_payload"]["key"]
        for call in fake_slack.calls_to("chat.postMessage")
        if call.status == 200
    ]
    return {key: keys.count(key) for key in keys}


def test_a_digest_run_with_ten_hung_posts_reports_what_really_happened(
    session_factory, fake_slack
) -> None:
    """Before: "0 sent, 20 failed" after 317 s, 18 of them only lease-lost by the run itself."""
    time = FakeTime()
    drafts = _digest_drafts(20, time)
    with fake_slack.stall("chat.postMessage", times=10, on_stall=lambda: time.advance(HUNG_CALL)):
        client = WebClient(base_url=fake_slack.url, token=BOT_TOKEN, timeout=0.2)
        summary = _run(session_factory, _sender(session_factory, client, time), drafts, time)

    assert summary.line("digests 2026-W48") == (
        "digests 2026-W48: 18 sent, 0 already sent, 2 failed"
    )
    assert len(summary.problems) == 2
    for problem in summary.problems:
        assert problem.startswith("failed: digest for U0MGR0")
        assert "chat.postMessage got no answer within 0.2 s" in problem
    assert len(_posts_per_key(fake_slack)) == 18


def test_a_rerun_after_a_sender_died_reports_its_leases_not_failures_and_waits_little(
    session_factory, fake_slack, slack_client
) -> None:
    """A sender claimed three digests, posted one, and was killed (kill -9) before recording it."""
    time = FakeTime()
    drafts = _digest_drafts(3, time)
    with session_factory.begin() as session:
        for one in drafts:
            enqueue(session, one, time.now())
        dead = claim_due(session, time.now(), LEASE, 10)
        remember_channel(session, dead[0].id, "DU0MGR00")
    slack_client.chat_postMessage(
        channel="DU0MGR00",
        text="digest 0",
        metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": {"key": drafts[0].key}},
    )
    expires = time.now() + LEASE
    sender = _sender(session_factory, slack_client, time)

    rerun = _run(session_factory, sender, drafts, time)

    assert rerun.line("digests 2026-W48") == (
        "digests 2026-W48: 0 sent, 0 already sent, 3 waiting for another sender's lease "
        f"(expires {expires:%Y-%m-%d %H:%M} UTC), 0 failed"
    )
    assert rerun.problems == []
    assert not rerun.complete
    assert sum(time.sleeps) < 10  # a dead sender's lease is reported, not waited out
    assert fake_slack.calls_to("chat.postMessage")[1:] == []

    time.advance(LEASE)
    recovered = _run(session_factory, sender, drafts, time)

    # The killed run's post is found in Slack: "already sent", and not posted again.
    assert recovered.line("digests 2026-W48") == (
        "digests 2026-W48: 2 sent, 1 already sent, 0 failed"
    )
    assert _posts_per_key(fake_slack) == {one.key: 1 for one in drafts}


def test_a_digest_slack_refuses_is_abandoned_after_three_runs_and_reported_on_each_rerun(
    session_factory, fake_slack, slack_client
) -> None:
    time = FakeTime()
    [gone, kept] = _digest_drafts(2, time)
    sender = _sender(session_factory, slack_client, time)
    _run(session_factory, sender, [kept], time)
    fake_slack.fail("conversations.open", 200, times=3, error="channel_not_found")

    runs = [_run(session_factory, sender, [gone, kept], time) for _ in range(4)]

    lines = [run.line("digests 2026-W48") for run in runs]
    assert lines == [
        "digests 2026-W48: 0 sent, 1 already sent, 1 failed",
        "digests 2026-W48: 0 sent, 1 already sent, 1 failed",
        "digests 2026-W48: 0 sent, 1 already sent, 0 failed, 1 abandoned",
        "digests 2026-W48: 0 sent, 1 already sent, 0 failed, 1 abandoned",
    ]
    abandoned = (
        "abandoned: digest for U0MGR00 (2026-W48): Slack refused it 3 times: channel_not_found "
        f"(`tally outbox retry {gone.key}` sends it again)"
    )
    assert runs[2].problems == runs[3].problems == [abandoned]
    assert not runs[3].complete
    assert len(fake_slack.calls_to("conversations.open")) == 4  # 3 refused, 1 for the other
