"""The activity API over HTTP: `/api/v1/…`, JSON both ways, a Bearer key per workspace.

Hand-written WSGI like the rest of `bot/web.py`: three routes need no framework. Every refusal
is JSON with a code and a message, and nothing a client sends reaches a 5xx: the body is read
with a cap, its JSON parsed strictly (no NaN, no lone surrogates), and each field checked in
`handlers.activity_api` before anything is stored.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote

from slack_sdk import WebClient
from sqlalchemy.exc import DBAPIError

from bot.edge import JSON, read_capped
from bot.openapi import openapi_document
from bot.rate_limits import API_PACE, Pace, RateLimiter
from handlers.activity_api import ApiError, list_activities, log_activity, week_summary
from handlers.deps import Deps
from storage.api_keys import key_of_secret
from storage.models import ApiKey

log = logging.getLogger(__name__)

PREFIX = "/api/v1/"
ACTIVITIES = PREFIX + "activities"
WEEKS = PREFIX + "weeks/"
OPENAPI = PREFIX + "openapi.json"
BODY_LIMIT = 64 * 1024  # one activity is a few hundred bytes; a note is up to 3,000 characters
ClientFor = Callable[[str], WebClient | None]  # a workspace's Web API client; None: uninstalled


class ActivityApi:
    """The WSGI application for every path under PREFIX."""

    def __init__(self, deps: Deps, client_for: ClientFor, pace: Pace = API_PACE) -> None:
        self._deps = deps
        self._client_for = client_for
        self._limiter = RateLimiter(pace)
        self._document = openapi_document()

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        headers: list[tuple[str, str]] = []
        try:
            status, body = self._answer(environ)
        except ApiError as error:
            status, body = error.status, error.body()
            headers = error.headers
        except DBAPIError:
            log.exception("the activity API could not reach the database")
            status, body = 503, _error("database_unavailable", "Try again in a minute.")
            headers = [("Retry-After", "30")]
        except Exception:  # a bug of ours: still JSON, and logged with its traceback
            log.exception("the activity API failed on %s", environ.get("PATH_INFO"))
            status, body = 500, _error("internal_error", "Tally failed on this; we logged it.")
        payload = json.dumps(body, ensure_ascii=False).encode()
        headers = [("Content-Type", JSON), ("Content-Length", str(len(payload))), *headers]
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return [payload]

    def _answer(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        path = environ.get("PATH_INFO") or ""
        method = environ.get("REQUEST_METHOD") or "GET"
        if path == OPENAPI:
            _allow(method, "GET")
            return 200, self._document
        if path == ACTIVITIES:
            _allow(method, "GET", "POST")
            key = self._key(environ)
            client = self._client(key)
            if method == "POST":
                return log_activity(self._deps, client, key, _json_body(environ))
            query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            return list_activities(self._deps, client, key, query)
        if path.startswith(WEEKS) and "/" not in path[len(WEEKS) :]:
            _allow(method, "GET")
            key = self._key(environ)
            return week_summary(self._deps, key, unquote(path[len(WEEKS) :]))
        raise ApiError(404, "not_found", f"No such endpoint; see {OPENAPI}.")

    def _key(self, environ: dict[str, Any]) -> ApiKey:
        """The request's key, working and within its pace."""
        scheme, _, secret = (environ.get("HTTP_AUTHORIZATION") or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise _unauthorized("Send your key as `Authorization: Bearer tally_…`.")
        with self._deps.reads() as session:
            key = key_of_secret(session, secret.strip())
        if key is None:
            raise _unauthorized("That API key isn't one Tally made.")
        if key.revoked_at is not None:
            raise ApiError(403, "key_revoked", f"The API key “{key.name}” was revoked.")
        wait = self._limiter.try_take(key.id)
        if wait > 0:
            retry = ("Retry-After", str(max(1, math.ceil(wait))))
            raise ApiError(429, "rate_limited", "Too many requests for this key.", headers=(retry,))
        return key

    def _client(self, key: ApiKey) -> WebClient:
        client = self._client_for(key.team_id)
        if client is None:
            raise ApiError(
                403, "not_installed", "Tally is not installed in this workspace any more."
            )
        return client


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        allow = ("Allow", ", ".join(allowed))
        raise ApiError(405, "method_not_allowed", f"Use {' or '.join(allowed)}.", headers=(allow,))


def _json_body(environ: dict[str, Any]) -> Any:
    media_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    if media_type != JSON:
        raise ApiError(415, "unsupported_media_type", "Send the body as application/json.")
    body, refusal = read_capped(environ, BODY_LIMIT)
    if refusal is not None:
        code = "too_large" if refusal.status == 413 else "invalid_request"
        raise ApiError(refusal.status, code, refusal.reason[:1].upper() + refusal.reason[1:] + ".")
    try:
        return json.loads(body.decode(), parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ApiError(400, "invalid_json", "The body isn't JSON.") from None


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is no JSON number")


def _unauthorized(message: str) -> ApiError:
    challenge = ("WWW-Authenticate", 'Bearer realm="tally"')
    return ApiError(401, "unauthorized", message, headers=(challenge,))


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}
