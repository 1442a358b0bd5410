"""The framework's own limit: a Bolt app that only acks `/log`, on Tally's exact server stack.

Run as `python -m bench.bare_bolt` with Tally's environment (SLACK_BOT_TOKEN,
SLACK_SIGNING_SECRET, SLACK_API_URL, PORT, WEB_CONCURRENCY, WEB_THREADS): the same
`TallyServer` gunicorn configuration and WSGI wrapper serve it, so the only difference from
`tally serve` is what happens inside the listener.
"""

from __future__ import annotations

import os
import sys

from slack_bolt import Ack, App
from sqlalchemy import create_engine

from bot.app import web_client
from bot.server import TallyServer
from bot.settings import Settings, load_settings
from bot.web import wsgi_app


def bare_app(settings: Settings) -> App:
    """Configured as Tally's app is (process_before_response), so the ratio compares listeners."""
    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret,
        process_before_response=True,
    )

    @app.command("/log")
    def ack_only(ack: Ack) -> None:
        ack()

    return app


def main() -> int:
    settings = load_settings(os.environ)
    # Only /healthz reads it: an in-memory database that always answers.
    engine = create_engine("sqlite://")
    wsgi = wsgi_app(bare_app(settings), engine, settings.slack_signing_secret)
    TallyServer(wsgi, engine, settings).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
