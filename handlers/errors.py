"""One error handler for every listener: log the failure, tell the person, never swallow it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App, Respond

from handlers.deps import Deps
from handlers.render import message

log = logging.getLogger(__name__)

SORRY = (
    ":warning: Something went wrong on Tally's side and nothing was saved. "
    "Please try again in a minute."
)


def register(app: App) -> None:
    app.error(report_error)


def reply_later(deps: Deps, respond: Respond, work: Callable[[], str]) -> None:
    """Answer through the response_url once slow work (Web API lookups) is done, after the ack."""

    def run() -> None:
        try:
            text = work()
        except Exception as error:
            report_error(error, respond)
            return
        respond(response_type="ephemeral", **message(text))

    deps.defer(run)


def report_error(error: Exception, respond: Respond | None) -> None:
    log.error("listener failed", exc_info=error)
    if respond is None:
        return
    try:
        respond(text=SORRY, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("could not tell the user about the failure", exc_info=True)
