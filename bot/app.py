"""The composition root: one Bolt app wired to the database, the rules and Slack's Web API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.settings import Settings
from handlers import register_listeners
from handlers.deps import Deps
from storage.db import make_session_factory


def utc_now() -> datetime:
    return datetime.now(UTC)


def web_client(settings: Settings) -> WebClient:
    """Every Web API call of every process goes to SLACK_API_URL."""
    return WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utc_now,
    verify_token: bool = True,
) -> App:
    deps = Deps(
        sessions=make_session_factory(engine),
        rules=settings.rules,
        admins=settings.admins,
        clock=clock,
    )
    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=verify_token,
    )

    @app.middleware
    def provide_deps(context: BoltContext, next: Callable[[], None]) -> None:
        context["deps"] = deps
        next()

    register_listeners(app)
    return app
