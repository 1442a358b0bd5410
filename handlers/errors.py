"""One error handler for every listener: log the failure, tell the person, never swallow it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse, Respond

from handlers.deps import Deps
from handlers.render import message
from storage.db import database_trouble

log = logging.getLogger(__name__)

SORRY = (
    ":warning: Something went wrong on Tally's side and nothing was saved. "
    "Please try again in a minute."
)
BUSY = ":warning: Not saved — the database is busy. Please try again in a moment."


def register(app: App) -> None:
    app.error(report_error)


def reply_later(
    deps: Deps, respond: Respond, work: Callable[[], str | dict[str, Any] | None]
) -> None:
    """Answer through the response_url once slow work (Web API lookups) is done, after the ack;
    `work` gives mrkdwn, a whole message when it carries buttons, or None when it answered
    another way (a modal it opened)."""

    def run() -> None:
        try:
            reply = work()
        except Exception as error:
            report_error(error, respond)
            return
        if reply is None:
            return
        respond(response_type="ephemeral", **(reply if isinstance(reply, dict) else message(reply)))

    deps.defer(run)


def report_error(
    error: Exception, respond: Respond | None, body: dict[str, Any] | None = None
) -> BoltResponse | None:
    """Bolt answers a failed listener with a 500, which Slack shows as its own error (a slash
    command "failed with the error http_service_error"); for a request in flight (`body`) the
    answer becomes a 200 that carries the apology instead. A database that is unreachable or
    too busy to answer in time is no bug: one line in the log, and the person hears it."""
    trouble = database_trouble(error)
    if trouble is None:
        log.error("listener failed", exc_info=error)
        text = SORRY
    else:
        log.warning("listener failed, nothing saved: database busy or unreachable: %s", trouble)
        text = BUSY
    if body is not None:
        return failure_reply(body, respond, text)
    _tell(respond, text)
    return None


def failure_reply(body: dict[str, Any], respond: Respond | None, text: str = SORRY) -> BoltResponse:
    """A 200 that tells the person: in the command's reply, in the modal, or by response_url."""
    if "command" in body:
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    if body.get("type") == "view_submission":
        view = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Tally"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }
        return BoltResponse(status=200, body={"response_action": "update", "view": view})
    _tell(respond, text)
    return BoltResponse(status=200, body="")


def _tell(respond: Respond | None, text: str) -> None:
    if respond is None:
        return
    try:
        respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("could not tell the user about the failure", exc_info=True)
