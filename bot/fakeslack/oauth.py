"""Slack's side of OAuth v2 for the fake: the consent page's codes, `oauth.v2.access`, and the
tokens each install mints, so tests install Tally into several workspaces as Slack would.

Kept apart from the Web API methods: these calls are answered by app credentials, not tokens,
and they decide which workspace every later call with a token acts on.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.fakeslack.workspace import APP_ID, SlackError, wall_clock

CODE_SECONDS = 600


@dataclass
class _Code:
    team_id: str
    user_id: str
    scopes: str
    redirect_uri: str | None
    expires_at: float
    enterprise_id: str | None = None  # an org-wide install of an Enterprise Grid org


@dataclass
class Grant:
    """A token some install minted: the workspace it acts on (or, org-wide, the Enterprise
    Grid org: every workspace of it), until when, and if revoked."""

    team_id: str | None
    expires_at: float | None = None
    revoked: bool = False
    enterprise_id: str | None = None


class Installs:
    """Codes, tokens and refresh tokens of every install (called under the fake's lock)."""

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.rotation_enabled = False
        self.token_lifetime_s = 43200
        self._codes: dict[str, _Code] = {}
        self.grants: dict[str, Grant] = {}
        self._refresh: dict[str, Grant] = {}  # refresh token -> whom its next token acts on

    def approve(
        self, query: str, team_id: str, user_id: str, enterprise_id: str | None = None
    ) -> str:
        """The consent page's answer to an authorize URL's query: the redirect URL, with a
        one-time code, or with the error Slack shows an app whose client_id it doesn't know."""
        asked = {name: values[0] for name, values in parse_qs(query).items()}
        redirect, state = asked.get("redirect_uri") or "", asked.get("state", "")
        if asked.get("client_id") != self.client_id:
            return _with_query(redirect, error="invalid_client_id", state=state)
        code = secrets.token_hex(12)
        self._codes[code] = _Code(
            team_id,
            user_id,
            asked.get("scope", ""),
            asked.get("redirect_uri"),
            wall_clock() + CODE_SECONDS,
            enterprise_id,
        )
        return _with_query(redirect, code=code, state=state)

    def access(
        self, args: dict[str, Any], authorization: str | None
    ) -> tuple[str, str | None, dict[str, Any]]:
        """`oauth.v2.access`: (a workspace it installs in, the org if org-wide, the answer).
        Raises SlackError."""
        client_id, client_secret = _credentials(args, authorization)
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")
        if args.get("grant_type") == "refresh_token":
            owner = self._refresh.pop(str(args.get("refresh_token") or ""), None)
            if owner is None:
                raise SlackError("invalid_refresh_token")
            tokens = self._tokens(owner.team_id, owner.enterprise_id)
            return owner.team_id or "", owner.enterprise_id, tokens | {"token_type": "bot"}
        code = self._codes.pop(str(args.get("code") or ""), None)
        if code is None or code.expires_at < wall_clock():
            raise SlackError("invalid_code")
        if args.get("redirect_uri") and args["redirect_uri"] != code.redirect_uri:
            raise SlackError("bad_redirect_uri")
        org = code.enterprise_id
        return (
            code.team_id,
            org,
            self._tokens(None if org else code.team_id, org)
            | {
                "token_type": "bot",
                "scope": code.scopes,
                "app_id": APP_ID,
                "team": None if org else {"id": code.team_id},
                "enterprise": {"id": org} if org else None,
                "is_enterprise_install": org is not None,
                "authed_user": {"id": code.user_id},
            },
        )

    def grant_of(self, token: str) -> Grant | None:
        return self.grants.get(token)

    def uninstall(self, owner: str) -> None:
        """Revoke what was installed for `owner`: a workspace's id, or an org's (E…)."""
        for grant in self.grants.values():
            if owner in (grant.team_id, grant.enterprise_id):
                grant.revoked = True
        self._refresh = {
            r: g for r, g in self._refresh.items() if owner not in (g.team_id, g.enterprise_id)
        }

    def _tokens(self, team_id: str | None, enterprise_id: str | None = None) -> dict[str, Any]:
        """A new access token for the workspace or org (and, with rotation, its refresh token)."""
        owner = team_id or enterprise_id
        if not self.rotation_enabled:
            token = f"xoxb-{owner}-{secrets.token_hex(8)}"
            self.grants[token] = Grant(team_id, enterprise_id=enterprise_id)
            return {"access_token": token}
        token = f"xoxe.xoxb-1-{owner}-{secrets.token_hex(8)}"
        refresh = f"xoxe-1-{secrets.token_hex(12)}"
        expires_at = wall_clock() + self.token_lifetime_s
        self.grants[token] = Grant(team_id, expires_at, enterprise_id=enterprise_id)
        self._refresh[refresh] = Grant(team_id, enterprise_id=enterprise_id)
        return {
            "access_token": token,
            "refresh_token": refresh,
            "expires_in": self.token_lifetime_s,
        }


def _credentials(args: dict[str, Any], authorization: str | None) -> tuple[str, str]:
    """The app's client id and secret, from HTTP Basic auth (slack_sdk) or the form."""
    if authorization and authorization.startswith("Basic "):
        try:
            pair = base64.b64decode(authorization.removeprefix("Basic ")).decode()
        except (ValueError, UnicodeDecodeError):
            pair = ""
        client_id, _, client_secret = pair.partition(":")
        return client_id, client_secret
    return str(args.get("client_id") or ""), str(args.get("client_secret") or "")


def _with_query(url: str, **fields: str) -> str:
    joiner = "&" if urlsplit(url).query else "?"
    return f"{url}{joiner}{urlencode(fields)}"
