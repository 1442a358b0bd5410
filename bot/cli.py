"""`tally …`: every process and operator command, sharing one way to load settings."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_app, utc_now, web_client
from bot.clock import run_clock
from bot.delivery import Deliverer
from bot.demo import run_demo
from bot.jobs import DraftsFor, run_job
from bot.server import TallyServer
from bot.settings import Settings, SettingsError, load_settings
from bot.web import wsgi_app
from handlers.digest import digests_for_week
from handlers.leaderboard import leaderboards_for_week
from handlers.nudges import nudges_due
from handlers.reminders import reminder_drafts
from scoring.weeks import iso_week_label, parse_iso_week
from storage.db import make_engine, make_session_factory, upgrade


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    app = create_app(settings, engine)
    TallyServer(wsgi_app(app, engine), engine, settings).run()
    return 0


def _socket(settings: Settings, _args: argparse.Namespace) -> int:
    if not settings.slack_app_token:
        raise SettingsError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token.")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    SocketModeHandler(create_app(settings, engine), settings.slack_app_token).start()
    return 0


def _clock(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    run_clock(settings, sessions, Deliverer(sessions, web_client(settings), utc_now), utc_now)
    return 0


def _week(raw: str | None) -> str:
    if raw is None:
        return iso_week_label(utc_now().date())
    try:
        return iso_week_label(parse_iso_week(raw.strip().upper()))
    except ValueError as error:
        raise SettingsError(f"--week: {error}") from None


def _as_of(raw: str | None) -> datetime:
    """A past or present day, evaluated at noon UTC so every zone is on that same date."""
    if raw is None:
        return utc_now()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"--as-of must be a date like 2026-11-20, got {raw!r}.") from None
    if day > utc_now().date():
        raise SettingsError(f"--as-of {raw} is in the future; reminders and nudges look back.")
    return datetime.combine(day, time(12), tzinfo=UTC)


def _job(settings: Settings, what: str, drafts_for: DraftsFor, now: datetime) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    summary = run_job(sessions, Deliverer(sessions, web_client(settings), utc_now), drafts_for, now)
    for error in summary.errors:
        print(f"  failed: {error}", file=sys.stderr)
    print(summary.line(what))
    return 1 if summary.failed else 0


def _digest(settings: Settings, args: argparse.Namespace) -> int:
    week = _week(args.week)
    return _job(
        settings,
        f"digests {week}",
        lambda session, now: digests_for_week(session, settings.rules, week, now),
        utc_now(),
    )


def _leaderboard(settings: Settings, args: argparse.Namespace) -> int:
    week = _week(args.week)
    channels = args.channel or (
        [settings.leaderboard_channel] if settings.leaderboard_channel else []
    )
    if not channels:
        raise SettingsError(
            "No leaderboard channel: set leaderboard_channel in TALLY_CONFIG or pass --channel C…."
        )
    return _job(
        settings,
        f"leaderboards {week}",
        lambda session, _now: [
            d for c in channels for d in leaderboards_for_week(session, settings.rules, c, week)
        ],
        utc_now(),
    )


def _reminders(settings: Settings, args: argparse.Namespace) -> int:
    now = _as_of(args.as_of)
    return _job(
        settings,
        f"plan reminders {now:%Y-%m-%d}",
        lambda session, at: reminder_drafts(session, None, at),
        now,
    )


def _nudges(settings: Settings, args: argparse.Namespace) -> int:
    now = _as_of(args.as_of)
    return _job(
        settings,
        f"pace nudges {now:%Y-%m-%d}",
        lambda session, at: nudges_due(
            session, settings.rules, settings.schedules.nudges, at, on_schedule=False
        ),
        now,
    )


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"Database is up to date ({engine.url.render_as_string(hide_password=True)}).")
    return 0


COMMANDS = {
    "serve": _serve,
    "socket": _socket,
    "clock": _clock,
    "digest": _digest,
    "leaderboard": _leaderboard,
    "reminders": _reminders,
    "nudges": _nudges,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Tally: sales activity in Slack.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("serve", help="run the HTTP server for Slack's request URL")
    commands.add_parser("socket", help="run over Socket Mode (no public URL needed)")
    commands.add_parser("clock", help="send digests, leaderboards, reminders and nudges on time")
    digest = commands.add_parser("digest", help="send managers' weekly digests now")
    digest.add_argument("--week", help="ISO week like 2026-W48 (default: this week)")
    board = commands.add_parser("leaderboard", help="post the weekly leaderboard now")
    board.add_argument("--week", help="ISO week like 2026-W48 (default: this week)")
    board.add_argument("--channel", action="append", help="channel ID (repeatable)")
    reminders = commands.add_parser("reminders", help="send overdue account-plan reminders now")
    reminders.add_argument("--as-of", help="date YYYY-MM-DD (default: today)")
    nudges = commands.add_parser("nudges", help="send pace nudges to reps behind now")
    nudges.add_argument("--as-of", help="date YYYY-MM-DD (default: today)")
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
            return _db_upgrade(load_settings(os.environ, slack=False), args)
        return COMMANDS[args.command](load_settings(os.environ), args)
    except SettingsError as error:
        print(f"tally: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
