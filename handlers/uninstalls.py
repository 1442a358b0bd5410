"""Slack's `app_uninstalled` and `tokens_revoked` events: the workspace took Tally's token away.

Its installation is deleted (OAuth mode), so no process finds a token for it, and what it still
had queued is abandoned with that reason instead of failing against a dead token for days. Its
people's data stays until an admin runs `tally forget-workspace`.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from handlers.deps import Deps, Gone
from storage.org_workspaces import workspaces_of_org
from storage.outbox import abandon_team

UNINSTALLED = "Tally was uninstalled from this workspace"


def register(app: App) -> None:
    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(tokens_revoked)


def uninstalled(body: dict[str, Any], context: dict[str, Any], deps: Deps) -> None:
    _gone(deps, body, context)


def tokens_revoked(
    event: dict[str, Any], body: dict[str, Any], context: dict[str, Any], deps: Deps
) -> None:
    """Only the bot's token matters: Tally asks for no user tokens."""
    tokens = event.get("tokens")
    if isinstance(tokens, dict) and tokens.get("bot"):
        _gone(deps, body, context)


def _gone(deps: Deps, body: dict[str, Any], context: dict[str, Any]) -> None:
    org_wide = bool(context.get("is_enterprise_install"))
    team_id = context.get("team_id") or body.get("team_id")
    gone = Gone(
        team_id=None if org_wide else team_id,
        enterprise_id=context.get("enterprise_id"),
        org_wide=org_wide,
    )
    deps.forget_installation(gone)
    with deps.sessions.begin() as session:
        teams = {team_id} if team_id else set()
        if org_wide and gone.enterprise_id:  # every workspace the org's install served
            teams.update(workspaces_of_org(session, gone.enterprise_id))
        for team in sorted(teams):
            abandon_team(session, team, UNINSTALLED)
