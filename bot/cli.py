"""`tally …`: every process and operator command, sharing one way to load settings."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_app
from bot.demo import run_demo
from bot.server import TallyServer
from bot.settings import Settings, SettingsError, load_settings
from bot.web import wsgi_app
from storage.db import make_engine, upgrade


def _serve(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    app = create_app(settings, engine)
    TallyServer(wsgi_app(app, engine), engine, settings).run()
    return 0


def _socket(settings: Settings) -> int:
    if not settings.slack_app_token:
        raise SettingsError(
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…)."
        )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    SocketModeHandler(create_app(settings, engine), settings.slack_app_token).start()
    return 0


def _db_upgrade(settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"Database is up to date ({engine.url.render_as_string(hide_password=True)}).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tally", description="Tally: sales activity points in Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="run the HTTP server for Slack's request URL")
    commands.add_parser("socket", help="run over Socket Mode (no public URL needed)")
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply Alembic migrations")
    commands.add_parser("demo", help="play a small team's week against a built-in fake Slack")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command == "demo":
            return run_demo()
        if args.command == "db":
            return _db_upgrade(load_settings(os.environ, slack=False))
        settings = load_settings(os.environ)
        return {"serve": _serve, "socket": _socket}[args.command](settings)
    except SettingsError as error:
        print(f"tally: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
