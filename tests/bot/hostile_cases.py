"""Hostile and malformed requests to the request URL, each with what a careful server answers.

Shared by tests/bot/test_hostile_requests.py (which asserts every case) and
tests/bot/reliability.py (which counts failures per family for RELIABILITY.md).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from hypothesis import strategies as st

from bot.fakeslack.signed_requests import Reply
from handlers.ids import Action, Callback
from tests.fixtures.server import REP, RunningTally

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
OTHER_TEAM = "T0OTHER"


@dataclass(frozen=True)
class Case:
    family: str
    name: str
    send: Callable[[RunningTally], Reply]
    expect: Callable[[Reply], bool]
    expected: str  # what `expect` checks, for failure messages
    stores: bool = False  # a control that should record an entry


@dataclass(frozen=True)
class Outcome:
    case: Case
    reply: Reply | None
    stored: int
    error: str | None = None

    @property
    def failed(self) -> bool:
        if self.error is not None or self.reply is None or not self.case.expect(self.reply):
            return True
        return self.stored != (1 if self.case.stores else 0)

    def describe(self) -> str:
        got = self.error or (self.reply and f"{self.reply.status} {self.reply.body[:120]!r}")
        return (
            f"{self.case.family} / {self.case.name}: expected {self.case.expected}, "
            f"got {got}, {self.stored} entries stored"
        )


def status(*codes: int) -> tuple[Callable[[Reply], bool], str]:
    return (lambda reply: reply.status in codes), " or ".join(map(str, codes))


def says(fragment: str) -> tuple[Callable[[Reply], bool], str]:
    """A 200 whose body carries `fragment`: what the person reads in Slack."""
    return (
        lambda reply: reply.status == 200 and fragment in reply.body
    ), f"200 saying {fragment!r}"


def command_fields(tally: RunningTally, **overrides: str | None) -> dict[str, str]:
    """A `/log demo self-led` as Slack form-encodes it; None drops a field."""
    fields: dict[str, str | None] = {
        "token": "fake-verification-token",
        "team_id": tally.slack.team_id,
        "team_domain": "tally-demo",
        "channel_id": "C0GENERAL",
        "channel_name": "general",
        "user_id": REP,
        "user_name": "rita",
        "command": "/log",
        "text": "demo self-led",
        "api_app_id": "A0TALLY",
        "response_url": tally.slack.new_response_url(),
        "trigger_id": tally.slack.new_trigger_id(REP),
    } | overrides
    return {key: value for key, value in fields.items() if value is not None}


def command(**overrides: str | None) -> Callable[[RunningTally], Reply]:
    return lambda t: t.signed.send(urlencode(command_fields(t, **overrides)), FORM)


def interaction(tally: RunningTally, kind: str = "block_actions") -> dict[str, Any]:
    """An Undo click on a message, as Slack would send it (the entry id is made up)."""
    return {
        "type": kind,
        "token": "fake-verification-token",
        "api_app_id": "A0TALLY",
        "team": {"id": tally.slack.team_id, "domain": "tally-demo"},
        "user": {"id": REP, "username": "rita", "team_id": tally.slack.team_id},
        "trigger_id": tally.slack.new_trigger_id(REP),
        "response_url": tally.slack.new_response_url(),
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0GENERAL"},
        "channel": {"id": "C0GENERAL", "name": "general"},
        "actions": [{"type": "button", "action_id": Action.UNDO, "block_id": "b", "value": "1"}],
    }


def submission(tally: RunningTally, values: Any) -> dict[str, Any]:
    """A log modal submitted with `values` as its `state.values`."""
    payload = interaction(tally, "view_submission")
    del payload["actions"], payload["container"], payload["channel"], payload["response_url"]
    return payload | {
        "view": {
            "id": "V0LOG",
            "type": "modal",
            "callback_id": Callback.LOG_MODAL,
            "private_metadata": "",
            "state": {"values": values},
        }
    }


def payload(change: Callable[[dict[str, Any]], Any]) -> Callable[[RunningTally], Reply]:
    """A signed `payload=` form of an Undo click after `change` edits it (or returns a new one)."""

    def send(tally: RunningTally) -> Reply:
        body = interaction(tally)
        changed = change(body)
        body = body if changed is None else changed
        return tally.signed.send(urlencode({"payload": json.dumps(body)}), FORM)

    return send


def event_envelope(tally: RunningTally, event: Any = None) -> dict[str, Any]:
    return {
        "token": "fake-verification-token",
        "team_id": tally.slack.team_id,
        "api_app_id": "A0TALLY",
        "type": "event_callback",
        "event_id": "Ev0HOSTILE",
        "event_time": 1,
        "event": {"type": "app_home_opened", "user": REP, "tab": "home"}
        if event is None
        else event,
    }


def event(change: Callable[[dict[str, Any]], Any]) -> Callable[[RunningTally], Reply]:
    def send(tally: RunningTally) -> Reply:
        body = event_envelope(tally)
        change(body)
        return tally.signed.send(json.dumps(body), JSON)

    return send


def command_as(content_type: str | None) -> Callable[[RunningTally], Reply]:
    """A well-formed signed /log under another Content-Type."""
    return lambda t: t.signed.send(urlencode(command_fields(t)), content_type)


def submission_without_view(tally: RunningTally) -> Reply:
    body = submission(tally, {})
    del body["view"]
    return tally.signed.send(urlencode({"payload": json.dumps(body)}), FORM)


def submission_without_view_type(tally: RunningTally) -> dict[str, Any]:
    """Bolt indexes `view.type` while it handles an error, so its absence once escaped as a 500."""
    body = submission(tally, {})
    del body["view"]["type"]
    return body


def raw(
    body: bytes | str, content_type: str | None = FORM, **options: Any
) -> Callable[[RunningTally], Reply]:
    return lambda t: t.signed.send(body, content_type, **options)


def unsigned_command(**options: Any) -> Callable[[RunningTally], Reply]:
    return lambda t: t.signed.send(urlencode(command_fields(t)), FORM, signed=False, **options)


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.__setitem__(key, value)


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda body: body.pop(key)


def _case(
    family: str,
    name: str,
    send: Callable[[RunningTally], Reply],
    expectation: tuple[Callable[[Reply], bool], str],
    stores: bool = False,
) -> Case:
    expect, expected = expectation
    return Case(family, name, send, expect, expected, stores)


MB = 1024 * 1024
GENERATED_EXAMPLES = 150
SIGNATURE = "signature and timestamp"
SIZE = "body size and framing"
FORMAT = "encoding and content type"
COMMAND = "command envelope"
INTERACTIVE = "interactive payload envelope"
EVENTS = "Events API envelope"
TEAM = "workspace not served"
UNKNOWN = "unknown command, action or view"

CASES: list[Case] = [
    _case(SIGNATURE, "unsigned /log", unsigned_command(), status(401)),
    _case(
        SIGNATURE,
        "wrong signature",
        unsigned_command(
            headers={"X-Slack-Request-Timestamp": "1", "X-Slack-Signature": "v0=" + "0" * 64}
        ),
        status(401),
    ),
    _case(
        SIGNATURE,
        "timestamp 'abc'",
        unsigned_command(
            headers={"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64}
        ),
        status(401),
    ),
    _case(
        SIGNATURE,
        "timestamp of 5,000 digits",
        unsigned_command(
            headers={"X-Slack-Request-Timestamp": "9" * 5000, "X-Slack-Signature": "v0=00"}
        ),
        status(401),
    ),
    _case(
        SIGNATURE,
        "signature with non-ASCII characters",
        lambda t: t.signed.send(
            urlencode(command_fields(t)), FORM, headers={"X-Slack-Signature": "v0=\xe9\xe9"}
        ),
        status(401),
    ),
    _case(
        SIGNATURE,
        "stale timestamp, signed for it",
        lambda t: t.signed.post(urlencode(command_fields(t)), FORM, timestamp=1_000_000_000),
        status(401),
    ),
    _case(
        SIGNATURE,
        "timestamp 10 minutes ahead, signed for it",
        lambda t: t.signed.post(
            urlencode(command_fields(t)), FORM, timestamp=int(t.signed._clock()) + 600
        ),
        status(401),
    ),
    _case(SIGNATURE, "unsigned payload=notjson", raw("payload=notjson", signed=False), status(401)),
    _case(SIGNATURE, "unsigned non-UTF-8 body", raw(b"\xff\xfe\xfa", signed=False), status(401)),
    _case(SIGNATURE, "unsigned JSON [1]", raw("[1]", JSON, signed=False), status(401)),
    _case(SIGNATURE, "unsigned empty body", raw(b"", signed=False), status(401)),
    _case(
        SIGNATURE,
        "non-UTF-8 body with a timestamp and no signature",
        raw(b"payload=\xff", signed=False, headers={"X-Slack-Request-Timestamp": "1"}),
        status(401),
    ),
    _case(SIZE, "2 MB signed body", raw("text=" + "x" * (2 * MB)), status(413)),
    _case(SIZE, "2 MB chunked body", raw("text=" + "x" * (2 * MB), chunked=True), status(413)),
    _case(
        SIZE,
        "Content-Length: abc",
        raw("text=x", content_length=None, headers={"Content-Length": "abc"}),
        status(400),
    ),
    _case(
        SIZE,
        "Content-Length shorter than the body",
        lambda t: t.signed.send(urlencode(command_fields(t)), FORM, content_length=10),
        status(401),
    ),
    _case(
        SIZE,
        "chunked signed /log within the limit",
        lambda t: t.signed.send(urlencode(command_fields(t)), FORM, chunked=True),
        says("self-led demo"),
        stores=True,
    ),
    _case(FORMAT, "signed /log sent as text/plain", command_as("text/plain"), status(415)),
    _case(FORMAT, "signed /log with no Content-Type", command_as(None), status(415)),
    _case(
        FORMAT, "signed /log as multipart/form-data", command_as("multipart/form-data"), status(415)
    ),
    _case(FORMAT, "signed payload=notjson", raw("payload=notjson"), status(400)),
    _case(FORMAT, "signed payload=[1]", raw("payload=%5B1%5D"), status(400)),
    _case(FORMAT, "signed payload=null", raw("payload=null"), status(400)),
    _case(FORMAT, "signed JSON [1]", raw("[1]", JSON), status(400)),
    _case(FORMAT, "signed JSON 42", raw("42", JSON), status(400)),
    _case(FORMAT, "signed JSON nested 100,000 deep", raw("[" * 100_000, JSON), status(400)),
    _case(FORMAT, "signed empty body", raw(b""), status(400)),
    _case(
        FORMAT,
        "url_verification with a charset",
        raw(json.dumps({"type": "url_verification", "challenge": "c4"}), JSON + "; charset=utf-8"),
        says("c4"),
    ),
    _case(COMMAND, "empty user_id", command(user_id=""), status(400)),
    _case(COMMAND, "empty team_id", command(team_id=""), status(400)),
    _case(COMMAND, "no user_id", command(user_id=None), status(400)),
    _case(COMMAND, "no trigger_id", command(trigger_id=None), status(400)),
    _case(COMMAND, "empty command", command(command=""), status(400)),
    _case(COMMAND, "no command and no type", command(command=None), status(400)),
    _case(
        COMMAND,
        "command sent as JSON",
        lambda t: t.signed.send(json.dumps(command_fields(t)), JSON),
        status(400),
    ),
    _case(INTERACTIVE, "no type", payload(_drop("type")), status(400)),
    _case(INTERACTIVE, "type 42", payload(_set("type", 42)), status(400)),
    _case(INTERACTIVE, "user: null", payload(_set("user", None)), status(400)),
    _case(INTERACTIVE, "user.id empty", payload(_set("user", {"id": ""})), status(400)),
    _case(INTERACTIVE, "no team", payload(_drop("team")), status(400)),
    _case(INTERACTIVE, "actions: 'x'", payload(_set("actions", "x")), status(400)),
    _case(INTERACTIVE, "actions: []", payload(_set("actions", [])), status(400)),
    _case(INTERACTIVE, "actions: [42]", payload(_set("actions", [42])), status(400)),
    _case(INTERACTIVE, "container: 'x'", payload(_set("container", "x")), status(400)),
    _case(
        INTERACTIVE,
        "action value of 5,000 characters",
        payload(lambda body: body["actions"][0].__setitem__("value", "9" * 5000)),
        status(400),
    ),
    _case(
        INTERACTIVE,
        "Undo of entry id 10**1999",
        payload(lambda body: body["actions"][0].__setitem__("value", "9" * 2000)),
        status(200),
    ),
    _case(
        INTERACTIVE,
        "view_submission without a view",
        submission_without_view,
        status(400),
    ),
    *[
        _case(
            INTERACTIVE,
            f"view_submission with state.values = {values!r}",
            lambda t, values=values: t.signed.send(
                urlencode({"payload": json.dumps(submission(t, values))}), FORM
            ),
            status(400),
        )
        for values in ("x", ["x"], {"activity": "x"}, {"activity": {"activity": 1}})
    ],
    _case(
        INTERACTIVE,
        "view_submission whose view has no type",
        lambda t: t.signed.send(
            urlencode({"payload": json.dumps(submission_without_view_type(t))}), FORM
        ),
        status(400),
    ),
    _case(EVENTS, "event: 42", event(_set("event", 42)), status(400)),
    _case(EVENTS, "no event", event(_drop("event")), status(400)),
    _case(EVENTS, "event without a type", event(_set("event", {"user": REP})), status(400)),
    _case(EVENTS, "no team_id", event(_drop("team_id")), status(400)),
    _case(
        EVENTS,
        "event_callback as a form",
        lambda t: t.signed.send(urlencode({"payload": json.dumps(event_envelope(t))}), FORM),
        status(400),
    ),
    _case(TEAM, "/log from another workspace", command(team_id=OTHER_TEAM), status(403)),
    _case(
        TEAM,
        "Undo click from another workspace",
        payload(_set("team", {"id": OTHER_TEAM})),
        status(403),
    ),
    _case(TEAM, "event from another workspace", event(_set("team_id", OTHER_TEAM)), status(403)),
    _case(UNKNOWN, "unknown command /nope", command(command="/nope"), says("/nope")),
    _case(
        UNKNOWN,
        "unknown action id",
        payload(lambda body: body["actions"][0].__setitem__("action_id", "nope")),
        status(404),
    ),
    _case(
        UNKNOWN,
        "unknown view callback",
        lambda t: t.signed.send(
            urlencode(
                {
                    "payload": json.dumps(
                        submission(t, {})
                        | {"view": submission(t, {})["view"] | {"callback_id": "x"}}
                    )
                }
            ),
            FORM,
        ),
        status(404),
    ),
]


def run_case(tally: RunningTally, case: Case) -> Outcome:
    """Send one case; a dropped connection or timeout counts as a failure, not a crash."""
    before = len(tally.entries(live=False))
    try:
        reply, error = case.send(tally), None
    except OSError as failure:
        reply, error = None, f"{type(failure).__name__}: {failure}"
    return Outcome(case, reply, len(tally.entries(live=False)) - before, error)


@dataclass(frozen=True)
class Generated:
    """One generated request: its body, Content-Type, extra headers, and whether it is signed."""

    body: bytes
    content_type: str | None
    headers: dict[str, str]
    signed: bool

    def send(self, tally: RunningTally) -> Reply:
        return tally.signed.send(
            self.body, self.content_type, signed=self.signed, headers=self.headers
        )


SLACK_KEYS = [
    "command", "team_id", "user_id", "trigger_id", "text", "payload", "type", "user", "team",
    "actions", "view", "event", "state", "values", "id", "action_id", "value", "container",
]  # fmt: skip


def generated_requests() -> st.SearchStrategy[Generated]:
    """Form and JSON bodies of random Slack-ish structure, raw bytes, odd types and headers."""
    keys = st.sampled_from(SLACK_KEYS) | st.text(max_size=8)
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    json_values = st.recursive(
        scalars | st.sampled_from([REP, "T0TALLY", "/log", "block_actions", "view_submission"]),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=20,
    )
    json_bodies = json_values.map(lambda value: json.dumps(value).encode())
    form_values = st.text(max_size=30) | json_values.map(json.dumps)
    form_bodies = st.dictionaries(keys, form_values, max_size=8).map(
        lambda fields: urlencode(fields).encode()
    )
    bodies = json_bodies | form_bodies | st.binary(max_size=200)
    content_types = st.sampled_from(
        [FORM, JSON, JSON + "; charset=utf-8", "text/plain", "multipart/form-data", None]
    )
    header_names = st.sampled_from(
        ["X-Slack-Retry-Num", "X-Slack-Retry-Reason", "X-Forwarded-For", "Accept", "X-Junk"]
    )
    header_values = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
    random_requests = st.builds(
        Generated,
        body=bodies,
        content_type=content_types,
        headers=st.dictionaries(header_names, header_values, max_size=3),
        signed=st.booleans(),
    ).filter(lambda generated: not generated.signed or _is_utf8(generated.body))
    return random_requests | near_valid_requests(json_values)


# Well-formed envelopes for each surface, which the generator then bends a field or two of.
TEMPLATES: list[dict[str, Any]] = [
    {
        "team_id": "T0TALLY",
        "user_id": REP,
        "command": "/log",
        "text": "demo self-led",
        "trigger_id": "1.2.3",
        "channel_id": "C0GENERAL",
    },
    {
        "type": "block_actions",
        "user": {"id": REP},
        "team": {"id": "T0TALLY"},
        "trigger_id": "1.2.3",
        "container": {"type": "message", "message_ts": "1.2", "channel_id": "C0GENERAL"},
        "actions": [{"action_id": Action.UNDO, "block_id": "b", "value": "1"}],
    },
    {
        "type": "view_submission",
        "user": {"id": REP},
        "team": {"id": "T0TALLY"},
        "trigger_id": "1.2.3",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": Callback.LOG_MODAL,
            "private_metadata": "",
            "state": {"values": {}},
        },
    },
    {
        "type": "message_action",
        "user": {"id": REP},
        "team": {"id": "T0TALLY"},
        "callback_id": Callback.LOG_SHORTCUT,
        "trigger_id": "1.2.3",
        "message": {"type": "message", "text": "demo", "ts": "1.2", "user": REP},
        "channel": {"id": "C0GENERAL"},
    },
    {
        "type": "event_callback",
        "team_id": "T0TALLY",
        "event": {"type": "app_home_opened", "user": REP, "tab": "home"},
    },
]


def near_valid_requests(json_values: st.SearchStrategy[Any]) -> st.SearchStrategy[Generated]:
    """A signed template with some fields (top-level or one level down) replaced or dropped."""

    @st.composite
    def bend(draw: st.DrawFn) -> Generated:
        template = draw(st.sampled_from(TEMPLATES))
        body = copy.deepcopy(template)
        for key in draw(st.lists(st.sampled_from(sorted(body)), max_size=3, unique=True)):
            target = body
            if isinstance(body[key], dict) and body[key] and draw(st.booleans()):
                target, key = body[key], draw(st.sampled_from(sorted(body[key])))
            if draw(st.booleans()):
                target[key] = draw(json_values)
            else:
                target.pop(key, None)
        if "command" in template:
            fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
            return Generated(urlencode(fields).encode(), FORM, {}, signed=True)
        if template["type"] == "event_callback":
            return Generated(json.dumps(body).encode(), JSON, {}, signed=True)
        return Generated(urlencode({"payload": json.dumps(body)}).encode(), FORM, {}, signed=True)

    return bend()


def _is_utf8(body: bytes) -> bool:
    """SignatureVerifier signs text, so only UTF-8 bodies can be signed."""
    try:
        body.decode()
    except UnicodeDecodeError:
        return False
    return True


def generated_failure(tally: RunningTally, generated: Generated) -> str | None:
    """What is wrong with the server's answer to `generated`, or None when it is right."""
    before = len(tally.entries(live=False))
    try:
        reply = generated.send(tally)
    except OSError as error:
        return f"{type(error).__name__}: {error} for {generated!r}"
    stored = len(tally.entries(live=False)) - before
    if reply.status >= 500:
        return f"{reply.status} {reply.body[:80]!r} for {generated!r}"
    if reply.status >= 400 and stored:
        return f"refused with {reply.status} yet stored {stored} entries: {generated!r}"
    return None
