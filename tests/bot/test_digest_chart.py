"""The team chart that follows a manager's Friday digest: one PNG in their DM per digest, drawn
from the digest's own numbers, never uploaded again when the digest is edited or re-run, and
found rather than re-uploaded after a sender died mid-upload."""

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from PIL import Image
from slack_sdk import WebClient
from sqlalchemy.orm import Session, sessionmaker

from bot.delivery import Deliverer
from bot.fakeslack import FakeSlack
from handlers.digest_chart import chart_draft
from scoring.chart_data import RepBar
from scoring.weeks import iso_week_label
from storage.outbox import claim_due, enqueue, find_message
from tests.fixtures.seed import log, person, seeding, team
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

MONA, RITA, RAVI = "U0MONA", "U0RITA", "U0RAVI"


def _digest(slack: FakeSlack, database_url: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    env = clean | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": database_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "digest"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_digest_brings_one_team_chart_and_a_rerun_brings_no_second(
    fake_slack: FakeSlack, database_url: str
) -> None:
    for user_id, name in ((MONA, "mona"), (RITA, "rita"), (RAVI, "ravi")):
        fake_slack.add_user(user_id, name, tz="UTC")
    today = datetime.now(UTC).date()
    with seeding(database_url) as session:
        for user_id in (MONA, RITA, RAVI):
            person(session, user_id)
        team(session, MONA, [RITA, RAVI])
        log(session, RITA, "demo_self_led", 4, day=today)
        log(session, RAVI, "call", 30, day=today)

    first = _digest(fake_slack, database_url)

    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith("1 sent, 0 already sent, 0 failed")  # the digest
    [chart] = fake_slack.files_in("D" + MONA)
    assert chart.name == f"tally-team-{iso_week_label(today)}-{MONA}.png"
    assert chart.content.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(chart.content)) as image:
        assert image.format == "PNG" and image.size[0] >= 800
    upload = fake_slack.calls_to("files.getUploadURLExternal")[-1]
    alt = str(upload.args)
    assert "rita: 100 of 500" in alt and "ravi: 30 of 500" in alt  # names and numbers

    with seeding(database_url) as session:
        log(session, RAVI, "call", 5, day=today)  # a late entry: the digest is edited
    again = _digest(fake_slack, database_url)

    assert again.returncode == 0, again.stderr
    assert len(fake_slack.files_in("D" + MONA)) == 1
    assert len(fake_slack.messages_in("D" + MONA)) == 1  # the digest, edited in place


def test_a_sender_that_died_mid_upload_finds_the_chart_instead_of_uploading_again(
    session_factory: sessionmaker[Session], fake_slack: FakeSlack, slack_client: WebClient
) -> None:
    week = iso_week_label(datetime.now(UTC).date())
    draft = chart_draft("T0TALLY", MONA, week, [RepBar("rita", 100, 500), RepBar("ravi", 30, 500)])
    clock = lambda: datetime.now(UTC)  # noqa: E731 - the deliverer's clock
    with session_factory.begin() as session:
        enqueue(session, draft, clock())
    first = Deliverer(session_factory, slack_client, clock).deliver_due()
    assert first.outcomes[("T0TALLY", draft.key)] == "sent"
    with session_factory.begin() as session:  # as if the upload's answer had been lost
        row = find_message(session, "T0TALLY", draft.key)
        assert row is not None
        row.status, row.ts, row.attempts = "pending", None, 1

    again = Deliverer(session_factory, slack_client, clock).deliver_due()

    assert again.outcomes[("T0TALLY", draft.key)] == "found"
    assert len(fake_slack.files_in("D" + MONA)) == 1
    with session_factory.begin() as session:
        assert claim_due(session, clock() + timedelta(hours=1), timedelta(minutes=5), 10) == []
