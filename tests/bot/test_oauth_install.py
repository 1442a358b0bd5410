"""Two workspaces install Tally through the real OAuth redirect and run side by side.

`tally serve` in OAuth mode against the fake Slack: each workspace's admin goes through
/slack/install and Slack's consent page, reps log with /log, `tally digest` sends each manager
their digest with their own workspace's token, nothing crosses between the two, and uninstalling
one stops its messages while the other carries on.
"""

import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.fakeslack import FakeSlack
from bot.fakeslack.browser import install
from bot.fakeslack.signed_requests import SignedSlack
from bot.web import SLACK_PATH
from handlers.ids import Action
from storage.db import make_session_factory
from storage.members import get_member, set_manager
from storage.models import Activity, OutboxMessage, slack_bots
from storage.outbox import Draft, enqueue
from tests.fixtures.cli import run_tally
from tests.fixtures.server import RunningTally, tally_serving
from tests.fixtures.slack import SIGNING_SECRET

SLACK_ZONE = "America/New_York"  # every fake Slack profile's zone unless a test says

KEY = Fernet.generate_key().decode()
ACME, GLOBEX = "T0ACME", "T0GLOBEX"
PEOPLE = {
    ACME: [("U0ANNA", "anna", True), ("U0ARLO", "arlo", False)],  # manager (admin), rep
    GLOBEX: [("U0GINA", "gina", True), ("U0GARY", "gary", False)],
}


def _oauth_env(slack: FakeSlack) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "",
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "TALLY_SECRET_KEY": KEY,
    }


@pytest.fixture
def oauth_tally(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[RunningTally]:
    for team_id, people in PEOPLE.items():
        fake_slack.add_workspace(team_id, name=team_id.removeprefix("T0").title())
        for user_id, name, admin in people:
            fake_slack.add_user(user_id, name, is_admin=admin, team_id=team_id)
    with tally_serving(
        fake_slack, database_url, tmp_path / "serve.log", **_oauth_env(fake_slack)
    ) as running:
        yield running


def _install(tally: RunningTally, team_id: str) -> str:
    """An admin of `team_id` clicks Add to Slack and approves; the page Tally shows after."""
    done = install(tally.url, team_id)
    assert done.add_to_slack.status == 200 and "Add to Slack" in done.add_to_slack.body
    assert f"client_id={tally.slack.client_id}" in done.authorize_url
    assert "&scope=commands,chat:write,users:read," in done.authorize_url
    assert done.consent.status == 302
    assert done.done.status == 200, done.done.body
    return done.done.body


def _signed(tally: RunningTally, team_id: str) -> SignedSlack:
    return SignedSlack(tally.url + SLACK_PATH, SIGNING_SECRET, team_id=team_id, slack=tally.slack)


def _tally(*args: str, slack: FakeSlack, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {"SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.url}
    return run_tally(*args, env=env | _oauth_env(slack) | {"DATABASE_URL": database_url})


def _teams(engine: Engine) -> None:
    """Each workspace's rep on its manager's team, as `/tally team add` leaves it."""
    with make_session_factory(engine).begin() as session:
        for team_id, ((manager, _, _), (rep, _, _)) in PEOPLE.items():
            _on_team(session, team_id, rep, manager)


def _on_team(session: Session, team_id: str, rep: str, manager: str) -> None:
    """The manager ran `/tally team add`, so Tally knows their zone (the fake Slack's, as the
    reps'). Left in UTC, the digest of the manager's own week missed the reps' entries in the
    first hours of each Monday in UTC, while New York was still in the week before."""
    set_manager(session, team_id, rep, manager, None, datetime.now(UTC))
    boss = get_member(session, team_id, manager)
    assert boss is not None
    boss.tz = SLACK_ZONE


def _minted(slack: FakeSlack, team_id: str) -> set[str]:
    """The tokens Slack minted for `team_id` that Tally used."""
    return {
        c.token for c in slack.calls if c.token and slack.workspace_of_token(c.token) == team_id
    }


def test_two_workspaces_install_log_and_get_digests_each_with_its_own_token(
    oauth_tally: RunningTally, database_url: str
) -> None:
    tally, slack = oauth_tally, oauth_tally.slack
    for team_id in (ACME, GLOBEX):
        assert "Thank you!" in _install(tally, team_id)
    with tally.engine.connect() as connection:
        query = select(slack_bots.c.team_id, slack_bots.c.bot_token)
        stored = {team: token for team, token in connection.execute(query)}
    assert set(stored) == {ACME, GLOBEX}
    assert all(token.startswith("gAAAAA") for token in stored.values())  # sealed at rest

    acme, globex = _signed(tally, ACME), _signed(tally, GLOBEX)
    assert "12 calls" in tally.read(acme.command("U0ARLO", "/log", "12 calls").json())
    assert "demo" in tally.read(globex.command("U0GARY", "/log", "demo self-led").json())
    _teams(tally.engine)

    result = _tally("digest", slack=slack, database_url=database_url)

    assert result.returncode == 0, result.stderr
    [to_anna] = [m for m in slack.messages_of(ACME) if m["channel"] == "DU0ANNA"]
    [to_gina] = [m for m in slack.messages_of(GLOBEX) if m["channel"] == "DU0GINA"]
    anna_reads, gina_reads = json.dumps(to_anna["blocks"]), json.dumps(to_gina["blocks"])
    assert "12 pts" in to_anna["text"] and "25 pts" in to_gina["text"]
    assert "U0ARLO" in anna_reads and "U0GARY" not in anna_reads
    assert "U0GARY" in gina_reads and "U0ARLO" not in gina_reads
    for post in slack.calls_to("chat.postMessage"):
        assert slack.workspace_of_token(post.token) == post.team_id
    assert _minted(slack, ACME) and _minted(slack, GLOBEX)
    assert _minted(slack, ACME).isdisjoint(_minted(slack, GLOBEX))


def test_a_request_signed_for_one_workspace_never_reaches_the_other_s_rows(
    oauth_tally: RunningTally,
) -> None:
    tally = oauth_tally
    for team_id in (ACME, GLOBEX):
        _install(tally, team_id)
    globex = _signed(tally, GLOBEX)
    receipt = globex.command("U0GARY", "/log", "closed won Globex $9,000").json()
    [garys] = tally.entries("U0GARY")

    acme = _signed(tally, ACME)
    board = tally.read(acme.command("U0ANNA", "/tally", "board").json())
    assert "gary" not in board.lower() and "9,000" not in board
    # Arlo in Acme clicks an Undo button carrying the id of Gary's entry in Globex.
    click = acme.block_action("U0ARLO", Action.UNDO, str(garys.id), message=receipt)
    assert click.status == 200
    [still] = tally.entries("U0GARY")
    assert (still.id, still.team_id, still.deleted_at) == (garys.id, GLOBEX, None)


def test_uninstalling_one_workspace_stops_its_messages_and_keeps_its_data(
    oauth_tally: RunningTally, database_url: str
) -> None:
    tally, slack = oauth_tally, oauth_tally.slack
    for team_id in (ACME, GLOBEX):
        _install(tally, team_id)
    _signed(tally, ACME).command("U0ARLO", "/log", "3 calls")
    _signed(tally, GLOBEX).command("U0GARY", "/log", "2 calls")
    _teams(tally.engine)

    slack.uninstall(GLOBEX)
    gone = _signed(tally, GLOBEX).event({"type": "app_uninstalled"})
    assert gone.status == 200
    with tally.engine.connect() as connection:
        teams = set(connection.execute(select(slack_bots.c.team_id)).scalars())
    assert teams == {ACME}

    result = _tally("digest", slack=slack, database_url=database_url)

    assert [m["channel"] for m in slack.messages_of(ACME)] == ["DU0ANNA"]
    assert slack.messages_of(GLOBEX) == []
    assert not [c for c in slack.calls if c.team_id is None and c.method == "chat.postMessage"]
    with make_session_factory(tally.engine)() as session:
        outbox = session.scalars(select(OutboxMessage).where(OutboxMessage.team_id == GLOBEX))
        assert {(m.status, m.last_error) for m in outbox} == {
            (
                "abandoned",
                "Tally is not installed in this workspace (it was uninstalled, or never added)",
            )
        }
        assert session.scalars(select(Activity).where(Activity.team_id == GLOBEX)).all()
    assert "abandoned" in result.stdout + result.stderr
    signed = _signed(tally, GLOBEX)
    assert signed.command("U0GARY", "/log", "1 call").status == 200
    [told] = slack.responses(signed.last_response_url)
    assert "not installed in this workspace any more" in told["text"]
    assert len(tally.entries("U0GARY")) == 1


def _api_key(tally: RunningTally, team_id: str, admin: str) -> str:
    """`admin` makes an activity API key in their own workspace."""
    signed = _signed(tally, team_id)
    assert signed.command(admin, "/tally", 'admin api-key new "CRM"').status == 200
    tally.slack.wait_until(lambda: tally.slack.responses(signed.last_response_url), timeout=10)
    [made] = tally.slack.responses(signed.last_response_url)
    return re.search(r"tally_[A-Za-z0-9_-]{20,}", made["text"])[0]


def _post(tally: RunningTally, key: str, body: dict[str, object]) -> tuple[int, dict]:
    request = urllib.request.Request(
        tally.url + "/api/v1/activities",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_api_key_logs_only_in_its_own_workspace_with_that_workspace_s_token(
    oauth_tally: RunningTally,
) -> None:
    tally, slack = oauth_tally, oauth_tally.slack
    for team_id in (ACME, GLOBEX):
        _install(tally, team_id)
    acme_key, globex_key = _api_key(tally, ACME, "U0ANNA"), _api_key(tally, GLOBEX, "U0GINA")

    logged = _post(tally, acme_key, {"user": "U0ARLO", "activity": "call", "count": 4})
    crossing = _post(tally, acme_key, {"user": "U0GARY", "activity": "call"})
    slack.wait_until(lambda: [m for m in slack.messages_of(ACME) if m["channel"] == "DU0ARLO"])
    slack.uninstall(GLOBEX)
    assert _signed(tally, GLOBEX).event({"type": "app_uninstalled"}).status == 200
    after_uninstall = _post(tally, globex_key, {"user": "U0GARY", "activity": "call"})

    assert logged[0] == 201 and logged[1]["points"] == 4
    assert crossing[0] == 422 and crossing[1]["error"]["code"] == "unknown_user"
    assert after_uninstall[0] == 403 and after_uninstall[1]["error"]["code"] == "not_installed"
    assert [(e.team_id, e.user_id) for e in tally.entries()] == [(ACME, "U0ARLO")]
    for call in slack.calls_to("users.info") + slack.calls_to("chat.postMessage"):
        assert slack.workspace_of_token(call.token) == call.team_id


INITECH = "E0INITECH"
GRID = {  # two workspaces of one Enterprise Grid org: (user, name, admin, their manager)
    "T0INITA": [("U0IRIS", "iris", True, None), ("U0IVAN", "ivan", False, "U0IRIS")],
    "T0INITB": [("U0IGOR", "igor", False, None), ("U0IDA", "ida", False, "U0IGOR")],
}


@pytest.fixture
def grid_tally(fake_slack: FakeSlack, database_url: str, tmp_path: Path) -> Iterator[RunningTally]:
    for team_id, people in GRID.items():
        fake_slack.add_workspace(team_id, name=team_id, enterprise_id=INITECH)
        for user_id, name, admin, _ in people:
            fake_slack.add_user(user_id, name, is_admin=admin, team_id=team_id)
    with tally_serving(
        fake_slack, database_url, tmp_path / "serve.log", **_oauth_env(fake_slack)
    ) as running:
        yield running


def test_an_org_wide_install_serves_each_workspace_of_the_org(
    grid_tally: RunningTally, database_url: str
) -> None:
    tally, slack = grid_tally, grid_tally.slack
    done = install(tally.url, INITECH, org_wide=True)
    assert done.done.status == 200 and "Thank you!" in done.done.body
    with tally.engine.connect() as connection:
        query = select(slack_bots.c.enterprise_id, slack_bots.c.team_id)
        query = query.where(slack_bots.c.is_enterprise_install.is_(True))
        assert connection.execute(query).all() == [(INITECH, None)]
    signed = {
        team: SignedSlack(
            tally.url + SLACK_PATH, SIGNING_SECRET, team, slack, enterprise_id=INITECH
        )
        for team in GRID
    }
    said = {
        "T0INITA": tally.read(signed["T0INITA"].command("U0IVAN", "/log", "12 calls").json()),
        "T0INITB": tally.read(signed["T0INITB"].command("U0IDA", "/log", "demo self-led").json()),
    }
    with make_session_factory(tally.engine).begin() as session:
        for team_id, people in GRID.items():
            for user_id, _, _, manager in people:
                if manager:
                    _on_team(session, team_id, user_id, manager)

    digests = _tally("digest", slack=slack, database_url=database_url)

    assert "+12 pts" in said["T0INITA"] and "+25 pts" in said["T0INITB"]
    assert digests.returncode == 0, digests.stderr
    [to_iris] = [m for m in slack.messages_of("T0INITA") if m["channel"] == "DU0IRIS"]
    [to_igor] = [m for m in slack.messages_of("T0INITB") if m["channel"] == "DU0IGOR"]
    assert "12 pts" in to_iris["text"] and "25 pts" in to_igor["text"]
    posts = slack.calls_to("chat.postMessage")
    assert {p.team_id for p in posts} == set(GRID)
    assert {slack.workspace_of_token(p.token) for p in posts} == {INITECH}


def test_an_org_wide_uninstall_stops_every_workspace_of_the_org(grid_tally: RunningTally) -> None:
    tally, slack = grid_tally, grid_tally.slack
    install(tally.url, INITECH, org_wide=True)
    signed = {
        team: SignedSlack(
            tally.url + SLACK_PATH, SIGNING_SECRET, team, slack, enterprise_id=INITECH
        )
        for team in GRID
    }
    for team, (user_id, *_) in ((t, GRID[t][1]) for t in GRID):
        assert signed[team].command(user_id, "/log", "1 call").status == 200
    with make_session_factory(tally.engine).begin() as session:
        for team_id in GRID:
            draft = Draft(team_id, "digest", "U0X", "2026-W49", "queued", [], None)
            enqueue(session, draft, datetime.now(UTC))

    slack.uninstall(INITECH)
    assert signed["T0INITA"].event({"type": "app_uninstalled"}).status == 200

    with make_session_factory(tally.engine)() as session:
        left = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "U0X"))
        assert {(m.team_id, m.status, m.last_error) for m in left} == {
            (team_id, "abandoned", "Tally was uninstalled from this workspace") for team_id in GRID
        }
    with tally.engine.connect() as connection:
        assert connection.execute(select(slack_bots.c.id)).all() == []
    assert signed["T0INITB"].command("U0IDA", "/log", "1 call").status == 200
    [told] = slack.responses(signed["T0INITB"].last_response_url)
    assert "not installed in this workspace any more" in told["text"]
