"""Operator commands end to end: `tally digest|leaderboard|reminders|nudges` as an operator runs
them — their own process, the real clock, a real database and the fake Slack over HTTP.

Data is seeded relative to today, so whatever day the suite runs on, something is due now.
"""

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.fakeslack import FakeSlack
from bot.fakeslack.readable import as_read
from scoring.catalog import DEFAULT_CATALOG
from scoring.pace import pace_for
from scoring.team_settings import TeamSettings
from scoring.weeks import iso_week_label
from storage.db import make_engine, make_session_factory
from storage.team_settings import save_settings
from tests.fixtures.seed import TEAM, log, opt_out_of_nudges, person, plan, seeding, team
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

MONA, MIKE = "U0MONA", "U0MIKE"  # managers
RITA, RAVI = "U0RITA", "U0RAVI"  # Mona's rep, Mike's rep
SALES, WINS = "C0SALES", "C0WINS"


def _dm(user_id: str) -> str:
    """The DM channel the fake Slack delivers a post to a user into."""
    return "D" + user_id


def _today() -> date:
    return datetime.now(UTC).date()


def _week() -> str:
    return iso_week_label(_today())


def _tally(
    *args: str, slack: FakeSlack, database_url: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """`tally …` in its own process, with only the settings this test gives it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    clean.pop("LOG_LEVEL", None)
    env = {
        **clean,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _summary(result: subprocess.CompletedProcess[str]) -> str:
    """The one line an operator reads on stdout (logs go to stderr)."""
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, f"expected one summary line, got:\n{result.stdout}\n{result.stderr}"
    return lines[0]


def _read(slack: FakeSlack, message: dict) -> str:
    """What the recipient reads, bold markers dropped as Slack's client renders them."""
    return as_read(message, slack.user_name).replace("*", "")


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:
    for user_id, name in [(MONA, "mona"), (MIKE, "mike"), (RITA, "rita"), (RAVI, "ravi")]:
        fake_slack.add_user(user_id, name, tz="UTC")
    return fake_slack


@pytest.fixture
def two_teams(database_url: str) -> dict[str, int]:
    """Mona manages Rita, Mike manages Ravi; both reps logged this week. Returns their points."""
    today = _today()
    with seeding(database_url) as session:
        for user_id in (MONA, MIKE, RITA, RAVI):
            person(session, user_id)
        team(session, MONA, [RITA])
        team(session, MIKE, [RAVI])
        rita = log(session, RITA, "demo_self_led", 2, day=today)
        rita += log(session, RITA, "call", 12, day=today)
        ravi = log(session, RAVI, "meeting_booked", day=today)
    return {RITA: rita, RAVI: ravi}


# --- tally digest -------------------------------------------------------------------------


def test_digest_goes_to_each_manager_once_however_often_it_is_run(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    week = _week()

    first = _tally("digest", slack=slack, database_url=database_url)

    assert first.returncode == 0, first.stderr
    assert _summary(first) == f"digests {week}: 2 sent, 0 already sent, 0 failed"
    [to_mona] = slack.messages_in(_dm(MONA))
    [to_mike] = slack.messages_in(_dm(MIKE))
    mona_reads, mike_reads = _read(slack, to_mona), _read(slack, to_mike)
    assert f"Weekly digest · {week}" in mona_reads
    assert f"@rita — {two_teams[RITA]} / 500 pts" in mona_reads
    assert "@ravi" not in mona_reads
    assert f"@ravi — {two_teams[RAVI]} / 500 pts" in mike_reads
    assert "@rita" not in mike_reads
    assert str(two_teams[RITA]) in to_mona["text"]  # the notification's plain-text fallback

    again = _tally("digest", slack=slack, database_url=database_url)

    assert again.returncode == 0, again.stderr
    assert _summary(again) == f"digests {week}: 0 sent, 2 already sent, 0 failed"
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert len(slack.messages) == 2


def test_digest_for_another_week_is_a_separate_message(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    last_week = iso_week_label(_today() - timedelta(days=7))
    assert _tally("digest", slack=slack, database_url=database_url).returncode == 0

    earlier = _tally("digest", "--week", last_week.lower(), slack=slack, database_url=database_url)

    assert earlier.returncode == 0, earlier.stderr
    assert _summary(earlier) == f"digests {last_week}: 2 sent, 0 already sent, 0 failed"
    mona_digests = [_read(slack, m) for m in slack.messages_in(_dm(MONA))]
    assert len(mona_digests) == 2
    assert f"Weekly digest · {last_week}" in mona_digests[1]
    assert "@rita — 0 / 500 pts" in mona_digests[1]  # nothing was logged that week


def test_digest_refuses_a_week_that_does_not_exist(slack: FakeSlack, database_url: str) -> None:
    result = _tally("digest", "--week", "2026-W99", slack=slack, database_url=database_url)

    assert result.returncode == 2
    assert _one_line_error(result).startswith("tally: --week")
    assert "2026-W99" in result.stderr
    assert result.stdout == ""
    assert slack.calls == []


def test_digest_during_an_outage_delivers_the_others_then_the_rest_once(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    """Slack answers 500 to every try of the first digest; the second still goes out."""
    week = _week()
    slack.fail("chat.postMessage", 500, times=5)  # the sender's whole budget for one message

    during = _tally("digest", slack=slack, database_url=database_url)

    assert during.returncode == 1
    assert _summary(during) == f"digests {week}: 1 sent, 0 already sent, 1 failed"
    assert "failed: digest for U0M" in during.stderr
    assert "HTTP 500" in during.stderr
    delivered = {m["channel"] for m in slack.messages}
    assert len(delivered) == 1 and delivered <= {_dm(MONA), _dm(MIKE)}

    after = _tally("digest", slack=slack, database_url=database_url)

    assert after.returncode == 0, after.stderr
    assert _summary(after) == f"digests {week}: 1 sent, 1 already sent, 0 failed"
    assert len(slack.messages_in(_dm(MONA))) == 1
    assert len(slack.messages_in(_dm(MIKE))) == 1
    assert len(slack.messages) == 2


def test_digest_whose_answer_was_lost_is_not_posted_twice(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    """Slack posts the first digest but the answer is a 500: the retry finds it in history."""
    slack.fail("chat.postMessage", 500, times=1, after_serving=True)

    result = _tally("digest", slack=slack, database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert _summary(result) == f"digests {_week()}: 2 sent, 0 already sent, 0 failed"
    assert len(slack.messages_in(_dm(MONA))) == 1
    assert len(slack.messages_in(_dm(MIKE))) == 1
    assert len(slack.calls_to("chat.postMessage")) == 2
    assert slack.calls_to("conversations.history")


def test_two_digest_commands_at_once_send_each_digest_once(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    """Two operators (or a retrying cron) run `tally digest` at the same moment."""
    engine = make_engine(database_url)
    try:
        # Hold both commands at the outbox (PostgreSQL) or at their first write (SQLite's
        # BEGIN IMMEDIATE, within its 5 s busy timeout), then let them go together.
        with engine.connect() as connection:
            hold = connection.begin()
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")
            else:
                connection.exec_driver_sql("SELECT count(*) FROM outbox")
            with ThreadPoolExecutor(2) as pool:
                runs = [
                    pool.submit(_tally, "digest", slack=slack, database_url=database_url)
                    for _ in range(2)
                ]
                time.sleep(2)
                hold.rollback()
                results = [run.result() for run in runs]
    finally:
        engine.dispose()

    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    sent = [int(_summary(r).split(": ")[1].split(" sent")[0]) for r in results]
    assert sum(sent) == 2, [_summary(r) for r in results]
    assert len(slack.messages_in(_dm(MONA))) == 1
    assert len(slack.messages_in(_dm(MIKE))) == 1
    assert len(slack.calls_to("chat.postMessage")) == 2


class _CallTimes:
    """When each Web API call reached the fake, watched from a thread."""

    def __init__(self, slack: FakeSlack):
        self._slack = slack
        self.arrived: list[float] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._done.is_set():
            seen = len(self.arrived)
            try:
                self._slack.wait_until(lambda seen=seen: len(self._slack.calls) > seen, timeout=0.2)
            except TimeoutError:
                continue
            now = time.monotonic()
            self.arrived.extend([now] * (len(self._slack.calls) - seen))

    def __enter__(self) -> "_CallTimes":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()


def test_digest_rate_limited_waits_retry_after_and_posts_once(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    slack.fail("chat.postMessage", 429, times=1, retry_after=1)

    with _CallTimes(slack) as times:
        result = _tally("digest", slack=slack, database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert _summary(result) == f"digests {_week()}: 2 sent, 0 already sent, 0 failed"
    assert len(slack.messages_in(_dm(MONA))) == 1
    assert len(slack.messages_in(_dm(MIKE))) == 1
    calls = slack.calls
    posts = [i for i, call in enumerate(calls) if call.method == "chat.postMessage"]
    assert [calls[i].status for i in posts] == [429, 200, 200]
    limited, retried = posts[0], posts[1]
    assert calls[retried].args["channel"] == calls[limited].args["channel"]
    assert times.arrived[retried] - times.arrived[limited] >= 0.9  # Retry-After: 1


# --- tally leaderboard --------------------------------------------------------------------


def test_leaderboard_posts_once_per_week_and_channel(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    week = _week()

    first = _tally(
        "leaderboard", "--channel", SALES, "--channel", WINS, slack=slack, database_url=database_url
    )

    assert first.returncode == 0, first.stderr
    assert _summary(first) == f"leaderboards {week}: 2 sent, 0 already sent, 0 failed"
    [board] = slack.messages_in(SALES)
    assert len(slack.messages_in(WINS)) == 1
    reads = _read(slack, board)
    assert week in reads
    assert reads.index("@rita") < reads.index("@ravi")  # Rita has more points this week
    assert str(two_teams[RITA]) in reads and str(two_teams[RAVI]) in reads

    again = _tally("leaderboard", "--channel", SALES, slack=slack, database_url=database_url)

    assert again.returncode == 0, again.stderr
    assert _summary(again) == f"leaderboards {week}: 0 sent, 1 already sent, 0 failed"
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_leaderboard_channel_from_config(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int], tmp_path
) -> None:
    config = tmp_path / "tally.toml"
    config.write_text(f'leaderboard_channel = "{SALES}"\n')

    result = _tally("leaderboard", slack=slack, database_url=database_url, TALLY_CONFIG=str(config))

    assert result.returncode == 0, result.stderr
    assert _summary(result) == f"leaderboards {_week()}: 1 sent, 0 already sent, 0 failed"
    assert len(slack.messages_in(SALES)) == 1


def test_leaderboard_posts_team_boards_to_their_channels_and_ranks_no_manager(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int], tmp_path
) -> None:
    with seeding(database_url) as session:
        log(session, MONA, "closed_won", 4, day=_today())
    config = tmp_path / "tally.toml"
    config.write_text(f'leaderboard_channel = "{SALES}"\n[team_channels]\n"{MONA}" = "{WINS}"\n')

    result = _tally("leaderboard", slack=slack, database_url=database_url, TALLY_CONFIG=str(config))

    assert result.returncode == 0, result.stderr
    assert _summary(result) == f"leaderboards {_week()}: 2 sent, 0 already sent, 0 failed"
    [everyone] = [_read(slack, m) for m in slack.messages_in(SALES)]
    [monas] = [_read(slack, m) for m in slack.messages_in(WINS)]
    assert "@rita" in everyone and "@ravi" in everyone and "@mona —" not in everyone
    assert "@mona's team" in monas and "@rita" in monas and "@ravi" not in monas


def test_leaderboard_goes_to_the_channel_an_admin_picked_in_slack(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    with seeding(database_url) as session:
        save_settings(
            session,
            TEAM,
            "U0ADMIN",
            TeamSettings(leaderboard_channel=WINS),
            lambda before, after: [("Leaderboard channel", "none", WINS)],
            datetime.now(UTC),
        )

    result = _tally("leaderboard", slack=slack, database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert _summary(result) == f"leaderboards {_week()}: 1 sent, 0 already sent, 0 failed"
    assert len(slack.messages_in(WINS)) == 1


def test_leaderboard_without_a_channel_says_how_to_set_one(
    slack: FakeSlack, database_url: str
) -> None:
    result = _tally("leaderboard", slack=slack, database_url=database_url)

    assert result.returncode == 2
    assert "leaderboard_channel" in _one_line_error(result)
    assert slack.calls == []


# --- tally reminders ----------------------------------------------------------------------


def test_reminders_dm_each_owner_of_overdue_plans_once_a_day(
    slack: FakeSlack, database_url: str
) -> None:
    today = _today()
    with seeding(database_url) as session:
        for user_id in (RITA, RAVI, MIKE):
            person(session, user_id)
        plan(session, RITA, "Acme Corp", reviewed=today - timedelta(days=40))
        plan(session, RITA, "Globex", reviewed=today - timedelta(days=3))
        plan(session, RAVI, "Initech", reviewed=today - timedelta(days=45))
        plan(session, MIKE, "Umbrella", reviewed=today)  # nothing overdue: no reminder

    first = _tally("reminders", slack=slack, database_url=database_url)

    assert first.returncode == 0, first.stderr
    assert _summary(first) == f"plan reminders {today}: 2 sent, 0 already sent, 0 failed"
    [to_rita] = slack.messages_in(_dm(RITA))
    assert len(slack.messages_in(_dm(RAVI))) == 1
    assert slack.messages_in(_dm(MIKE)) == []
    reads = _read(slack, to_rita)
    assert "Acme Corp" in reads and "Globex" not in reads
    assert "[Mark reviewed] [Snooze 7 days]" in reads
    buttons = [
        element
        for block in to_rita["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert len(buttons) == 2 and all(b["type"] == "button" and b["value"] for b in buttons)

    again = _tally("reminders", slack=slack, database_url=database_url)

    assert again.returncode == 0, again.stderr
    assert _summary(again) == f"plan reminders {today}: 0 sent, 2 already sent, 0 failed"
    assert len(slack.calls_to("chat.postMessage")) == 2


def test_reminders_as_of_a_day_when_nothing_was_overdue(
    slack: FakeSlack, database_url: str
) -> None:
    today = _today()
    with seeding(database_url) as session:
        person(session, RITA)
        plan(session, RITA, "Acme Corp", reviewed=today - timedelta(days=40))
    back_then = today - timedelta(days=20)

    result = _tally(
        "reminders", "--as-of", back_then.isoformat(), slack=slack, database_url=database_url
    )

    assert result.returncode == 0, result.stderr
    assert _summary(result) == f"plan reminders {back_then}: 0 sent, 0 already sent, 0 failed"
    assert slack.calls_to("chat.postMessage") == []


def test_reminders_refuse_a_date_that_is_not_one(slack: FakeSlack, database_url: str) -> None:
    result = _tally("reminders", "--as-of", "next friday", slack=slack, database_url=database_url)

    assert result.returncode == 2
    assert "--as-of" in _one_line_error(result)
    assert slack.calls == []


# --- tally nudges -------------------------------------------------------------------------

# Zones to place the reps in, the plainest first: pace depends on the rep's wall time.
_CANDIDATE_ZONES = [
    "UTC",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Pacific/Kiritimati",
    "America/New_York",
    "America/Los_Angeles",
    "Pacific/Pago_Pago",
]


def _zone_where_an_idle_rep_is_behind() -> str | None:
    """A zone whose wall time now (and in two minutes) makes 0 points "behind" pace."""
    now = datetime.now(UTC)
    for name in _CANDIDATE_ZONES:
        moments = [(now + timedelta(minutes=m)).astimezone(ZoneInfo(name)) for m in (0, 2)]
        if all(pace_for(0, 500, m, DEFAULT_CATALOG).status == "behind" for m in moments):
            return name
    return None


@pytest.fixture
def nudge_zone() -> str:
    zone = _zone_where_an_idle_rep_is_behind()
    if zone is None:
        now = datetime.now(UTC)
        pytest.skip(
            f"at {now:%a %H:%M} UTC no candidate zone is past Monday 17:00 local in a working "
            "week, so pace calls nobody behind and no nudge is due"
        )
    return zone


def test_nudges_go_to_reps_behind_pace_in_their_goal_window_once(
    slack: FakeSlack, database_url: str, nudge_zone: str
) -> None:
    local_today = datetime.now(ZoneInfo(nudge_zone)).date()
    opted_out, newcomer, star = "U0OTTO", "U0NINA", "U0STAR"
    with seeding(database_url) as session:
        for user_id in (MONA, RITA, opted_out, newcomer, star):
            person(session, user_id, tz=nudge_zone)
        five_weeks_ago = local_today - timedelta(weeks=5)
        team(session, MONA, [RITA, opted_out, star], onboarding_start=five_weeks_ago)
        team(session, MONA, [newcomer], onboarding_start=local_today)  # week 1: no goal yet
        opt_out_of_nudges(session, opted_out)
        log(session, star, "demo_self_led", 20, day=local_today)  # 500: goal met

    first = _tally("nudges", slack=slack, database_url=database_url)

    assert first.returncode == 0, first.stderr
    assert _summary(first) == f"pace nudges {_today()}: 1 sent, 0 already sent, 0 failed"
    assert {m["channel"] for m in slack.messages} == {_dm(RITA)}
    reads = _read(slack, slack.messages[0])
    assert "0 / 500 pts" in reads
    assert "Onboarding week 6" in reads
    assert "/tally nudges off" in reads

    again = _tally("nudges", slack=slack, database_url=database_url)

    assert again.returncode == 0, again.stderr
    assert _summary(again).startswith(f"pace nudges {_today()}: 0 sent, ")
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_nudges_rerun_counts_the_nudge_already_sent(
    slack: FakeSlack, database_url: str, nudge_zone: str
) -> None:
    local_today = datetime.now(ZoneInfo(nudge_zone)).date()
    with seeding(database_url) as session:
        person(session, MONA, tz=nudge_zone)
        person(session, RITA, tz=nudge_zone)
        team(session, MONA, [RITA], onboarding_start=local_today - timedelta(weeks=5))
    assert _tally("nudges", slack=slack, database_url=database_url).returncode == 0

    again = _tally("nudges", slack=slack, database_url=database_url)

    assert _summary(again) == f"pace nudges {_today()}: 0 sent, 1 already sent, 0 failed"


# --- what the summary line and stderr say -------------------------------------------------


def test_digest_rerun_applies_the_edit_a_late_entry_left_pending(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    """No clock runs: Rita logs late after the digest went out, then the operator re-runs it."""
    week = _week()
    assert _tally("digest", slack=slack, database_url=database_url).returncode == 0
    [posted] = slack.messages_in(_dm(MONA))
    engine = make_engine(database_url)
    try:
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            late = log(session, RITA, "demo_self_led", day=_today())
    finally:
        engine.dispose()

    again = _tally("digest", slack=slack, database_url=database_url)

    assert again.returncode == 0, again.stderr
    assert _summary(again) == f"digests {week}: 0 sent, 1 updated, 1 already sent, 0 failed"
    [update] = slack.calls_to("chat.update")
    assert update.args["ts"] == posted["ts"]
    [edited] = slack.messages_in(_dm(MONA))
    assert f"@rita — {two_teams[RITA] + late} / 500 pts" in _read(slack, edited)
    assert len(slack.calls_to("chat.postMessage")) == 2


def _overdue_plan_for(user_id: str, tz: str, database_url: str) -> None:
    with seeding(database_url) as session:
        person(session, user_id, tz=tz)
        plan(session, user_id, "Acme Corp", reviewed=_today() - timedelta(days=40))


def test_reminders_as_of_today_are_sent_now(slack: FakeSlack, database_url: str) -> None:
    """Before 12:00 UTC --as-of today used to queue the reminder for noon and call it failed."""
    today = _today()
    _overdue_plan_for(RITA, "UTC", database_url)

    result = _tally(
        "reminders", "--as-of", today.isoformat(), slack=slack, database_url=database_url
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert _summary(result) == f"plan reminders {today}: 1 sent, 0 already sent, 0 failed"
    assert len(slack.messages_in(_dm(RITA))) == 1


def test_nudges_as_of_today_are_sent_now(
    slack: FakeSlack, database_url: str, nudge_zone: str
) -> None:
    local_today = datetime.now(ZoneInfo(nudge_zone)).date()
    with seeding(database_url) as session:
        person(session, MONA, tz=nudge_zone)
        person(session, RITA, tz=nudge_zone)
        team(session, MONA, [RITA], onboarding_start=local_today - timedelta(weeks=5))

    result = _tally(
        "nudges", "--as-of", local_today.isoformat(), slack=slack, database_url=database_url
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert _summary(result) == f"pace nudges {local_today}: 1 sent, 0 already sent, 0 failed"
    assert len(slack.messages_in(_dm(RITA))) == 1


def test_a_reminder_for_a_day_not_begun_in_the_owners_zone_is_not_due_not_failed(
    slack: FakeSlack, database_url: str
) -> None:
    """As of the day the world's first zone (UTC+14) is on, Samoa (UTC-11) has not begun it:
    true at any hour, so this runs whenever CI does."""
    zone = "Pacific/Pago_Pago"
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    _overdue_plan_for(RITA, zone, database_url)
    morning = datetime.combine(today, datetime.min.time(), ZoneInfo(zone)).replace(hour=8)

    result = _tally(
        "reminders", "--as-of", today.isoformat(), slack=slack, database_url=database_url
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert _summary(result) == (
        f"plan reminders {today}: 0 sent, 0 already sent, "
        f"1 not due (goes out from {morning.astimezone(UTC):%Y-%m-%d %H:%M} UTC), 0 failed"
    )
    assert result.stderr == ""
    assert slack.calls == []


@pytest.mark.parametrize("command", [["digest"], ["leaderboard", "--channel", SALES]])
def test_a_week_that_has_not_begun_is_refused(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int], command: list[str]
) -> None:
    later = iso_week_label(_today() + timedelta(days=14))

    result = _tally(*command, "--week", later, slack=slack, database_url=database_url)

    assert result.returncode == 2
    assert _one_line_error(result) == f"tally: --week {later} has not begun yet."
    assert slack.calls == []


def test_operator_commands_are_quiet_unless_asked(
    slack: FakeSlack, database_url: str, two_teams: dict[str, int]
) -> None:
    quiet = _tally("digest", slack=slack, database_url=database_url)

    assert quiet.returncode == 0
    assert quiet.stderr == ""  # no Alembic INFO lines, no outbox chatter

    verbose = _tally(
        "leaderboard", "--channel", SALES, "--verbose", slack=slack, database_url=database_url
    )

    assert verbose.returncode == 0
    assert "INFO alembic.runtime.migration" in verbose.stderr
    assert "outbox run:" in verbose.stderr
