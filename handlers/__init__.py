"""Slack listeners: each module answers one surface and exposes `register(app)`."""

from slack_bolt import App

from handlers import errors, home, log_command, log_modal, tally_command, undo_action


def register_listeners(app: App) -> None:
    for surface in (errors, log_command, log_modal, undo_action, tally_command, home):
        surface.register(app)
