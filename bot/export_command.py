"""`tally export`: the sheet of a week or several, to a file or as CSV on stdout.

Names are the ones Tally stored from Slack profiles: the command needs no Slack token.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from bot.app import utc_now
from bot.settings import Settings, SettingsError
from handlers.export import Export, ExportError, Format, begun, gather, weeks_ending
from scoring.weeks import iso_week_label, parse_iso_week
from storage.db import BACKGROUND_WAITS, make_session_factory, open_database
from storage.members import team_of
from storage.models import Member
from storage.sheet_rows import managers_called, members_for, workspaces
from storage.team_settings import rules_for

SETTINGS = ["DATABASE_URL", "TALLY_CONFIG", "LOG_LEVEL"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", help="last ISO week, like 2026-W48 (default: this week)")
    parser.add_argument(
        "--weeks", type=int, default=1, help="how many weeks up to --week (default 1)"
    )
    parser.add_argument(
        "--format",
        choices=[f.value for f in Format],
        help="csv or xlsx (default: xlsx for an --out ending in .xlsx, else csv)",
    )
    parser.add_argument("--out", help="file to write (default: CSV on stdout)")
    parser.add_argument("--team", help="a manager's reps only: @name or Slack user id")


def run(settings: Settings, args: argparse.Namespace) -> int:
    weeks = _weeks(args.week, args.weeks)
    fmt = _format(args.format, args.out)
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            if args.team:
                manager = _manager(session, args.team)
                reps = team_of(session, manager.team_id, manager.user_id)
                rules = rules_for(session, settings.rules, manager.team_id)
                rows = gather(session, rules, manager.team_id, weeks, reps)
            else:
                teams = workspaces(session)
                rows = [
                    row
                    for team_id in teams
                    for row in gather(
                        session,
                        rules_for(session, settings.rules, team_id),
                        team_id,
                        weeks,
                        members_for(session, team_id, weeks),
                    )
                ]
                # One workspace (the usual install): its own columns; several: the defaults'.
                only = teams[0] if len(teams) == 1 else None
                rules = rules_for(session, settings.rules, only) if only else settings.rules
    finally:
        engine.dispose()
    export = Export(weeks, rows)
    data = export.file(rules, fmt)
    if args.out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        Path(args.out).write_bytes(data)
    except OSError as error:
        raise SettingsError(f"--out {args.out}: {error.strerror or error}.") from None
    print(f"Wrote {len(rows)} rows ({export.title}) to {args.out}.")
    return 0


def _weeks(raw: str | None, count: int) -> tuple[str, ...]:
    today = utc_now().date()
    try:
        # A week has begun once its Monday has in the easternmost zones, a day ahead of UTC.
        last = (
            begun(iso_week_label(parse_iso_week(raw)), today + timedelta(days=1))
            if raw
            else iso_week_label(today)
        )
    except ValueError as error:  # a malformed week, or one still ahead
        raise SettingsError(f"--week: {error}") from None
    try:
        return weeks_ending(last, count)
    except ExportError as error:
        raise SettingsError(f"--weeks: {error}") from None


def _format(raw: str | None, out: str | None) -> Format:
    fmt = Format(raw) if raw else Format.XLSX if (out or "").endswith(".xlsx") else Format.CSV
    if fmt is Format.XLSX and out is None:
        raise SettingsError("--format xlsx needs --out FILE: a workbook is no text for a terminal.")
    return fmt


def _manager(session: Session, who: str) -> Member:
    found = managers_called(session, who.strip().removeprefix("@"))
    if not found:
        raise SettingsError(
            f"--team {who}: no manager with that Slack user id or name "
            "(a manager is someone with at least one rep)."
        )
    if len(found) > 1:
        ids = ", ".join(m.user_id for m in found)
        raise SettingsError(f"--team {who} names {len(found)} managers ({ids}); give the user id.")
    return found[0]
