"""The WSGI application gunicorn serves: Slack's request URL, a health check, and the charts
App Home shows (see handlers.home_chart)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, unquote

from slack_bolt import App
from sqlalchemy import Engine

from bot.api_http import PREFIX as API_PREFIX
from bot.edge import ServedTeam, SlackEdge, WSGIApp
from bot.install_pages import install_pages
from handlers.chart_links import PATH as CHART_PATH
from handlers.chart_links import signature
from handlers.home_chart import home_chart_png
from scoring.rules import ScoringRules
from storage.db import is_ready, make_session_factory

SLACK_PATH = "/slack/events"


def wsgi_app(
    app: App,
    engine: Engine,
    signing_secret: str,
    rules: ScoringRules | None = None,
    *,
    api: WSGIApp | None = None,
) -> Callable[..., Iterable[bytes]]:
    """Slack's requests pass the edge (size, signature, shape, workspace) before Bolt sees them.
    With `rules` (TALLY_CONFIG's), Home charts are served too; with `api`, the activity API."""
    # OAuth mode serves every installed workspace: Bolt's authorize finds its installation.
    serves = ServedTeam(app.client).serves if app.oauth_flow is None else _any_team
    slack = SlackEdge(app, signing_secret, serves_team=serves)
    installing = install_pages(app.oauth_flow) if app.oauth_flow is not None else None
    reads = make_session_factory(engine, read_only=True)

    def chart(environ: dict[str, Any]) -> bytes | None:
        parts = environ.get("PATH_INFO", "")[len(CHART_PATH) :].split("/")
        if rules is None or len(parts) != 3 or not parts[2].endswith(".png"):
            return None
        team_id, user_id, week = (unquote(p) for p in (*parts[:2], parts[2][:-4]))
        given = parse_qs(environ.get("QUERY_STRING", "")).get("s", [""])[0]
        if not hmac.compare_digest(given, signature(signing_secret, team_id, user_id, week)):
            return None
        with reads() as session:
            return home_chart_png(session, rules, team_id, user_id, week)

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path == "/healthz":
            ok = is_ready(engine)
            start_response(
                "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
            )
            return [b"ok\n" if ok else b"database unavailable\n"]
        if path == SLACK_PATH and environ.get("REQUEST_METHOD") == "POST":
            return slack(environ, start_response)
        if api is not None and path.startswith(API_PREFIX):
            return api(environ, start_response)
        asked = installing is not None and environ.get("REQUEST_METHOD") == "GET"
        if asked and (page := installing(environ)) is not None:
            start_response(page.status, page.get_headers())
            return page.get_body()
        chart_asked = path.startswith(CHART_PATH) and environ.get("REQUEST_METHOD") == "GET"
        if chart_asked and (png := chart(environ)) is not None:
            start_response("200 OK", [("Content-Type", "image/png"), ("Cache-Control", "private")])
            return [png]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return serve


def _any_team(_team_id: str) -> bool:
    return True
