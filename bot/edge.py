"""The HTTP edge in front of Bolt: size, signature, content type, envelope shape, workspace.

Bolt parses a body before it checks the signature, so anyone could make it answer 500 with a
traceback (`payload=notjson`, a non-UTF-8 body, `[1]`), and it logs the whole body of every
request it refuses (tokens, response_urls, trigger_ids). Here the body is read with a cap, the
signature is checked on the bytes before anything parses them, the parsed envelope must have the
shape listeners rely on, and only then does Bolt get that very envelope. A refusal is one log
line: reason, size and remote address, never the body.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import SignatureVerifier

from handlers.errors import failure_reply
from handlers.render import escape_mrkdwn

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
# Slack caps a button's value at 2,000 characters; anything longer did not come from a click.
MAX_ACTION_VALUE = 2000
EVENT_ENVELOPES = frozenset({"url_verification", "event_callback", "app_rate_limited"})
OBJECT_FIELDS = ("container", "channel", "message", "view", "state")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass(frozen=True)
class Refusal:
    """Why a request goes no further than the edge, and the status that says so."""

    status: int
    reason: str


class ServedTeam:
    """The workspace this installation serves: the team `auth.test` reports for the bot token.

    Asked lazily on the first request and kept. When auth.test can't be reached (or refuses)
    every team is allowed and the failure logged, retried at most once a minute: the signature
    already proved the request came from Slack, and one Web API blip must not take the bot down.
    OAuth multi-workspace would swap `serves` for a lookup in the installation store.
    """

    def __init__(self, client: WebClient, retry_seconds: float = 60.0) -> None:
        # A short timeout of its own: the first request waits on this call.
        self._client = WebClient(token=client.token, base_url=client.base_url, timeout=3)
        self._retry_seconds = retry_seconds
        self._team_id: str | None = None
        self._next_try = 0.0
        self._lock = threading.Lock()

    def serves(self, team_id: str) -> bool:
        served = self._served_team()
        return served is None or team_id == served

    def _served_team(self) -> str | None:
        with self._lock:
            if self._team_id is None and time.monotonic() >= self._next_try:
                try:
                    self._team_id = self._client.auth_test()["team_id"]
                except (SlackClientError, OSError, KeyError) as error:
                    self._next_try = time.monotonic() + self._retry_seconds
                    log.warning("auth.test failed, allowing every workspace for now: %s", error)
            return self._team_id


class SlackEdge:
    """A WSGI app for Slack's request URL that refuses what Bolt should never see."""

    def __init__(
        self,
        app: App,
        signing_secret: str,
        serves_team: Callable[[str], bool],
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self._app = app
        self._verifier = SignatureVerifier(signing_secret)
        self._serves_team = serves_team
        self._max_body_bytes = max_body_bytes

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        body, refusal = read_capped(environ, self._max_body_bytes)
        parsed: dict[str, Any] = {}
        if refusal is None:
            parsed, refusal = self._admit(environ, body)
        if refusal is not None:
            size = environ.get("CONTENT_LENGTH") or len(body)
            log.warning(
                "refused %d, %s: %s bytes from %s",
                refusal.status,
                refusal.reason,
                size,
                environ.get("REMOTE_ADDR", "?"),
            )
            response = WsgiHttpResponse(
                refusal.status, {"content-type": ["text/plain;charset=utf-8"]}, refusal.reason
            )
        else:
            response = self._dispatch(environ, parsed)
        start_response(response.status, response.get_headers())
        return response.get_body()

    def _admit(self, environ: dict[str, Any], body: bytes) -> tuple[dict[str, Any], Refusal | None]:
        """The parsed envelope, or why the request is refused; the signature comes first."""
        if not self._signed(environ, body):
            return {}, Refusal(401, "invalid request signature")
        raw_type = environ.get("CONTENT_TYPE", "")
        media_type = raw_type.split(";")[0].strip().lower()
        if media_type not in (FORM, JSON):
            return {}, Refusal(415, f"content type must be {FORM} or {JSON}")
        try:
            # Bolt's own parser: the shape checked is the shape Bolt dispatches on.
            parsed = parse_body(body.decode(), raw_type.split(";")[0])
        except (ValueError, RecursionError):
            return {}, Refusal(400, "body is not valid JSON where JSON is expected")
        if not isinstance(parsed, dict):
            return {}, Refusal(400, "body is not a JSON object")
        if problem := envelope_problem(parsed, media_type):
            return parsed, Refusal(400, problem)
        team_id = team_of(parsed)
        if team_id is not None and not self._serves_team(team_id):
            return parsed, Refusal(403, f"workspace {team_id[:24]!r} is not served here")
        return parsed, None

    def _signed(self, environ: dict[str, Any], body: bytes) -> bool:
        """SignatureVerifier raises on a non-numeric timestamp, a non-ASCII signature or a
        non-UTF-8 body (it signs text); each of those is simply not a valid signature."""
        try:
            return self._verifier.is_valid(
                body,
                environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                environ.get("HTTP_X_SLACK_SIGNATURE"),
            )
        except (ValueError, TypeError):
            return False

    def _dispatch(self, environ: dict[str, Any], parsed: dict[str, Any]) -> WsgiHttpResponse:
        """Bolt gets the envelope parsed here, as its Socket Mode requests come: parsed once,
        and its own signature check is off (bot/app.py) because it was done above."""
        wsgi_request = WsgiHttpRequest(environ)
        request = BoltRequest(
            body=parsed,
            query=wsgi_request.query_string,
            headers=wsgi_request.get_headers(),
            mode="socket_mode",
        )
        try:
            answer = self._app.dispatch(request)
        except Exception:
            # Bolt's own error handling can raise (it indexes payload fields while building the
            # handler's arguments); that must not become gunicorn's bare 500 either.
            log.exception("Bolt failed to dispatch a %s", parsed.get("type") or "command")
            answer = failure_reply(parsed, respond=None)
        if answer.status == 404 and "command" in parsed:
            answer = unknown_command(parsed["command"])
        elif answer.status >= 500:
            # Bolt answers 500 when a middleware fails; Slack would show its own error beside
            # nothing from us. Bolt has logged the exception already.
            answer = failure_reply(parsed, respond=None)
        return WsgiHttpResponse(answer.status, answer.headers, answer.body)


def read_capped(environ: dict[str, Any], limit: int) -> tuple[bytes, Refusal | None]:
    """The body, read in pieces and never past `limit` + 1 bytes, chunked or not.

    A declared Content-Length over the limit is refused before reading anything.
    """
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared:
        if not declared.isdigit():
            return b"", Refusal(400, "Content-Length is not a number")
        if int(declared) > limit:
            return b"", Refusal(413, f"body over {limit} bytes")
    stream = environ.get("wsgi.input")
    pieces: list[bytes] = []
    size = 0
    want = int(declared) if declared else limit + 1
    while stream is not None and size < want:
        piece = stream.read(min(64 * 1024, want - size))
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    if size > limit:
        return b"", Refusal(413, f"chunked body over {limit} bytes")
    return b"".join(pieces), None


def envelope_problem(body: dict[str, Any], media_type: str) -> str | None:
    """What is missing or mis-shaped in a verified envelope, or None when listeners can trust it."""
    if "command" in body:
        if media_type != FORM:
            return "a slash command must be form-encoded"
        return _blank(body, "command", "team_id", "user_id", "trigger_id")
    kind = body.get("type")
    if not _filled(kind):
        return "neither a command nor a typed payload"
    if kind in EVENT_ENVELOPES:
        return "an Events API envelope must be JSON" if media_type != JSON else _event_problem(body)
    if media_type != FORM:
        return "an interactive payload must be form-encoded"
    return _interaction_problem(body)


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a checked envelope speaks for (None for url_verification)."""
    if "command" in body or body["type"] in EVENT_ENVELOPES:
        return body.get("team_id")
    return body["team"]["id"]


def unknown_command(command: str) -> BoltResponse:
    """Slack shows "/x failed with the error dispatch_failed" for a 404; tell the person instead."""
    text = (
        f"Tally doesn't know `{escape_mrkdwn(command[:40])}`. "
        "Try `/log help` or `/tally` to see what it can do."
    )
    return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})


def _event_problem(body: dict[str, Any]) -> str | None:
    if body["type"] == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "no challenge to answer"
    if problem := _blank(body, "team_id"):
        return problem
    if body["type"] == "event_callback":
        event = body.get("event")
        if not isinstance(event, dict) or not _filled(event.get("type")):
            return "event_callback without an event object that has a type"
    return None


def _interaction_problem(body: dict[str, Any]) -> str | None:
    for owner in ("user", "team"):
        if not isinstance(body.get(owner), dict) or not _filled(body[owner].get("id")):
            return f"{owner}.id is missing or empty"
    for key in OBJECT_FIELDS:
        if key in body and not isinstance(body[key], dict):
            return f"{key} is not an object"
    kind = body["type"]
    if kind == "block_actions":
        return _actions_problem(body.get("actions")) or _state_problem(body.get("state"))
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict):
            return f"{kind} without a view"
        return _blank(view, "id", "type", "callback_id") or _state_problem(view.get("state"))
    if kind in ("shortcut", "message_action"):
        problem = _blank(body, "callback_id", "trigger_id")
        if (
            problem is None
            and kind == "message_action"
            and not isinstance(body.get("message"), dict)
        ):
            return "message_action without a message"
        return problem
    return None


def _actions_problem(actions: Any) -> str | None:
    if not isinstance(actions, list) or not actions:
        return "block_actions without a list of actions"
    for action in actions:
        if not isinstance(action, dict) or not _filled(action.get("action_id")):
            return "an action without an action_id"
        value = action.get("value")
        if value is not None and (not isinstance(value, str) or len(value) > MAX_ACTION_VALUE):
            return f"an action value that is not text of at most {MAX_ACTION_VALUE} characters"
    return None


def _state_problem(state: Any) -> str | None:
    """`state.values` maps block ids to action ids to element states, all objects."""
    if state is None:
        return None
    values = state.get("values", {}) if isinstance(state, dict) else None
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
        for block in values.values()
    ):
        return "state.values is not a map of blocks to elements"
    return None


def _blank(fields: dict[str, Any], *names: str) -> str | None:
    """The first of `names` that is not non-empty text, as a problem; None when all are."""
    for name in names:
        if not _filled(fields.get(name)):
            return f"{name} is missing or empty"
    return None


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
