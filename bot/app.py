"""The composition root: one Bolt app wired to the database, the rules and Slack's Web API."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from sqlalchemy import Engine

from bot.delivery import Deliverer
from bot.installations import BotTokens, InstallationStore, OAuthMode, TokenFor, fixed_token
from bot.settings import Settings
from handlers import register_listeners
from handlers.chart_links import HomeCharts
from handlers.deps import Deps, no_installations
from scoring.team_settings import SCHEDULED
from storage.db import make_session_factory

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


def web_client(settings: Settings) -> WebClient:
    """Every Web API call of every process goes to SLACK_API_URL; in OAuth mode the client
    carries no token of its own (each call gets its workspace's)."""
    return WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url)


def bot_tokens(settings: Settings, engine: Engine) -> TokenFor:
    """Where each workspace's token comes from: SLACK_BOT_TOKEN, or its installation."""
    if settings.oauth is None:
        return fixed_token(settings.slack_bot_token)
    store = InstallationStore(settings.oauth, engine)
    return BotTokens(store, settings.oauth, web_client(settings))


def deliverer_for(
    settings: Settings, engine: Engine, clock: Callable[[], datetime] = utc_now
) -> Deliverer:
    """The outbox's sender every process builds: each workspace's messages with its token."""
    sessions = make_session_factory(engine)
    tokens = None if settings.oauth is None else bot_tokens(settings, engine)
    return Deliverer(sessions, web_client(settings), clock, tokens=tokens)


def background(workers: int = 4) -> Callable[[Callable[[], None]], None]:
    """Where listeners put work that must not hold up Slack's reply; failures are logged."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="after-reply")

    def run(work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("work after the reply failed")

    return lambda work: pool.submit(run, work) and None


class _SameTokenFromEnvironment(logging.Filter):
    """Drops Bolt's "token will be unused" warning: Bolt reads SLACK_BOT_TOKEN from the
    environment whenever `token` isn't given, and our client (pointed at SLACK_API_URL) carries
    that very token. Every other Bolt message passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def _quiet_bolt_token_warning() -> None:
    bolt = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _SameTokenFromEnvironment) for f in bolt.filters):
        bolt.addFilter(_SameTokenFromEnvironment())


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] = utc_now,
    verify_token: bool = True,
) -> App:
    sessions = make_session_factory(engine)
    defer = background()
    deliverer = deliverer_for(settings, engine, clock)
    client = web_client(settings)
    oauth = OAuthMode(settings.oauth, engine, client) if settings.oauth else None

    def send_now(keys: Collection[tuple[str, str]]) -> None:
        """After the reply, so Slack never waits on it; what fails, the clock retries."""
        wanted = list(keys)
        defer(lambda: deliverer.deliver_due(wanted) and None)

    deps = Deps(
        sessions=sessions,
        reads=make_session_factory(engine, read_only=True),
        rules=settings.rules,
        admins=settings.admins,
        clock=clock,
        defer=defer,
        send_now=send_now,
        slots={name: getattr(settings.schedules, name) for name in SCHEDULED},
        leaderboard_channel=settings.leaderboard_channel,
        celebrate_channel=settings.celebrate_channel,
        home_charts=(
            HomeCharts(settings.public_url, settings.slack_signing_secret)
            if settings.public_url
            else None
        ),
        forget_installation=oauth.forget if oauth else no_installations,
    )
    # Listeners answer in the request's own thread and hand slow work to `defer`: no thread
    # hop and no polling for the ack on the hot path.
    _quiet_bolt_token_warning()
    # The edge (bot/edge.py) checks every signature on the raw bytes before anything parses
    # them, so Bolt's own second check is off; Tally has no workflow functions to give tokens.
    app = _WithDeps(
        deps,
        client=client,
        signing_secret=settings.slack_signing_secret,
        **(oauth.bolt_options(settings.public_url) if oauth else {}),
        token_verification_enabled=verify_token,
        request_verification_enabled=False,
        attaching_function_token_enabled=False,
        process_before_response=True,
    )
    register_listeners(app)
    return app


class _WithDeps(App):
    """Bolt's App handing every request's listeners `deps` through its context: set as the
    request arrives, over HTTP or Socket Mode, at no cost; a middleware would cost a pass
    through Bolt's argument injection on every request."""

    def __init__(self, deps: Deps, **options: Any) -> None:
        super().__init__(**options)
        self._deps = deps

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        req.context["deps"] = self._deps
        return super().dispatch(req)
