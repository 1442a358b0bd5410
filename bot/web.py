"""The WSGI application gunicorn serves: Slack's request URL plus a health check."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from sqlalchemy import Engine

from bot.edge import ServedTeam, SlackEdge
from storage.db import is_ready

SLACK_PATH = "/slack/events"


def wsgi_app(app: App, engine: Engine, signing_secret: str) -> Callable[..., Iterable[bytes]]:
    """Slack's requests pass the edge (size, signature, shape, workspace) before Bolt sees them."""
    slack = SlackEdge(app, signing_secret, serves_team=ServedTeam(app.client).serves)

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == "/healthz":
            ok = is_ready(engine)
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ok\n" if ok else b"database unavailable\n"]
        if path == SLACK_PATH and environ.get("REQUEST_METHOD") == "POST":
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return serve
