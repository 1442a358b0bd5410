"""OAuth mode: where each workspace's bot token lives and how every process finds it.

slack-sdk's SQLAlchemy installation and OAuth state stores, on Tally's own database (their
tables come from migration 0013, not `create_all`), with the token columns sealed by Fernet when
TALLY_SECRET_KEY is set. Listeners get their token through Bolt's authorize; the clock, the
operator commands and the Deliverer through `BotTokens`, so each workspace's messages go out
with its own token, rotated before it expires when the app has token rotation on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.sqlalchemy_utils import normalize_datetime_for_db
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, MetaData, and_, desc, or_, select
from sqlalchemy.exc import DBAPIError

from bot.settings import OAuth
from handlers.deps import Gone
from storage.columns import SealedText
from storage.db import make_session_factory
from storage.models import OrgWorkspace, slack_store_tables
from storage.org_workspaces import remember_org

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # how long an "Add to Slack" click may take to come back
ROTATE_MINUTES = 120  # rotate a token this long before it expires (Bolt's default)


def sealer(keys: tuple[str, ...]) -> MultiFernet | None:
    """Seals with the first key; opens with any, so a key can be changed without reinstalling."""
    return MultiFernet([Fernet(key) for key in keys]) if keys else None


class InstallationStore(SQLAlchemyInstallationStore):
    """slack-sdk's store on Tally's tables, its token columns sealed."""

    def __init__(self, oauth: OAuth, engine: Engine) -> None:
        super().__init__(client_id=oauth.client_id, engine=engine)
        self.metadata = MetaData()
        self.installations, self.bots, _ = slack_store_tables(
            self.metadata, SealedText(sealer(oauth.secret_keys))
        )

    def bot_of_team(self, team_id: str) -> Bot | None:
        """The newest bot installed for `team_id`, whatever its org (a workspace of an
        Enterprise Grid org is installed with the org's id beside its own, and a row only
        carries the team's), else its org's org-wide bot."""
        c = self.bots.c
        org = select(OrgWorkspace.enterprise_id).where(OrgWorkspace.team_id == team_id)
        org_wide = and_(c.is_enterprise_install.is_(True), c.enterprise_id == org.scalar_subquery())
        query = (
            select(self.bots)
            .where(
                c.client_id == self.client_id,
                or_(c.team_id == team_id, org_wide),
                c.bot_token.is_not(None),
            )
            .order_by(c.is_enterprise_install, desc(c.installed_at))  # the workspace's own first
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        bot = None if row is None else self.build_bot_entity(row)
        return bot if bot is not None and bot.bot_token else None  # None: sealed, can't open

    def forget_team(self, team_id: str) -> int:
        """Delete every installation and bot of `team_id`; how many rows went."""
        with self.engine.begin() as connection:
            removed = 0
            for table in (self.installations, self.bots):
                c = table.c
                gone = connection.execute(
                    table.delete().where(c.client_id == self.client_id, c.team_id == team_id)
                )
                removed += gone.rowcount
        return removed


class StateStore(SQLAlchemyOAuthStateStore):
    """slack-sdk's state store keeps every state nobody came back with, and each view of the
    "Add to Slack" page issues one: the expired ones go as each new one is issued."""

    def issue(self, *args: Any, **kwargs: Any) -> str:
        now = normalize_datetime_for_db(datetime.now(UTC))
        with self.engine.begin() as connection:
            states = self.oauth_states
            connection.execute(states.delete().where(states.c.expire_at <= now))
        return super().issue(*args, **kwargs)


TokenFor = Callable[[str], str | None]


def fixed_token(token: str) -> TokenFor:
    """Single-workspace mode: SLACK_BOT_TOKEN for every row."""
    return lambda _team_id: token


class BotTokens:
    """A workspace's bot token from its installation, None once it is uninstalled.

    With token rotation on, a token near its expiry is refreshed here (and saved) before use;
    one process refreshes at a time, since a refresh token works once.
    """

    def __init__(self, store: InstallationStore, oauth: OAuth, client: WebClient) -> None:
        self._store = store
        self._rotator = TokenRotator(
            client_id=oauth.client_id, client_secret=oauth.client_secret, client=client
        )
        self._lock = threading.Lock()

    def __call__(self, team_id: str) -> str | None:
        bot = self._store.bot_of_team(team_id)
        if bot is None or bot.bot_refresh_token is None:
            return None if bot is None else bot.bot_token
        with self._lock:
            bot = self._store.bot_of_team(team_id) or bot
            try:
                fresh = self._rotator.perform_bot_token_rotation(
                    bot=bot, minutes_before_expiration=ROTATE_MINUTES
                )
            except (SlackApiError, SlackClientError, OSError) as error:
                log.warning("rotating %s's bot token failed: %s", team_id, error)
                return bot.bot_token
            if fresh is None:
                return bot.bot_token
            self._store.save_bot(fresh)
            return fresh.bot_token


class OrgWorkspaces:
    """Notes which Enterprise Grid org each workspace of an org-wide install belongs to, as its
    requests say (once per workspace per process), so that the clock and the operator commands,
    which know a row's team only, find the org's bot token for it."""

    def __init__(self, engine: Engine) -> None:
        self._sessions = make_session_factory(engine)
        self._seen: dict[str, str] = {}

    def saw(self, team_id: str, enterprise_id: str, now: datetime) -> None:
        if self._seen.get(team_id) == enterprise_id:
            return
        try:
            with self._sessions.begin() as session:
                remember_org(session, team_id, enterprise_id, now)
        except DBAPIError:  # the next request from the workspace tries again
            log.warning("could not note %s as a workspace of %s", team_id, enterprise_id)
            return
        self._seen[team_id] = enterprise_id


class OAuthMode:
    """What `tally serve` adds in OAuth mode: Bolt's install pages and authorize on the
    stores, and deleting a workspace's installation when it uninstalls Tally."""

    def __init__(self, oauth: OAuth, engine: Engine, client: WebClient) -> None:
        self._oauth = oauth
        self._client = client
        self.store = InstallationStore(oauth, engine)
        self.states = StateStore(expiration_seconds=STATE_SECONDS, engine=engine)

    def bolt_options(self, public_url: str | None) -> dict[str, Any]:
        """`App(...)` options. Bolt's own authorize would rotate tokens through a client on
        slack.com, whatever SLACK_API_URL says, so it is built here on Tally's client; it
        caches auth.test per token (a rotated or revoked token is simply not found again)."""
        settings = OAuthSettings(
            client_id=self._oauth.client_id,
            client_secret=self._oauth.client_secret,
            scopes=list(self._oauth.scopes),
            redirect_uri=f"{public_url}{REDIRECT_PATH}" if public_url else None,
            redirect_uri_path=REDIRECT_PATH,
            install_path=INSTALL_PATH,
            authorization_url=authorization_url(self._client.base_url),
            installation_store=self.store,
            installation_store_bot_only=True,
            token_rotation_expiration_minutes=ROTATE_MINUTES,
            state_store=self.states,
            state_expiration_seconds=STATE_SECONDS,
        )
        authorize = InstallationStoreAuthorize(
            logger=log,
            installation_store=self.store,
            client_id=self._oauth.client_id,
            client_secret=self._oauth.client_secret,
            token_rotation_expiration_minutes=ROTATE_MINUTES,
            bot_only=True,
            cache_enabled=True,
            client=self._client,
        )
        gone = (
            "Tally is not installed in this workspace any more, so nothing was logged. "
            "An admin can add it again from Tally's install page."
        )
        return {
            "oauth_settings": settings,
            "authorize": authorize,
            "user_facing_authorize_error_message": gone,
        }

    def forget(self, gone: Gone) -> None:
        if gone.org_wide:
            self.store.delete_all(enterprise_id=gone.enterprise_id, team_id=None)
        elif gone.team_id:
            self.store.forget_team(gone.team_id)
        log.info("deleted the installation of %s", gone.team_id or gone.enterprise_id)


def authorization_url(api_url: str) -> str:
    """Slack's consent page beside its Web API (slack.com/api/ → slack.com/oauth/v2/authorize)."""
    return api_url.removesuffix("/").removesuffix("/api") + "/oauth/v2/authorize"
