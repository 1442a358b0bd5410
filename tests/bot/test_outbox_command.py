"""`tally outbox` and `tally outbox retry`, and what `tally digest` says after a sender died:
each command in its own process, on the real clock, a real database and the fake Slack.
"""

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bot.fakeslack import FakeSlack
from scoring.weeks import iso_week_label
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage
from storage.outbox import Draft, enqueue
from tests.fixtures.seed import TEAM, log, person, seeding, team
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

MONA, MIKE = "U0MONA", "U0MIKE"  # managers
RITA, RAVI = "U0RITA", "U0RAVI"  # their reps


def _week() -> str:
    return iso_week_label(datetime.now(UTC).date())


QUIET_CONFIG = Path(__file__).with_name("no_digest_chart.toml")  # the digest alone, no chart


def _env(slack_url: str, database_url: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    clean.pop("LOG_LEVEL", None)
    return {
        **clean,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_url,
        "DATABASE_URL": database_url,
        "TALLY_CONFIG": str(QUIET_CONFIG),
    }


def _tally(*args: str, slack: FakeSlack, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=_env(slack.url, database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _rows(database_url: str) -> list[OutboxMessage]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
    finally:
        engine.dispose()


def _set(database_url: str, **values: object) -> None:
    """Change every outbox row, as time passing (or an old release) would have left them."""
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            session.execute(update(OutboxMessage).values(**values))
    finally:
        engine.dispose()


@pytest.fixture
def slack(fake_slack: FakeSlack) -> FakeSlack:
    for user_id, name in [(MONA, "mona"), (MIKE, "mike"), (RITA, "rita"), (RAVI, "ravi")]:
        fake_slack.add_user(user_id, name, tz="UTC")
    return fake_slack


@pytest.fixture
def two_teams(database_url: str) -> None:
    """Mona manages Rita, Mike manages Ravi; both reps logged today."""
    today = datetime.now(UTC).date()
    with seeding(database_url) as session:
        for user_id in (MONA, MIKE, RITA, RAVI):
            person(session, user_id)
        team(session, MONA, [RITA])
        team(session, MIKE, [RAVI])
        log(session, RITA, "call", 3, day=today)
        log(session, RAVI, "call", 2, day=today)


# --- after a kill -9 ------------------------------------------------------------------------


def test_a_digest_rerun_after_kill_9_reports_the_dead_senders_leases_then_recovers(
    slack: FakeSlack, database_url: str, two_teams: None
) -> None:
    """`tally digest` is killed while Slack holds its first post unanswered (the post went
    through). An immediate rerun must say the two digests wait for that sender's lease, not
    that they failed; once the lease has run out, the next run finds the posted one in Slack
    and sends only the other."""
    week = _week()
    with slack.stall("chat.postMessage", after_serving=True) as hanging:
        killed = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "digest"],
            env=_env(slack.url, database_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert hanging.stalled.wait(60), "the digest never reached Slack"
        finally:
            killed.send_signal(signal.SIGKILL)
            killed.wait(10)
    assert len(slack.messages) == 1
    leases = [row.lease_until for row in _rows(database_url)]
    assert len(leases) == 2 and None not in leases
    expires = max(lease for lease in leases if lease is not None)

    rerun = _tally("digest", slack=slack, database_url=database_url)

    assert rerun.returncode == 1
    assert rerun.stdout.strip() == (
        f"digests {week}: 0 sent, 0 already sent, 2 waiting for another sender's lease "
        f"(expires {expires:%Y-%m-%d %H:%M} UTC), 0 failed"
    )
    assert rerun.stderr == ""
    assert len(slack.messages) == 1

    _set(database_url, lease_until=datetime.now(UTC) - timedelta(seconds=1))
    recovered = _tally("digest", slack=slack, database_url=database_url)

    assert recovered.returncode == 0, recovered.stderr
    assert recovered.stdout.strip() == f"digests {week}: 1 sent, 1 already sent, 0 failed"
    assert len(slack.messages_in("D" + MONA)) == 1
    assert len(slack.messages_in("D" + MIKE)) == 1


# --- tally outbox and tally outbox retry ---------------------------------------------------


@pytest.fixture
def one_team(database_url: str) -> None:
    """Only Mona's team, so a refusal injected on conversations.open is hers."""
    with seeding(database_url) as session:
        for user_id in (MONA, RITA):
            person(session, user_id)
        team(session, MONA, [RITA])
        log(session, RITA, "call", 3, day=datetime.now(UTC).date())


def _table(result: subprocess.CompletedProcess[str]) -> list[list[str]]:
    """The listing's rows, split on the runs of spaces that separate its columns."""
    lines = result.stdout.strip().split("\n\n")[0].splitlines()
    return [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines]


def test_nothing_unsent_is_said_in_one_friendly_line(slack: FakeSlack, database_url: str) -> None:
    everything = _tally("outbox", slack=slack, database_url=database_url)
    filtered = _tally(
        "outbox",
        "--status",
        "abandoned",
        "--week",
        "2026-w48",
        slack=slack,
        database_url=database_url,
    )

    assert (everything.returncode, everything.stdout) == (0, "Nothing unsent in the outbox.\n")
    assert (filtered.returncode, filtered.stdout) == (
        0,
        "No abandoned messages in the outbox for 2026-W48.\n",
    )
    assert slack.calls == []


def test_a_digest_refused_three_times_is_abandoned_listed_and_delivered_on_retry(
    slack: FakeSlack, database_url: str, one_team: None
) -> None:
    week = _week()
    key = f"digest:{MONA}:{week}"
    slack.fail("conversations.open", 200, times=3, error="user_not_found")

    runs = [_tally("digest", slack=slack, database_url=database_url) for _ in range(3)]

    assert [run.returncode for run in runs] == [1, 1, 1]
    assert runs[0].stdout.strip() == f"digests {week}: 0 sent, 0 already sent, 1 failed"
    assert "failed: digest for U0MONA" in runs[0].stderr and "user_not_found" in runs[0].stderr
    assert runs[2].stdout.strip() == (
        f"digests {week}: 0 sent, 0 already sent, 0 failed, 1 abandoned"
    )
    assert (
        f"  abandoned: digest for {MONA} ({week}): Slack refused it 3 times: user_not_found "
        f"(`tally outbox retry {key}` sends it again)"
    ) in runs[2].stderr.splitlines()

    listed = _tally("outbox", "--status", "abandoned", slack=slack, database_url=database_url)
    failed = _tally("outbox", "--status", "failed", slack=slack, database_url=database_url)

    assert listed.returncode == 0
    assert _table(listed) == [
        ["KEY", "KIND", "RECIPIENT", "PERIOD", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"],
        [
            key,
            "digest",
            MONA,
            week,
            "abandoned",
            "3",
            "never (abandoned)",
            "Slack refused it 3 times: user_not_found",
        ],
    ]
    assert "tally outbox retry KEY" in listed.stdout
    assert failed.stdout == "No failed messages in the outbox.\n"

    retried = _tally("outbox", "retry", key, slack=slack, database_url=database_url)

    assert retried.returncode == 0, retried.stderr
    assert retried.stdout.strip() == f"{key}: 1 sent, 0 already sent, 0 failed"
    assert len(slack.messages_in("D" + MONA)) == 1
    [row] = _rows(database_url)
    assert (row.status, row.refusals) == ("sent", 0)

    again = _tally("outbox", "retry", key, slack=slack, database_url=database_url)
    after = _tally("outbox", slack=slack, database_url=database_url)

    assert (again.returncode, again.stdout) == (
        0,
        f"digest for {MONA} ({week}): already in Slack; nothing to retry.\n",
    )
    assert after.stdout == "Nothing unsent in the outbox.\n"
    assert len(slack.calls_to("chat.postMessage")) == 1


def test_retry_of_an_unknown_key_says_so_and_changes_nothing(
    slack: FakeSlack, database_url: str, one_team: None
) -> None:
    slack.fail("chat.postMessage", 200, error="channel_not_found")
    _tally("digest", slack=slack, database_url=database_url)
    before = [(r.status, r.attempts, r.next_attempt_at) for r in _rows(database_url)]
    calls = len(slack.calls)

    result = _tally(
        "outbox", "retry", "digest:U0NOBODY:2026-W48", slack=slack, database_url=database_url
    )

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "tally: no message 'digest:U0NOBODY:2026-W48' in the outbox; `tally outbox` lists them.\n"
    )
    assert [(r.status, r.attempts, r.next_attempt_at) for r in _rows(database_url)] == before
    assert len(slack.calls) == calls


def test_a_key_in_two_teams_is_listed_by_team_and_retried_only_with_team(
    slack: FakeSlack, database_url: str
) -> None:
    now = datetime.now(UTC)
    board = {"kind": "leaderboard", "recipient": "C0SALES", "period": "2026-W48", "blocks": []}
    with seeding(database_url) as session:
        for team_id in (TEAM, "T0OTHER"):
            enqueue(session, Draft(team_id=team_id, text=f"board of {team_id}", **board), now)
    _set(database_url, status="failed", last_error="chat.postMessage answered HTTP 503")
    key = "leaderboard:C0SALES:2026-W48"

    listed = _tally("outbox", "--week", "2026-W48", slack=slack, database_url=database_url)
    ambiguous = _tally("outbox", "retry", key, slack=slack, database_url=database_url)
    chosen = _tally("outbox", "retry", key, "--team", TEAM, slack=slack, database_url=database_url)

    assert [line[:2] for line in _table(listed)] == [["TEAM", "KEY"], [TEAM, key], ["T0OTHER", key]]
    assert ambiguous.returncode == 2
    assert ambiguous.stderr == (
        f"tally: {key} is in the outbox of teams T0OTHER, T0TALLY: pass --team T….\n"
    )
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout.strip() == f"{key}: 1 sent, 0 already sent, 0 failed"
    assert [m["text"] for m in slack.messages_in("C0SALES")] == [f"board of {TEAM}"]
    assert {r.team_id: r.status for r in _rows(database_url)} == {TEAM: "sent", "T0OTHER": "failed"}


def test_outbox_refuses_a_week_that_is_not_one(slack: FakeSlack, database_url: str) -> None:
    result = _tally("outbox", "--week", "2026-W99", slack=slack, database_url=database_url)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("tally: --week")
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["outbox"], ["outbox", "retry"]])
def test_outbox_help_says_what_it_does_and_which_settings_it_reads(command: list[str]) -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bot.cli", *command, "--help"],
        env={k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_"))},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert shown.returncode == 0
    assert shown.stdout.startswith(f"usage: tally {' '.join(command)}")
    for name in ("SLACK_BOT_TOKEN", "SLACK_API_URL", "DATABASE_URL", "LOG_LEVEL"):
        assert name in shown.stdout
