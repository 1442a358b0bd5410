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

from bot.api_http import ActivityApi, ClientFor
from bot.delivery import Deliverer
from bot.installations import (
    BotTokens,
    InstallationStore,
    OAuthMode,
    OrgWorkspaces,
    TokenFor,
    fixed_token,
)
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


def api_clients(settings: Settings, engine: Engine, shared: WebClient) -> ClientFor:
    """The Web API client the activity API uses for a key's workspace: the one client with
    SLACK_BOT_TOKEN, else one with the installation's token (None once it is uninstalled)."""
    if settings.oauth is None:
        return lambda _team_id: shared
    tokens = bot_tokens(settings, engine)

    def client_for(team_id: str) -> WebClient | None:
        token = tokens(team_id)
        return None if token is None else WebClient(token=token, base_url=settings.slack_api_url)

    return client_for


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
) -> TallyApp:
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
    api = ActivityApi(deps, api_clients(settings, engine, client), settings.api_pace)
    app = TallyApp(
        deps,
        api,
        OrgWorkspaces(engine) if oauth else None,
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


class TallyApp(App):
    """Bolt's App handing every request's listeners `deps` through its context: set as the
    request arrives, over HTTP or Socket Mode, at no cost; a middleware would cost a pass
    through Bolt's argument injection on every request. It carries the activity API, which
    `tally serve` mounts beside Slack's request URL."""

    def __init__(
        self,
        deps: Deps,
        activity_api: ActivityApi,
        orgs: OrgWorkspaces | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self._deps = deps
        self.activity_api = activity_api
        self._orgs = orgs  # OAuth mode: which org each workspace of an org-wide install is in

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        context = req.context
        context["deps"] = self._deps
        org_wide = context.is_enterprise_install and context.enterprise_id and context.team_id
        if self._orgs is not None and org_wide:
            self._orgs.saw(context.team_id, context.enterprise_id, self._deps.clock())
        return super().dispatch(req)
