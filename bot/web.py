"""The WSGI application gunicorn serves: Slack's request URL plus a health check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import Engine

from storage.db import is_ready

SLACK_PATH = "/slack/events"


def wsgi_app(app: App, engine: Engine) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=SLACK_PATH)

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            ok = is_ready(engine)
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ok\n" if ok else b"database unavailable\n"]
        return slack(environ, start_response)

    return serve
