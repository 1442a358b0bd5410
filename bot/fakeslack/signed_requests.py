"""What Slack sends to an app's request URL, over real HTTP and signed with the signing secret.

Payload shapes follow Slack's reference for slash commands, message shortcuts, block_actions,
view_submission and Events API callbacks, so the app's verifier and Bolt's parsing run as in
production.
"""

import copy
import http.client
import json
import secrets
import select
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from slack_sdk.signature import SignatureVerifier

from bot.fakeslack.blocks import action_payload, fill_state, with_generated_ids
from bot.fakeslack.web_api import FakeSlack
from bot.fakeslack.workspace import APP_ID, TEAM_DOMAIN, wall_clock

# Slack still sends the deprecated verification token; Bolt ignores it.
_VERIFICATION_TOKEN = "fake-verification-token"
_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Reply:
    """The app's HTTP answer to one request."""

    status: int
    body: str

    def json(self) -> dict[str, Any] | None:
        """The body as a JSON object; None when the body is empty or not a JSON object."""
        try:
            value = json.loads(self.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


class SignedSlack:
    """Plays Slack's side of the request URL: one method per kind of request Tally answers.

    With `slack`, trigger_ids open views on that fake and response_urls record replies on it.
    `clock` must be the clock the app's verifier reads (the default follows freezegun).
    """

    def __init__(
        self,
        endpoint: str,
        signing_secret: str,
        team_id: str = "T0TALLY",
        slack: FakeSlack | None = None,
        clock: Callable[[], float] = wall_clock,
        enterprise_id: str | None = None,
    ):
        self.endpoint = endpoint
        self.team_id = team_id
        # A workspace of an Enterprise Grid org where Tally is installed org-wide.
        self.enterprise_id = enterprise_id
        self.last_response_url: str | None = None
        self.last_trigger_id: str | None = None
        self._slack = slack
        self._clock = clock
        self._verifier = SignatureVerifier(signing_secret)
        self._bot_user_id = slack.bot_user_id if slack else "UTALLYBOT"

    def command(
        self,
        user_id: str,
        command: str,
        text: str = "",
        channel_id: str = "C0GENERAL",
        user_name: str | None = None,
    ) -> Reply:
        """A slash command, form-encoded as Slack posts it."""
        fields = {
            "token": _VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": _channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name or self._user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "true" if self.enterprise_id else "false",
            "trigger_id": self._new_trigger_id(user_id),
        }
        if self.enterprise_id:
            fields |= {"enterprise_id": self.enterprise_id, "enterprise_name": "Org"}
        if response_url := self._new_response_url():
            fields["response_url"] = response_url
        return self.post(urlencode(fields), _FORM)

    def message_shortcut(
        self,
        user_id: str,
        callback_id: str,
        message_text: str,
        channel_id: str = "C0GENERAL",
        message_user: str | None = None,
    ) -> Reply:
        """A message shortcut on a message by `message_user` (default: the user themself)."""
        message_ts = self._new_ts()
        payload = self._interaction("message_action", user_id) | {
            "callback_id": callback_id,
            "trigger_id": self._new_trigger_id(user_id),
            "action_ts": self._new_ts(),
            "channel": {"id": channel_id, "name": _channel_name(channel_id)},
            "message_ts": message_ts,
            "message": {
                "type": "message",
                "user": message_user or user_id,
                "text": message_text,
                "ts": message_ts,
                "team": self.team_id,
            },
        }
        if response_url := self._new_response_url():
            payload["response_url"] = response_url
        return self._post_payload(payload)

    def view_submission(self, user_id: str, view: dict[str, Any], values: dict[str, str]) -> Reply:
        """Submit `view` after the user set each action_id in `values` (option values for selects).

        Raises ValueError for an action_id the view lacks, an option a select does not offer, or
        a required input left empty: Slack's client would not send those.
        """
        blocks = with_generated_ids(view.get("blocks", []))
        view_id = view.get("id") or "V" + secrets.token_hex(5).upper()
        submitted = copy.deepcopy(view) | {
            "id": view_id,
            "team_id": self.team_id,
            "type": view.get("type", "modal"),
            "blocks": blocks,
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": fill_state(blocks, values)},
            "hash": view.get("hash") or f"{self._new_ts()}.{secrets.token_hex(4)}",
            "root_view_id": view.get("root_view_id") or view_id,
            "previous_view_id": view.get("previous_view_id"),
            "app_id": APP_ID,
        }
        payload = self._interaction("view_submission", user_id) | {
            "trigger_id": self._new_trigger_id(user_id),
            "view": submitted,
            "response_urls": [],
        }
        return self._post_payload(payload)

    def block_action(
        self,
        user_id: str,
        action_id: str,
        value: str,
        block_id: str | None = None,
        channel_id: str = "C0GENERAL",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
    ) -> Reply:
        """A click (or pick) on `action_id` in `view` if given, else in `message`.

        `message` may be a record from `FakeSlack.messages`; the element is looked up in its
        blocks so selects report `selected_option` as Slack does. `block_id` defaults to the
        element's own block.
        """
        action_ts = self._new_ts()
        payload = self._interaction("block_actions", user_id) | {
            "trigger_id": self._new_trigger_id(user_id),
            "state": {"values": {}},
        }
        if view is not None:
            blocks = view.get("blocks", [])
            payload |= {"container": {"type": "view", "view_id": view.get("id")}, "view": view}
        else:
            shown = self._message_payload(message)
            channel = (message or {}).get("channel", channel_id)
            blocks = shown.get("blocks", [])
            payload |= {
                "container": {
                    "type": "message",
                    "message_ts": shown["ts"],
                    "channel_id": channel,
                    "is_ephemeral": False,
                },
                "channel": {"id": channel, "name": _channel_name(channel)},
                "message": shown,
            }
            if response_url := self._new_response_url():
                payload["response_url"] = response_url
        payload["actions"] = [action_payload(blocks, action_id, value, block_id, action_ts)]
        return self._post_payload(payload)

    def event(self, event: dict[str, Any]) -> Reply:
        """An Events API `event_callback` envelope around `event`, authorised for our bot."""
        now = self._clock()
        envelope = {
            "token": _VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": {"event_ts": f"{now:.6f}"} | event,
            "type": "event_callback",
            "event_id": "Ev" + secrets.token_hex(5).upper(),
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": None if self.enterprise_id else self.team_id,
                    "user_id": self._bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": self.enterprise_id is not None,
                }
            ],
            "is_ext_shared_channel": False,
        }
        if self.enterprise_id:
            envelope["enterprise_id"] = self.enterprise_id
        return self.post(json.dumps(envelope), "application/json")

    def post(
        self,
        body: str,
        content_type: str,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Reply:
        """POST `body` signed as `v0:{timestamp}:{body}`; pass timestamp/signature to forge."""
        timestamp = int(self._clock()) if timestamp is None else timestamp
        if signature is None:
            signature = self._verifier.generate_signature(timestamp=str(timestamp), body=body)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature or "",
        }
        request = Request(self.endpoint, data=body.encode(), headers=headers, method="POST")
        try:
            with urlopen(request, timeout=10) as response:
                return Reply(response.status, response.read().decode())
        except HTTPError as error:
            return Reply(error.code, error.read().decode())

    def send(
        self,
        body: bytes | str,
        content_type: str | None = _FORM,
        *,
        signed: bool = True,
        headers: Mapping[str, str] | None = None,
        content_length: int | None = None,
        chunked: bool = False,
        method: str = "POST",
    ) -> Reply:
        """Send raw bytes with any headers, signed over exactly those bytes or not at all.

        For hostile-input tests: `headers` are added last (so they can override the signature
        headers), `content_length` may lie, `chunked` sends no length at all. Written on
        http.client because urllib can neither lie about the length nor stop sending when the
        server answers early (a 413 before the body is in); the body goes in pieces and sending
        stops as soon as the answer is readable.
        """
        data = body.encode() if isinstance(body, str) else body
        sent: dict[str, str] = {}
        if content_type is not None:
            sent["Content-Type"] = content_type
        if signed:
            timestamp = str(int(self._clock()))
            sent["X-Slack-Request-Timestamp"] = timestamp
            sent["X-Slack-Signature"] = (
                self._verifier.generate_signature(timestamp=timestamp, body=data) or ""
            )
        if chunked:
            sent["Transfer-Encoding"] = "chunked"
        else:
            sent["Content-Length"] = str(len(data) if content_length is None else content_length)
        sent |= headers or {}
        url = urlsplit(self.endpoint)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=20)
        try:
            connection.putrequest(method, url.path, skip_accept_encoding=True)
            for name, value in sent.items():
                connection.putheader(name, value)
            connection.endheaders()
            _send_until_answered(connection, data, chunked)
            response = connection.getresponse()
            return Reply(response.status, response.read().decode(errors="replace"))
        finally:
            connection.close()

    def _post_payload(self, payload: dict[str, Any]) -> Reply:
        """Interactive payloads travel as one form field, `payload=<json>`."""
        return self.post(urlencode({"payload": json.dumps(payload)}), _FORM)

    def _interaction(self, kind: str, user_id: str) -> dict[str, Any]:
        """The fields every interaction payload shares."""
        name = self._user_name(user_id)
        return {
            "type": kind,
            "token": _VERIFICATION_TOKEN,
            "api_app_id": APP_ID,
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "user": {"id": user_id, "username": name, "name": name, "team_id": self.team_id},
            "enterprise": {"id": self.enterprise_id} if self.enterprise_id else None,
            "is_enterprise_install": self.enterprise_id is not None,
        }

    def _message_payload(self, message: dict[str, Any] | None) -> dict[str, Any]:
        """A message as Slack embeds it in a payload: the bot's, with `channel` moved out."""
        shown: dict[str, Any] = {"type": "message", "user": self._bot_user_id, "text": ""}
        shown |= {k: v for k, v in (message or {}).items() if k != "channel" and v is not None}
        shown.setdefault("ts", self._new_ts())
        return shown

    def _user_name(self, user_id: str) -> str:
        known = self._slack.user_name(user_id) if self._slack else None
        return known or user_id.lower()

    def _new_trigger_id(self, user_id: str) -> str:
        if self._slack:
            self.last_trigger_id = self._slack.new_trigger_id(user_id)
        else:
            self.last_trigger_id = f"{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        return self.last_trigger_id

    def _new_response_url(self) -> str | None:
        """A recording response_url on the fake; without one, the field is left out."""
        self.last_response_url = self._slack.new_response_url() if self._slack else None
        return self.last_response_url

    def _new_ts(self) -> str:
        return self._slack.new_ts() if self._slack else f"{self._clock():.6f}"


def _send_until_answered(
    connection: http.client.HTTPConnection, data: bytes, chunked: bool, piece: int = 64 * 1024
) -> None:
    """Write the body in pieces, stopping early once the server has answered or hung up."""
    for start in range(0, len(data), piece):
        sock = connection.sock
        if sock is None or select.select([sock], [], [], 0)[0]:
            return
        chunk = data[start : start + piece]
        framed = b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk
        try:
            connection.send(framed)
        except (BrokenPipeError, ConnectionResetError):
            return
    if chunked:
        connection.send(b"0\r\n\r\n")


def _channel_name(channel_id: str) -> str:
    """Slack names DMs "directmessage"; other channels get a stand-in name from their id."""
    return "directmessage" if channel_id.startswith("D") else channel_id.lower()
