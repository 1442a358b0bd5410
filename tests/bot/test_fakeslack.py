"""The fake behaves like Slack where Tally depends on it, seen through slack_sdk's own client."""

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.fakeslack import FakeSlack, SignedSlack
from tests.fixtures.slack import SIGNING_SECRET

ALICE = "U0ALICE"


class _AppStandIn(BaseHTTPRequestHandler):
    """Records what reaches the request URL, the way the app's server would receive it."""

    received: list[tuple[dict[str, str], str]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append((dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def app_endpoint() -> Iterator[tuple[str, list[tuple[dict[str, str], str]]]]:
    received: list[tuple[dict[str, str], str]] = []
    handler = type("Handler", (_AppStandIn,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events", received
    server.shutdown()
    server.server_close()


def _payload(body: str) -> dict[str, Any]:
    return json.loads(dict(parse_qsl(body))["payload"])


# --- Web API -------------------------------------------------------------------------------


def test_users_info_reports_zone_and_roles(fake_slack: FakeSlack, slack_client: WebClient):
    fake_slack.add_user(ALICE, "alice", tz="America/Los_Angeles", is_admin=True, real_name="Alice")

    user = slack_client.users_info(user=ALICE)["user"]

    offset = datetime.now(ZoneInfo("America/Los_Angeles")).utcoffset()
    assert offset is not None
    assert user["tz"] == "America/Los_Angeles"
    assert user["tz_offset"] == int(offset.total_seconds())
    assert (user["is_admin"], user["is_owner"], user["is_bot"]) == (True, False, False)
    assert user["profile"]["real_name"] == "Alice"
    with pytest.raises(SlackApiError) as error:
        slack_client.users_info(user="U0NOBODY")
    assert error.value.response["error"] == "user_not_found"


def test_users_list_includes_the_bot_as_slack_does(fake_slack: FakeSlack, slack_client: WebClient):
    fake_slack.add_user(ALICE, "alice")

    members = slack_client.users_list()["members"]

    assert [(m["id"], m["is_bot"]) for m in members] == [(ALICE, False), ("UTALLYBOT", True)]


def test_calls_need_a_bot_token(fake_slack: FakeSlack):
    with pytest.raises(SlackApiError) as error:
        WebClient(base_url=fake_slack.url).auth_test()
    assert error.value.response["error"] == "not_authed"


def test_auth_test_names_the_bot(slack_client: WebClient):
    answer = slack_client.auth_test()
    assert (answer["team_id"], answer["user_id"]) == ("T0TALLY", "UTALLYBOT")
    assert answer["bot_id"]


def test_unknown_method(slack_client: WebClient):
    with pytest.raises(SlackApiError) as error:
        slack_client.api_call("tally.nope")
    assert error.value.response["error"] == "unknown_method"


def test_dm_history_returns_newest_first_with_metadata(
    fake_slack: FakeSlack, slack_client: WebClient
):
    channel = slack_client.conversations_open(users=ALICE)["channel"]["id"]
    metadata = {"event_type": "tally_week", "event_payload": {"week": "2024-W10"}}
    first = slack_client.chat_postMessage(channel=channel, text="week 10", metadata=metadata)
    second = slack_client.chat_postMessage(channel=ALICE, text="week 11")

    history = slack_client.conversations_history(channel=channel, include_all_metadata=True)
    plain = slack_client.conversations_history(channel=channel)
    after_first = slack_client.conversations_history(channel=channel, oldest=first["ts"])

    assert channel == "D" + ALICE == second["channel"]
    assert float(first["ts"]) < float(second["ts"])
    assert first["message"]["metadata"] == metadata
    assert [m["text"] for m in history["messages"]] == ["week 11", "week 10"]
    assert history["messages"][1]["metadata"] == metadata
    assert "metadata" not in plain["messages"][1]
    assert [m["ts"] for m in after_first["messages"]] == [second["ts"]]
    assert fake_slack.calls_to("chat.postMessage")[0].args["metadata"] == metadata


def test_history_pages_with_a_cursor(slack_client: WebClient):
    for n in range(3):
        slack_client.chat_postMessage(channel="C0BOARD", text=f"post {n}")

    page = slack_client.conversations_history(channel="C0BOARD", limit=2)
    rest = slack_client.conversations_history(
        channel="C0BOARD", limit=2, cursor=page["response_metadata"]["next_cursor"]
    )

    assert [m["text"] for m in page["messages"]] == ["post 2", "post 1"]
    assert page["has_more"] is True
    assert ([m["text"] for m in rest["messages"]], rest["has_more"]) == (["post 0"], False)


def test_update_edits_in_place_and_delete_removes(fake_slack: FakeSlack, slack_client: WebClient):
    posted = slack_client.chat_postMessage(channel="C0BOARD", text="board v1")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "board v2"}}]

    slack_client.chat_update(channel="C0BOARD", ts=posted["ts"], text="board v2", blocks=blocks)

    [message] = fake_slack.messages_in("C0BOARD")
    assert (message["ts"], message["text"], message["blocks"]) == (posted["ts"], "board v2", blocks)
    slack_client.chat_delete(channel="C0BOARD", ts=posted["ts"])
    assert fake_slack.messages_in("C0BOARD") == []
    with pytest.raises(SlackApiError) as error:
        slack_client.chat_update(channel="C0BOARD", ts=posted["ts"], text="gone")
    assert error.value.response["error"] == "message_not_found"


def test_form_encoded_json_fields_are_decoded(fake_slack: FakeSlack, slack_client: WebClient):
    blocks = [{"type": "section", "text": {"type": "plain_text", "text": "hi"}}]

    slack_client.api_call(
        "chat.postEphemeral",
        params={"channel": "C0BOARD", "user": ALICE, "blocks": json.dumps(blocks)},
    )

    assert fake_slack.calls_to("chat.postEphemeral")[0].args["blocks"] == blocks


def test_rate_limit_sends_retry_after_and_slack_sdk_waits_it_out(
    fake_slack: FakeSlack, slack_client: WebClient
):
    slack_client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    fake_slack.fail("chat.postMessage", 429, retry_after=1)

    started = time.monotonic()
    slack_client.chat_postMessage(channel="C0BOARD", text="after the wait")

    assert time.monotonic() - started >= 1
    assert [call.status for call in fake_slack.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in fake_slack.messages] == ["after the wait"]


def test_server_errors_are_injected_then_clear(fake_slack: FakeSlack, slack_client: WebClient):
    fake_slack.fail("users.info", 500, times=2)
    fake_slack.add_user(ALICE, "alice")

    for _ in range(2):
        with pytest.raises(SlackApiError) as error:
            slack_client.users_info(user=ALICE)
        assert error.value.response.status_code == 500
    assert slack_client.users_info(user=ALICE)["user"]["name"] == "alice"
    assert [call.status for call in fake_slack.calls_to("users.info")] == [500, 500, 200]


def test_views_open_needs_a_trigger_from_an_interaction(
    fake_slack: FakeSlack, slack_client: WebClient
):
    title = {"type": "plain_text", "text": "Log"}
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Log it"}}]
    view = {"type": "modal", "callback_id": "log", "title": title, "blocks": blocks}
    with pytest.raises(SlackApiError) as error:
        slack_client.views_open(trigger_id="123.abc", view=view)
    assert error.value.response["error"] == "invalid_trigger_id"

    opened = slack_client.views_open(trigger_id=fake_slack.new_trigger_id(ALICE), view=view)
    updated = slack_client.views_update(
        view_id=opened["view"]["id"], view=view | {"blocks": blocks * 2}
    )

    assert opened["view"]["id"].startswith("V")
    assert updated["view"]["id"] == opened["view"]["id"]
    assert [(v["method"], v["user_id"]) for v in fake_slack.views(ALICE)] == [
        ("views.open", ALICE),
        ("views.update", ALICE),
    ]


def test_published_home_keeps_its_view_id(fake_slack: FakeSlack, slack_client: WebClient):
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }
    first = slack_client.views_publish(user_id=ALICE, view=home)["view"]["id"]
    second = slack_client.views_publish(user_id=ALICE, view=home)["view"]["id"]
    assert first == second
    assert [v["method"] for v in fake_slack.views(ALICE)] == ["views.publish"] * 2


def test_response_url_records_what_the_app_posts(fake_slack: FakeSlack):
    url = fake_slack.new_response_url()

    WebhookClient(url).send(text="Logged 12 calls", response_type="ephemeral")

    assert fake_slack.responses(url) == [{"text": "Logged 12 calls", "response_type": "ephemeral"}]


# --- signed requests -----------------------------------------------------------------------


def test_signed_command_verifies_and_carries_fake_urls(fake_slack: FakeSlack, app_endpoint):
    endpoint, received = app_endpoint
    fake_slack.add_user(ALICE, "alice")
    slack = SignedSlack(endpoint, SIGNING_SECRET, slack=fake_slack)

    reply = slack.command(ALICE, "/log", "12 calls")

    headers, body = received[0]
    assert (reply.status, reply.json()) == (200, None)
    assert SignatureVerifier(SIGNING_SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    fields = dict(parse_qsl(body))
    assert (fields["command"], fields["text"], fields["user_name"]) == ("/log", "12 calls", "alice")
    assert fields["response_url"] == slack.last_response_url
    assert fields["trigger_id"] == slack.last_trigger_id
    WebhookClient(fields["response_url"]).send(text="Logged")
    assert fake_slack.responses(fields["response_url"]) == [{"text": "Logged"}]


def test_stale_timestamp_does_not_verify(app_endpoint):
    endpoint, received = app_endpoint
    slack = SignedSlack(endpoint, SIGNING_SECRET, clock=lambda: time.time() - 600)

    slack.command(ALICE, "/tally")

    headers, body = received[0]
    assert not SignatureVerifier(SIGNING_SECRET).is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_view_submission_fills_state_like_slack(
    fake_slack: FakeSlack, slack_client: WebClient, app_endpoint
):
    endpoint, received = app_endpoint
    slack = SignedSlack(endpoint, SIGNING_SECRET, slack=fake_slack)
    slack.command(ALICE, "/log")
    kinds = [
        {"text": {"type": "plain_text", "text": label}, "value": value}
        for label, value in [("Demo", "demo"), ("Call", "call")]
    ]

    def input_block(block_id: str, element: dict[str, Any], optional: bool = False):
        label = {"type": "plain_text", "text": block_id}
        return {
            "type": "input",
            "block_id": block_id,
            "optional": optional,
            "label": label,
            "element": element,
        }

    view = {
        "type": "modal",
        "callback_id": "log_modal",
        "private_metadata": '{"channel": "C0GENERAL"}',
        "title": {"type": "plain_text", "text": "Log"},
        "blocks": [
            input_block("kind", {"type": "static_select", "action_id": "kind", "options": kinds}),
            input_block(
                "count", {"type": "number_input", "action_id": "count", "is_decimal_allowed": False}
            ),
            input_block("note", {"type": "plain_text_input", "action_id": "note"}, optional=True),
            input_block("day", {"type": "datepicker", "action_id": "day"}),
            input_block("rep", {"type": "users_select", "action_id": "rep"}, optional=True),
        ],
    }
    opened = slack_client.views_open(trigger_id=slack.last_trigger_id, view=view)["view"]

    slack.view_submission(ALICE, opened, {"kind": "call", "count": "12", "day": "2024-03-05"})

    payload = _payload(received[-1][1])
    values = payload["view"]["state"]["values"]
    assert payload["type"] == "view_submission"
    assert payload["view"]["id"] == opened["id"]
    assert payload["view"]["private_metadata"] == '{"channel": "C0GENERAL"}'
    assert values["kind"]["kind"]["selected_option"] == kinds[1]
    assert values["count"]["count"] == {"type": "number_input", "value": "12"}
    assert values["note"]["note"] == {"type": "plain_text_input", "value": None}
    assert values["day"]["day"]["selected_date"] == "2024-03-05"
    assert values["rep"]["rep"] == {"type": "users_select", "selected_user": None}
    with pytest.raises(ValueError, match="required input 'day'"):
        slack.view_submission(ALICE, opened, {"kind": "call", "count": "12"})
    with pytest.raises(ValueError, match="offers no option 'email'"):
        slack.view_submission(ALICE, opened, {"kind": "email", "count": "1", "day": "2024-03-05"})


def test_block_action_on_a_posted_message(
    fake_slack: FakeSlack, slack_client: WebClient, app_endpoint
):
    endpoint, received = app_endpoint
    button = {
        "type": "button",
        "action_id": "undo",
        "value": "42",
        "text": {"type": "plain_text", "text": "Undo"},
    }
    slack_client.chat_postMessage(
        channel=ALICE,
        text="Logged",
        blocks=[{"type": "actions", "block_id": "log", "elements": [button]}],
    )
    [message] = fake_slack.messages
    slack = SignedSlack(endpoint, SIGNING_SECRET, slack=fake_slack)

    slack.block_action(ALICE, "undo", "42", message=message)

    payload = _payload(received[0][1])
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": "D" + ALICE,
        "is_ephemeral": False,
    }
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == ("undo", "log", "42")
    assert payload["response_url"] == slack.last_response_url


def test_message_shortcut_and_event_envelopes(app_endpoint):
    endpoint, received = app_endpoint
    slack = SignedSlack(endpoint, SIGNING_SECRET)

    slack.message_shortcut(ALICE, "log_activity", "Had a demo with Acme")
    slack.event({"type": "app_home_opened", "user": ALICE, "tab": "home"})

    shortcut = _payload(received[0][1])
    assert (shortcut["type"], shortcut["callback_id"]) == ("message_action", "log_activity")
    assert shortcut["message"]["text"] == "Had a demo with Acme"
    envelope = json.loads(received[1][1])
    assert (envelope["type"], envelope["event"]["type"]) == ("event_callback", "app_home_opened")
    assert envelope["authorizations"][0]["user_id"] == "UTALLYBOT"


def test_wait_until_sees_calls_made_after_a_reply(fake_slack: FakeSlack, slack_client: WebClient):
    threading.Timer(0.1, slack_client.auth_test).start()

    fake_slack.wait_until(lambda: fake_slack.calls_to("auth.test"), timeout=5)

    with pytest.raises(TimeoutError):
        fake_slack.wait_until(lambda: fake_slack.calls_to("views.open"), timeout=0.1)


def test_frozen_clock_drives_timestamps_and_signatures(
    fake_slack: FakeSlack, slack_client: WebClient, app_endpoint
):
    endpoint, received = app_endpoint
    with freeze_time("2024-03-05 15:00:00"):
        frozen = int(time.time())
        first = slack_client.chat_postMessage(channel="C0BOARD", text="a")["ts"]
        second = slack_client.chat_postMessage(channel="C0BOARD", text="b")["ts"]
        SignedSlack(endpoint, SIGNING_SECRET).command(ALICE, "/tally")
        headers, body = received[0]
        assert SignatureVerifier(SIGNING_SECRET).is_valid(
            body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
        )
    assert int(float(first)) == frozen == int(headers["X-Slack-Request-Timestamp"])
    assert float(first) < float(second)


def test_malformed_block_kit_is_refused_like_slack_does(
    fake_slack: FakeSlack, slack_client: WebClient
):
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    too_many = [{"type": "divider"}] * 51

    for blocks in (too_long, too_many):
        with pytest.raises(SlackApiError) as error:
            slack_client.chat_postMessage(channel="C0GENERAL", text="hi", blocks=blocks)
        assert error.value.response["error"] == "invalid_blocks"
    assert fake_slack.messages_in("C0GENERAL") == []
