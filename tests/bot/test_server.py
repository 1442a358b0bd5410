"""The HTTP endpoint as Slack and a load balancer see it: signatures and health."""

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot.fakeslack import FakeSlack
from tests.fixtures.server import REP, RunningTally, own_tally

FORM = "application/x-www-form-urlencoded"


def _log_body(tally: RunningTally) -> str:
    return urlencode(
        {
            "team_id": tally.slack.team_id,
            "user_id": REP,
            "command": "/log",
            "text": "demo self-led",
            "trigger_id": "1.2.3",
            "channel_id": "C0GENERAL",
        }
    )


def test_health_answers_once_the_database_does(tally: RunningTally) -> None:
    with urllib.request.urlopen(f"{tally.url}/healthz", timeout=5) as response:
        assert response.status == 200


def test_bad_signature_gets_401_and_stores_nothing(tally: RunningTally) -> None:
    reply = tally.signed.post(_log_body(tally), FORM, signature="v0=" + "0" * 64)

    assert reply.status == 401
    assert tally.entries() == []


def test_stale_signature_gets_401_and_stores_nothing(tally: RunningTally) -> None:
    reply = tally.signed.post(_log_body(tally), FORM, timestamp=int(time.time()) - 6 * 60)

    assert reply.status == 401
    assert tally.entries() == []


@pytest.fixture
def new_tally(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[RunningTally]:
    """A server started for the test alone: its log from the very start is read."""
    with own_tally(fake_slack, database_url, tmp_path / "serve.log") as running:
        yield running


def test_a_normal_start_prints_no_warning_an_operator_would_chase(
    new_tally: RunningTally,
) -> None:
    tally = new_tally
    tally.command(REP, "/log", "3 calls")  # the app is built and has answered once

    log = tally.log_text()
    assert "token will be unused" not in log
    assert "alembic" not in log  # migrations ran, quietly
