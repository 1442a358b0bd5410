"""Slack listeners: each module answers one surface and exposes `register(app)`."""

from slack_bolt import App

from handlers import (
    admin,
    admin_settings,
    approvals,
    entry_edits,
    errors,
    home,
    log_command,
    log_modal,
    plan_actions,
    rep_view,
    tally_command,
    team_invites,
    undo_action,
    uninstalls,
)


def register_listeners(app: App) -> None:
    for surface in (
        errors,
        log_command,
        log_modal,
        undo_action,
        plan_actions,
        tally_command,
        team_invites,
        approvals,
        admin,
        admin_settings,
        home,
        rep_view,
        entry_edits,
        uninstalls,
    ):
        surface.register(app)
