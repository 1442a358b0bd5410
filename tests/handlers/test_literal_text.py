"""What people type comes back exactly as typed: `*Bold* Industries` is a plan name, not bold
text, and `<!channel>` in a note is five characters, not a ping — on every surface it reaches.

Payloads are read with `as_shown`, which pairs mrkdwn markers as Slack's client does and drops
the ones that pair, so a name reads back whole only if none of its markers took effect.
"""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.fakeslack.readable import as_shown, styled
from handlers.ids import Action
from scoring.weeks import local_date
from tests.fixtures.server import MANAGER, REP, RunningTally
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET
from tests.fixtures.teams import button_value, dms_to, join_team

ACCOUNT = "*Bold* Industries"
NOTE = "_urgent_ ~maybe~ `code`"
PINGS = "<!channel> & <@U0RAVI>"  # typed as text; Slack sends it escaped
PINGS_AS_SENT = "&lt;!channel&gt; &amp; &lt;@U0RAVI&gt;"


def _shows_literally(tally: RunningTally, payload: dict[str, Any] | None, typed: str) -> str:
    """Assert `typed` reads back whole and no part of it came out styled on its own."""
    tally.read(payload)  # Slack would accept it
    assert payload is not None
    shown = as_shown(payload, tally.slack.user_name)
    assert typed in shown, f"{typed!r} is not shown as typed in:\n{shown}"
    spans = styled(payload, tally.slack.user_name)
    restyled = [s for s in spans if s.text and s.text in typed and typed not in s.text]
    assert restyled == [], f"{typed!r} was formatted: {restyled}"
    return shown


def _operator(tally: RunningTally, database_url: str, *args: str) -> None:
    """`tally …` in its own process, as the clock or an operator runs it."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    env = clean | {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": tally.slack.url,
        "DATABASE_URL": database_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_plan_named_with_markers_reads_as_named_everywhere(
    tally: RunningTally, database_url: str
) -> None:
    join_team(tally, MANAGER, [REP])
    reviewed = local_date(datetime.now(UTC), "America/New_York") - timedelta(days=40)

    added = tally.later(REP, "/tally", f"plan add {ACCOUNT} reviewed {reviewed}")
    listed = tally.later(REP, "/tally", "plan list")
    _operator(tally, database_url, "reminders")
    _operator(tally, database_url, "digest")

    assert "Added" in _shows_literally(tally, added, ACCOUNT)
    assert "overdue" in _shows_literally(tally, listed, ACCOUNT)
    [reminder] = [m for m in dms_to(tally, REP) if button_value(m, Action.PLAN_REVIEWED)]
    _shows_literally(tally, reminder, ACCOUNT)
    assert ACCOUNT in as_shown({"text": reminder["text"]}, tally.slack.user_name)
    [digest] = [m for m in dms_to(tally, MANAGER) if "Weekly digest" in m["text"]]
    assert "Overdue account plans" in _shows_literally(tally, digest, ACCOUNT)

    value = button_value(reminder, Action.PLAN_REVIEWED)
    assert value is not None
    tally.signed.block_action(REP, Action.PLAN_REVIEWED, value, message=reminder)
    assert "reviewed today" in _shows_literally(tally, tally.later_reply(), ACCOUNT)


@pytest.mark.parametrize("typed, note", [(NOTE, NOTE), (PINGS_AS_SENT, PINGS)])
def test_a_note_reads_as_typed_on_its_receipt_and_its_undo(
    tally: RunningTally, typed: str, note: str
) -> None:
    receipt = tally.command(REP, "/log", f"demo self-led {typed}").json()
    undone = tally.command(REP, "/log", "undo").json()

    assert "Logged" in _shows_literally(tally, receipt, note)
    assert "Undone" in _shows_literally(tally, undone, note)
    assert "<!channel>" not in str(receipt) and "<@U0RAVI>" not in str(receipt)


def test_a_rep_named_with_markers_reads_as_named_in_their_managers_view(
    tally: RunningTally,
) -> None:
    name = "_rita_ ~the~ *closer*"
    tally.slack.add_user(REP, name, tz="America/New_York")
    join_team(tally, MANAGER, [REP])

    week = tally.later(MANAGER, "/tally", f"<@{REP}>")

    assert "hasn't logged anything yet" in _shows_literally(tally, week, name)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "command, text, echoed",
    [
        ("/log", "zz _so_ what", "zz _so_ what"),
        ("/tally", "board next *week* please", "next *week* please"),
        ("/tally", "plan remove _nope_ plan", "_nope_ plan"),
        ("/tally", "plan list for @_ghost_", "@_ghost_"),
        ("/tally", "nudges `on` now", "`on` now"),
        ("/tally", "`board` please", "/tally `board`"),
        ("/tally", f"team add <@{REP}> start `soon`", "`soon`"),
    ],
)
def test_what_was_typed_is_echoed_as_typed(
    tally: RunningTally, command: str, text: str, echoed: str
) -> None:
    ack = tally.command(MANAGER, command, text)
    body = ack.json()

    reply = body if body and body.get("text") else tally.later_reply()
    _shows_literally(tally, reply, echoed)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_plan_name_copied_from_tallys_reply_still_names_the_plan(tally: RunningTally) -> None:
    added = tally.later(REP, "/tally", f"plan add {ACCOUNT}")
    copied = next(
        line.split("Added ", 1)[1].split(",")[0].strip("*")
        for line in added["text"].splitlines()
        if "Added" in line
    )
    assert copied != ACCOUNT  # what Slack copies carries the invisible joiners Tally added

    reviewed = tally.later(REP, "/tally", f"plan reviewed {copied}")

    assert "reviewed today" in _shows_literally(tally, reviewed, ACCOUNT)
