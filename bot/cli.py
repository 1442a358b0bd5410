"""`tally …`: every process and operator command, sharing one way to load settings."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import textwrap
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.app import create_app, deliverer_for, utc_now
from bot.clock import run_clock, wait_for_database
from bot.demo import run_demo
from bot.export_command import SETTINGS as EXPORT_SETTINGS
from bot.export_command import add_arguments as add_export_arguments
from bot.export_command import run as run_export
from bot.forget_command import SETTINGS as FORGET_SETTINGS
from bot.forget_command import add_arguments as add_forget_arguments
from bot.forget_command import run as run_forget
from bot.forget_workspace_command import SETTINGS as FORGET_WORKSPACE_SETTINGS
from bot.forget_workspace_command import add_arguments as add_forget_workspace_arguments
from bot.forget_workspace_command import run as run_forget_workspace
from bot.import_command import SETTINGS as IMPORT_SETTINGS
from bot.import_command import add_arguments as add_import_arguments
from bot.import_command import run as run_import
from bot.jobs import DraftsFor, run_job
from bot.outbox_command import add_arguments as add_outbox_arguments
from bot.outbox_command import run as run_outbox
from bot.server import TallyServer
from bot.settings import Settings, SettingsError, load_settings
from bot.web import wsgi_app
from handlers.digest import digests_for_week
from handlers.leaderboard import leaderboards_for_week
from handlers.nudges import nudges_due
from handlers.reminders import reminder_drafts
from scoring.weeks import iso_week_label, parse_iso_week, week_at
from storage.db import BACKGROUND_WAITS, DatabaseUnavailable, make_session_factory, open_database
from storage.members import managers
from storage.team_settings import every_team_settings


def _serve(settings: Settings, _args: argparse.Namespace) -> int:
    engine = open_database(settings.database_url)
    app = create_app(settings, engine)
    wsgi = wsgi_app(
        app, engine, settings.slack_signing_secret, settings.rules, api=app.activity_api
    )
    TallyServer(wsgi, engine, settings).run()
    return 0


def _socket(settings: Settings, _args: argparse.Namespace) -> int:
    if not settings.slack_app_token:
        raise SettingsError("SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token.")
    if settings.oauth is not None:
        raise SettingsError(
            "Socket Mode serves one workspace: set SLACK_BOT_TOKEN instead of SLACK_CLIENT_ID "
            "and SLACK_CLIENT_SECRET, or run `tally serve` for OAuth installs."
        )
    engine = open_database(settings.database_url)
    SocketModeHandler(create_app(settings, engine), settings.slack_app_token).start()
    return 0


def _clock(settings: Settings, _args: argparse.Namespace) -> int:
    engine = wait_for_database(settings.database_url)
    sessions = make_session_factory(engine)
    run_clock(settings, sessions, deliverer_for(settings, engine), utc_now)
    return 0


def _week(raw: str | None) -> str:
    """This week, or a week that has begun somewhere: a digest of a week to come means nothing."""
    today = utc_now().date()
    if raw is None:
        return iso_week_label(today)
    try:
        monday = parse_iso_week(raw.strip().upper())
    except ValueError as error:
        raise SettingsError(f"--week: {error}") from None
    if monday > today + timedelta(days=1):  # Monday has begun in the easternmost zones
        raise SettingsError(f"--week {raw} has not begun yet.")
    return iso_week_label(monday)


def _as_of(raw: str | None) -> date | None:
    """The day whose messages to send (None: each recipient's own today)."""
    if raw is None:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"--as-of must be a date like 2026-11-20, got {raw!r}.") from None
    if day > utc_now().date() + timedelta(days=1):
        raise SettingsError(f"--as-of {raw} is in the future; reminders and nudges look back.")
    return day


def _job(settings: Settings, what: str, drafts_for: DraftsFor) -> int:
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    sessions = make_session_factory(engine)
    deliverer = deliverer_for(settings, engine)
    summary = run_job(sessions, deliverer, drafts_for, utc_now())
    for problem in summary.problems:
        print(f"  {problem}", file=sys.stderr)
    print(summary.line(what))
    return 0 if summary.complete else 1


def _digest(settings: Settings, args: argparse.Namespace) -> int:
    week = _week(args.week) if args.week is not None else None
    return _job(
        settings,
        f"digests {week or _managers_weeks(settings)}",
        lambda session, now: digests_for_week(
            session, settings.rules, week, now, settings.digest_chart
        ),
    )


def _managers_weeks(settings: Settings) -> str:
    """The weeks a digest with no --week is of: each manager's own, in their zone."""
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    now = utc_now()
    try:
        with make_session_factory(engine, read_only=True)() as session:
            weeks = {week_at(now, manager.tz) for manager in managers(session)}
    finally:
        engine.dispose()
    return ", ".join(sorted(weeks)) or iso_week_label(now.date())


def _teams_with_a_board(settings: Settings) -> bool:
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            return any(t.leaderboard_channel for t in every_team_settings(session).values())
    finally:
        engine.dispose()


def _leaderboard(settings: Settings, args: argparse.Namespace) -> int:
    week = _week(args.week)
    channels = args.channel or [None]  # None: each team's own, else TALLY_CONFIG's
    default = settings.leaderboard_channel
    if not (args.channel or default or settings.team_channels or _teams_with_a_board(settings)):
        raise SettingsError(
            "No leaderboard channel: set leaderboard_channel or [team_channels] in TALLY_CONFIG"
            " (or a channel in /tally admin) or pass --channel C…."
        )
    return _job(
        settings,
        f"leaderboards {week}",
        lambda session, _now: [
            d
            for c in channels
            for d in leaderboards_for_week(
                session, settings.rules, c, week, default, settings.team_channels
            )
        ],
    )


def _reminders(settings: Settings, args: argparse.Namespace) -> int:
    day = _as_of(args.as_of)
    return _job(
        settings,
        f"plan reminders {day or utc_now().date()}",
        lambda session, now: reminder_drafts(session, None, now, day=day),
    )


def _nudges(settings: Settings, args: argparse.Namespace) -> int:
    day = _as_of(args.as_of)
    return _job(
        settings,
        f"pace nudges {day or utc_now().date()}",
        lambda session, now: nudges_due(
            session, settings.rules, settings.schedules.nudges, now, on_schedule=False, day=day
        ),
    )


def _db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    engine = open_database(settings.database_url)
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
    "outbox": run_outbox,
}
# Commands that need no Slack settings: they only read and write the database.
DATABASE_ONLY = {
    "export": run_export,
    "forget": run_forget,
    "forget-workspace": run_forget_workspace,
    "import": run_import,
}


# What each setting means, for `--help`; README's settings table says more.
SETTINGS = {
    "SLACK_BOT_TOKEN": "bot token xoxb-… (one workspace; or the OAuth pair below)",
    "SLACK_CLIENT_ID": "app's client ID: OAuth install in many workspaces",
    "SLACK_CLIENT_SECRET": "app's client secret (with SLACK_CLIENT_ID)",
    "SLACK_SCOPES": "bot scopes an OAuth install asks for (default: the manifest's)",
    "TALLY_SECRET_KEY": "Fernet key(s) sealing installed tokens at rest (OAuth mode)",
    "SLACK_SIGNING_SECRET": "signing secret (required)",
    "SLACK_APP_TOKEN": "app-level token xapp-… (required)",
    "SLACK_API_URL": "Slack Web API base URL (default https://slack.com/api/)",
    "DATABASE_URL": "SQLAlchemy URL (default sqlite:///tally.db)",
    "PORT": "HTTP port (default 3000)",
    "WEB_CONCURRENCY": "worker processes (default 2; 1 on SQLite)",
    "WEB_THREADS": "threads per worker (default 8; 16 on SQLite)",
    "TALLY_CONFIG": "TOML file: points, goal, leaderboard channel, schedules",
    "TALLY_ADMINS": "comma-separated user IDs allowed admin commands",
    "TALLY_TICK_SECONDS": "seconds between looks for due messages (default 30)",
    "TALLY_API_RATE": "activity API requests a second per key, and burst (default 10/50)",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR (default: quiet)",
}
_SLACK = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"]
_OAUTH = ["SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "TALLY_SECRET_KEY"]
_OPERATOR = [*_SLACK, *_OAUTH, "DATABASE_URL", "TALLY_CONFIG", "LOG_LEVEL"]
# (name, one-line help, what it does, settings it reads)
_COMMANDS = [
    (
        "serve",
        "run the HTTP server for Slack's request URL",
        "Serve Slack's requests on 0.0.0.0:PORT with gunicorn; migrates the database first. "
        "With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET instead of SLACK_BOT_TOKEN it also serves "
        "/slack/install and /slack/oauth_redirect, for installs in any number of workspaces. "
        "The activity API (/api/v1/…, see /api/v1/openapi.json) lets a CRM log for reps.",
        [
            *_SLACK,
            *_OAUTH,
            "SLACK_SCOPES",
            "DATABASE_URL",
            "PORT",
            "WEB_CONCURRENCY",
            "WEB_THREADS",
            "TALLY_CONFIG",
            "TALLY_ADMINS",
            "TALLY_API_RATE",
            "LOG_LEVEL",
        ],
    ),
    (
        "socket",
        "run over Socket Mode (no public URL needed)",
        "Answer Slack over Socket Mode instead of a public request URL.",
        [*_SLACK, "SLACK_APP_TOKEN", "DATABASE_URL", "TALLY_CONFIG", "TALLY_ADMINS", "LOG_LEVEL"],
    ),
    (
        "clock",
        "send digests, leaderboards, reminders and nudges on time",
        "Every TALLY_TICK_SECONDS, send what the schedule says is due (in working hours of each "
        "recipient's zone) and edit sent digests for late entries. Runs until SIGTERM.",
        [*_SLACK, *_OAUTH, "DATABASE_URL", "TALLY_CONFIG", "TALLY_TICK_SECONDS", "LOG_LEVEL"],
    ),
    (
        "digest",
        "send managers' weekly digests now",
        "Send each manager the digest of a week, and apply edits late entries left pending on "
        "digests already sent. Safe to re-run; exits 1 if a delivery failed.",
        _OPERATOR,
    ),
    (
        "leaderboard",
        "post the weekly leaderboard now",
        "Post a week's leaderboard to each channel, once. Safe to re-run; exits 1 if a delivery "
        "failed.",
        _OPERATOR,
    ),
    (
        "reminders",
        "send overdue account-plan reminders now",
        "DM each owner of overdue account plans, once per owner per day; an owner whose day has "
        "not begun gets it that morning. Exits 1 if a delivery failed.",
        _OPERATOR,
    ),
    (
        "nudges",
        "send pace nudges to reps behind now",
        "DM each rep in the goal window who is behind pace, once per week. Exits 1 if a "
        "delivery failed.",
        _OPERATOR,
    ),
    (
        "outbox",
        "list messages that have not reached Slack, or retry one",
        "List the messages not in Slack yet — failed, abandoned (Slack refused them for good "
        "three times), pending, or being sent — with their last error and next attempt. "
        "`tally outbox retry KEY` makes one due now and delivers it.",
        _OPERATOR,
    ),
    (
        "export",
        "write the weekly sheet as CSV or xlsx",
        "Write one row per rep per ISO week — name, Slack user id, manager, week, onboarding "
        "week, a count per activity, points, goal, goal met, closed-won amount per currency — "
        "for --weeks weeks up to --week. CSV goes to stdout without --out; an xlsx workbook adds "
        "a Totals sheet. Names are the ones stored from Slack: no Slack token needed.",
        EXPORT_SETTINGS,
    ),
    (
        "forget",
        "erase one person's data (admins)",
        "Remove everything Tally holds about one person — their entries, account plans, team "
        "invitations, queued messages and membership; their reps keep their entries and lose "
        "their manager. Shows what goes and asks first (--yes skips the question).",
        FORGET_SETTINGS,
    ),
    (
        "forget-workspace",
        "erase an uninstalled workspace's data (admins)",
        "Remove every row Tally holds for one workspace (team ID T…): entries, people, plans, "
        "messages, settings. Uninstalling keeps them, so a reinstall carries on; this does not. "
        "Refuses while the workspace still has Tally installed; shows what goes and asks first "
        "(--yes skips the question).",
        FORGET_WORKSPACE_SETTINGS,
    ),
    (
        "import",
        "bring an old sheet or an export into Tally",
        "Read FILE (.xlsx or .csv) in the shape `tally export` writes — a row per rep per ISO "
        "week, a count per activity (by catalog label, key or alias), a closed-won amount — "
        "or the hand-made one (a worksheet per week titled 2026-W48, a row per rep), matching "
        "reps by Slack user id, Email or exact name. A count is the week's total: entries "
        "logged in Slack count toward it. Points, goal and manager columns are worked out "
        "again, not read. Every cell is checked first: any problem is listed (file, sheet, "
        "row, cell), exits 1 and writes nothing. Re-importing the same file changes nothing; "
        "--dry-run only counts.",
        IMPORT_SETTINGS,
    ),
]


def _epilog(names: Sequence[str]) -> str:
    width = max(len(name) for name in names)
    lines = [f"  {name:<{width}}  {SETTINGS[name]}" for name in names]
    return "settings (environment variables):\n" + "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tally", description="Tally: sales activity in Slack.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v", "--verbose", action="store_true", help="log everything at INFO (as LOG_LEVEL=INFO)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    parsers = {}
    for name, summary, description, settings in _COMMANDS:
        parsers[name] = commands.add_parser(
            name,
            parents=[common],
            help=summary,
            description=textwrap.fill(description, 78),
            epilog=_epilog(settings),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
    parsers["digest"].add_argument(
        "--week", help="ISO week like 2026-W48 (default: each manager's week now, in their zone)"
    )
    parsers["leaderboard"].add_argument(
        "--week", help="ISO week like 2026-W48 (default: this week)"
    )
    parsers["leaderboard"].add_argument(
        "--channel", action="append", help="channel ID (repeatable)"
    )
    add_outbox_arguments(parsers["outbox"], common, _epilog(_OPERATOR))
    add_export_arguments(parsers["export"])
    add_forget_arguments(parsers["forget"])
    add_forget_workspace_arguments(parsers["forget-workspace"])
    add_import_arguments(parsers["import"])
    for name in ("reminders", "nudges"):
        parsers[name].add_argument(
            "--as-of",
            help="date YYYY-MM-DD: that day's messages (default: each recipient's today)",
        )
    db = commands.add_parser(
        "db",
        help="database maintenance",
        description="Database maintenance.",
        epilog=_epilog(["DATABASE_URL", "LOG_LEVEL"]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser(
        "upgrade",
        parents=[common],
        help="apply Alembic migrations",
        description="Bring the database schema to the newest migration (a no-op when it is).",
        epilog=_epilog(["DATABASE_URL", "LOG_LEVEL"]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo = commands.add_parser(
        "demo",
        parents=[common],
        help="play a small team's week against a built-in fake Slack",
        description="Play a small team's week against a built-in fake Slack, on a temporary "
        "SQLite file; reads no settings. Shows what reps and managers see, App Home included, "
        "and saves the charts Tally sent into --out.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("tally-demo"),
        help="folder for the charts (default: ./tally-demo)",
    )
    return parser


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# Long-running processes report their own progress (what the clock sent) by default.
LONG_RUNNING = {"serve", "socket", "clock"}
OUR_LOGGERS = ("bot", "handlers", "storage", "scoring")


def configure_logging(command: str, verbose: bool, level_setting: str) -> None:
    """Quiet by default: warnings only, plus our own progress lines in long-running processes.

    LOG_LEVEL (or --verbose, as INFO) sets the level of every logger, libraries' included.
    """
    level = level_setting.strip().upper() or ("INFO" if verbose else "")
    if level and level not in LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, got {level_setting!r}.")
    logging.basicConfig(
        level=level or logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not level and command in LONG_RUNNING:
        for name in OUR_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configure_logging(
            args.command, getattr(args, "verbose", False), os.environ.get("LOG_LEVEL", "")
        )
        if args.command == "demo":
            return run_demo(args.out)
        if args.command == "db":
            return _db_upgrade(load_settings(os.environ, slack=False), args)
        if args.command in DATABASE_ONLY:
            return DATABASE_ONLY[args.command](load_settings(os.environ, slack=False), args)
        return COMMANDS[args.command](load_settings(os.environ), args)
    except (SettingsError, DatabaseUnavailable) as error:
        print(f"tally: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
