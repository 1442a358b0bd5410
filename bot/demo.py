"""`tally demo`: the real server, a real SQLite file and the fake Slack, playing a team's week."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import textwrap
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bot.api_http import ACTIVITIES
from bot.app import utc_now
from bot.fakeslack.browser import install
from bot.fakeslack.readable import as_read
from bot.fakeslack.signed_requests import SignedSlack
from bot.fakeslack.web_api import FakeSlack
from bot.local_server import serving
from bot.web import SLACK_PATH
from handlers.ids import Action
from scoring.weeks import iso_week_label, local_date

# One office: the week the demo plays is then everyone's week, and its Friday's, at any hour.
# (With Sam in Chicago and Priya in London, on Monday mornings UTC the digest's week in
# Maya's zone left out the deals Sam logged while his Sunday lasted.)
ZONE = "America/New_York"
PEOPLE = {
    "U0MAYA": ("maya", "Maya Chen", ZONE),
    "U0ALEX": ("alex", "Alex Rivera", ZONE),
    "U0SAM": ("sam", "Sam Okafor", ZONE),
    "U0PRIYA": ("priya", "Priya Shah", ZONE),
    "U0RINA": ("rina", "Rina Patel", ZONE),  # RevOps: the workspace admin who installs Tally
}
ADMIN = "U0RINA"


def _mention(user_id: str) -> str:
    return f"<@{user_id}|{PEOPLE[user_id][0]}>"


WINS = "C0WINS"  # the celebration channel

# A script step that is a click, not a command: the rep accepts the manager's invitation DM.
ACCEPT = "accept"


def _script(today: date) -> list[tuple[str, str, str]]:
    """(who, command, text as Slack sends it: mentions encoded, & < > escaped)."""
    start = today - timedelta(days=today.weekday() + 28)
    return [
        (
            "U0MAYA",
            "/tally",
            f"team add {_mention('U0ALEX')} {_mention('U0SAM')} "
            f"{_mention('U0PRIYA')} start {start.isoformat()}",
        ),
        ("U0ALEX", ACCEPT, ""),
        ("U0SAM", ACCEPT, ""),
        ("U0PRIYA", ACCEPT, ""),
        ("U0ALEX", "/log", "demo self-led"),
        ("U0ALEX", "/log", "12 calls"),
        ("U0ALEX", "/log", "dm convo Globex &amp; Co"),
        ("U0SAM", "/log", "closed won Acme Corp $12,500"),
        ("U0SAM", "/log", "closed won Acme Corp $12,500"),
        ("U0SAM", "/log", "undo"),
        ("U0SAM", "/log", "closed won Initech $8,000"),
        ("U0SAM", "/log", "call x25"),
        ("U0PRIYA", "/log", "demmo"),
        ("U0PRIYA", "/log", "disco self-led yesterday"),
        ("U0PRIYA", "/log", "8 emails &lt;!channel&gt; ping attempt"),
        ("U0ALEX", "/tally", ""),
        ("U0MAYA", "/tally", "team"),
        ("U0SAM", "/tally", "board"),
        ("U0SAM", "/tally", f"{_mention('U0ALEX')}"),
        ("U0MAYA", "/tally", f"{_mention('U0ALEX')}"),
        ("U0SAM", "/tally", f"plan add Acme Corp monthly reviewed {today - timedelta(days=40)}"),
        ("U0SAM", "/tally", "plan add Globex quarterly"),
        ("U0SAM", "/tally", "plan list"),
    ]


FRIDAY = [
    ("Friday 15:00 — each manager's digest", ("digest",), "D" + "U0MAYA"),
    ("Friday 16:00 — the leaderboard post", ("leaderboard", "--channel", "C0SALES"), "C0SALES"),
    ("Weekday 09:00 — account-plan reminders", ("reminders",), "D" + "U0SAM"),
]


def _operator(env: dict[str, str], *args: str) -> str:
    """Run an operator command the way production's clock or an operator would."""
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return (done.stdout.strip() or done.stderr.strip()).splitlines()[-1]


def _reply(slack: FakeSlack, reply: Any, response_url: str | None) -> dict[str, Any]:
    """The ack body when it carries the message, else what the app posted to the response_url."""
    body = reply.json()
    if body and (body.get("text") or body.get("blocks")):
        return body
    if response_url:
        slack.wait_until(lambda: slack.responses(response_url), timeout=10)
        return slack.responses(response_url)[-1]
    return {"text": f"(HTTP {reply.status}, nothing shown)"}


def _accept_invitation(slack: FakeSlack, client: SignedSlack, user_id: str) -> dict[str, Any]:
    """Print the invitation DM the rep got, click its Accept button, return what they see."""
    invitation = slack.messages_in("D" + user_id)[-1]
    print(f"── {PEOPLE[user_id][1]} reads a DM from Tally:")
    print(textwrap.indent(as_read(invitation, slack.user_name), "   │ "), end="\n\n")
    [value] = [
        element["value"]
        for block in invitation.get("blocks") or []
        for element in block.get("elements", [])
        if element.get("action_id") == Action.TEAM_INVITE_ACCEPT
    ]
    reply = client.block_action(user_id, Action.TEAM_INVITE_ACCEPT, value, message=invitation)
    return _reply(slack, reply, client.last_response_url)


def _home(slack: FakeSlack, client: SignedSlack, user_id: str) -> None:
    """Open the App Home tab and print what Slack was asked to publish."""
    seen = len(slack.views(user_id))
    client.event({"type": "app_home_opened", "user": user_id, "tab": "home"})
    slack.wait_until(lambda: len(slack.views(user_id)) > seen, timeout=10)
    print(f"── {PEOPLE[user_id][1]} opens Tally's App Home:")
    home = slack.views(user_id)[-1]["view"]
    print(textwrap.indent(as_read(home, slack.user_name), "   │ "), end="\n\n")


CHARTS = (("U0ALEX", "chart", "rep-weeks.png"), ("U0MAYA", "chart team", "team-week.png"))


def _charts(slack: FakeSlack, client: SignedSlack, out: Path) -> None:
    """Ask for the charts as a rep and a manager would, and keep the PNGs Slack received."""
    out.mkdir(parents=True, exist_ok=True)
    for user_id, text, name in CHARTS:
        dm = "D" + user_id
        before = len(slack.files_in(dm))
        reply = client.command(user_id, "/tally", text)
        answer = _reply(slack, reply, client.last_response_url)
        print(f"── {PEOPLE[user_id][1]} types: /tally {text}")
        print(textwrap.indent(as_read(answer, slack.user_name), "   │ "))
        slack.wait_until(lambda dm=dm, before=before: len(slack.files_in(dm)) > before, timeout=30)
        path = out / name
        path.write_bytes(slack.files_in(dm)[-1].content)
        print(f"   → saved the PNG Tally uploaded to {path}", end="\n\n")


def _install(slack: FakeSlack, url: str) -> None:
    """Rina, the workspace's admin, adds Tally to Slack through the OAuth pages."""
    done = install(url, slack.team_id)
    thanks = "“Thank you!”" if "Thank you!" in done.done.body else "no thanks"
    print(f"── Rina Patel (RevOps) opens {url}/slack/install, clicks Add to Slack, approves:")
    print(f"   │ Slack sends her back to Tally, which answers HTTP {done.done.status} {thanks}")
    print("   │ and keeps the workspace's bot token, sealed with TALLY_SECRET_KEY", end="\n\n")


def _crm_logs(slack: FakeSlack, client: SignedSlack, url: str) -> None:
    """The admin makes an API key, and the CRM logs Priya's booked meeting with it."""
    reply = client.command(ADMIN, "/tally", 'admin api-key new "Salesforce"')
    made = _reply(slack, reply, client.last_response_url)
    print('── Rina Patel types: /tally admin api-key new "Salesforce"')
    print(textwrap.indent(as_read(made, slack.user_name), "   │ "), end="\n\n")
    key = re.findall(r"tally_[A-Za-z0-9_-]+", made["text"])[0]
    body = {"user": "priya@example.com", "activity": "meeting booked", "external_id": "00U-1"}
    request = urllib.request.Request(
        url + ACTIVITIES,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        status, entry = answer.status, json.loads(answer.read())
    print(f"── Salesforce POSTs {ACTIVITIES} {json.dumps(body)}")
    print(f"   │ HTTP {status}: {entry['count']} × {entry['activity_label']}, +{entry['points']}")
    dm = "D" + "U0PRIYA"
    slack.wait_until(lambda: any("Salesforce" in m["text"] for m in slack.messages_in(dm)))
    print("── Priya Shah reads a DM from Tally:")
    receipt = slack.messages_in(dm)[-1]
    print(textwrap.indent(as_read(receipt, slack.user_name), "   │ "), end="\n\n")


def run_demo(out: Path) -> int:
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="tally-demo-") as folder, FakeSlack() as slack:
        for user_id, (name, real_name, tz) in PEOPLE.items():
            admin, email = user_id == ADMIN, f"{name}@example.com"
            slack.add_user(user_id, name, tz=tz, real_name=real_name, is_admin=admin, email=email)
        database = Path(folder) / "tally.db"
        config = Path(folder) / "tally.toml"
        config.write_text(f'celebrate_channel = "{WINS}"\n')
        env = {
            # OAuth mode: the workspace installs Tally below, as a second one could.
            "SLACK_BOT_TOKEN": "",
            "SLACK_CLIENT_ID": slack.client_id,
            "SLACK_CLIENT_SECRET": slack.client_secret,
            "TALLY_SECRET_KEY": Fernet.generate_key().decode(),
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": f"sqlite:///{database}",
            "WEB_CONCURRENCY": "1",
            "TALLY_CONFIG": str(config),
        }
        print(f"Tally demo: real server, SQLite at {database}, fake Slack at {slack.url}\n")
        with serving(env) as url:
            _install(slack, url)
            client = SignedSlack(url + SLACK_PATH, secret, team_id=slack.team_id, slack=slack)
            today = local_date(utc_now(), ZONE)  # the team's day, and below its week
            for user_id, command, text in _script(today):
                if command == ACCEPT:
                    answer = _accept_invitation(slack, client, user_id)
                    print(f"── {PEOPLE[user_id][1]} clicks: Accept")
                else:
                    reply = client.command(user_id, command, text)
                    answer = _reply(slack, reply, client.last_response_url)
                    print(
                        f"── {PEOPLE[user_id][1]} types: {command} "
                        f"{as_read({'text': text}, slack.user_name)}"
                    )
                print(textwrap.indent(as_read(answer, slack.user_name), "   │ "), end="\n\n")
            # Posts go out after each reply, one a second per channel: let the last one land.
            slack.wait_until(
                lambda: any("Initech" in m["text"] for m in slack.messages_in(WINS)), timeout=10
            )
            _crm_logs(slack, client, url)
            print("── #wins, where closed deals are cheered (an undone one is taken back):")
            for posted in slack.messages_in(WINS):
                print(textwrap.indent(as_read(posted, slack.user_name), "   │ "), end="\n\n")
            for title, args, channel in FRIDAY:
                if args[0] in ("digest", "leaderboard"):  # the week the script played
                    args = (*args, "--week", iso_week_label(today))
                print(f"══ {title}: tally {' '.join(args)}\n   → {_operator(env, *args)}")
                for posted in slack.messages_in(channel):
                    print(textwrap.indent(as_read(posted, slack.user_name), "   │ "), end="\n\n")
                for shared in slack.files_in(channel):
                    print(f"   │ 📎 {shared.name} ({len(shared.content):,} bytes)", end="\n\n")
            _home(slack, client, "U0ALEX")
            _home(slack, client, "U0MAYA")
            _charts(slack, client, out)
        print(
            f"Slack Web API calls the app made: {len(slack.calls)} "
            f"({', '.join(sorted({c.method for c in slack.calls}))})"
        )
    return 0
