"""`tally outbox`: what has not reached Slack and why; `tally outbox retry KEY` sends one now.

For the operator who hears "my digest never came": the listing names each message's last error
and when it is next tried, and a retry (once the channel is unarchived, the account is back…)
forgives its refusals and delivers it at once, saying what happened.
"""

import argparse
import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.app import deliverer_for, utc_now
from bot.jobs import JobSummary, deliver_now
from bot.settings import Settings, SettingsError
from scoring.weeks import iso_week_label, parse_iso_week
from storage.db import BACKGROUND_WAITS, make_session_factory, open_database, read_only
from storage.models import OutboxMessage
from storage.outbox import (
    ABANDONED,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    UNSENT,
    make_due,
    messages_with_key,
    stuck_messages,
)

STATUSES = (FAILED, ABANDONED, PENDING, SENDING)
COLUMNS = ["KEY", "KIND", "RECIPIENT", "PERIOD", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"]


def add_arguments(
    outbox: argparse.ArgumentParser, common: argparse.ArgumentParser, epilog: str
) -> None:
    """`tally outbox`'s options and its `retry` action (with the same settings epilog)."""
    outbox.usage = (
        "tally outbox [-h] [-v] [--status STATUS] [--week 2026-W48]\n"
        "       tally outbox retry [-h] [-v] KEY [--team T…]"
    )
    outbox.add_argument(
        "--status", choices=STATUSES, help="only messages in this state (default: all unsent)"
    )
    outbox.add_argument("--week", help="ISO week like 2026-W48: only that week's messages")
    actions = outbox.add_subparsers(dest="outbox_action", metavar="ACTION")
    retry = actions.add_parser(
        "retry",
        prog="tally outbox retry",
        parents=[common],
        help="make one message due now and deliver it",
        description=textwrap.fill(
            "Make one message due now (a failed or abandoned one goes back to pending, its "
            "refusals forgiven) and deliver it at once, printing what happened. Exits 1 if it "
            "still did not reach Slack, 2 for a key that is not in the outbox.",
            78,
        ),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    retry.add_argument("key", metavar="KEY", help="the message's key, as `tally outbox` lists it")
    retry.add_argument("--team", help="team ID T…, when KEY is in the outbox of several teams")


def run(settings: Settings, args: argparse.Namespace) -> int:
    periods = _periods(args.week) if args.outbox_action is None else None
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    sessions = make_session_factory(engine)
    if args.outbox_action == "retry":
        return _retry(settings, engine, args.key.strip(), args.team)
    return _list(sessions, args.status, periods)


# --- listing --------------------------------------------------------------------------------


def _periods(raw: str | None) -> list[str] | None:
    """The periods of a week's messages: the week for weekly ones, its days for daily ones."""
    if raw is None:
        return None
    try:
        monday = parse_iso_week(raw.strip().upper())
    except ValueError as error:
        raise SettingsError(f"--week: {error}") from None
    return [iso_week_label(monday), *((monday + timedelta(days=n)).isoformat() for n in range(7))]


def _list(sessions: sessionmaker[Session], status: str | None, periods: list[str] | None) -> int:
    with read_only(sessions)() as session:
        rows = stuck_messages(session, [status] if status else UNSENT, periods)
    if not rows:
        print(_nothing_line(status, periods[0] if periods else None))
        return 0
    now = utc_now()
    table = [
        [
            row.key,
            row.kind,
            row.recipient,
            row.period,
            "failed edit" if row.status == SENT else row.status,
            str(row.attempts),
            _next_attempt(row, now),
            row.last_error or "-",
        ]
        for row in rows
    ]
    header = COLUMNS
    if len({row.team_id for row in rows}) > 1:
        header = ["TEAM", *COLUMNS]
        table = [[row.team_id, *line] for row, line in zip(rows, table, strict=True)]
    print(_table([header, *table]))
    print("\n`tally outbox retry KEY` sends one again now.")
    return 0


def _nothing_line(status: str | None, week: str | None) -> str:
    what = f"No {status} messages" if status else "Nothing unsent"
    return f"{what} in the outbox{f' for {week}' if week else ''}."


def _next_attempt(row: OutboxMessage, now: datetime) -> str:
    if row.status == ABANDONED:
        return "never (abandoned)"
    if row.status == SENDING and row.lease_until is not None:
        if row.lease_until > now:
            return f"being sent (lease until {_utc(row.lease_until)})"
        return "now (its sender stopped)"
    if row.next_attempt_at <= now:
        return "now"
    return _utc(row.next_attempt_at)


def _table(lines: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last (the error) runs free."""
    widths = [max(len(line[n]) for line in lines) for n in range(len(lines[0]) - 1)]
    padded = (
        [*(cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True)), line[-1]]
        for line in lines
    )
    return "\n".join("  ".join(cells).rstrip() for cells in padded)


def _utc(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# --- retry ----------------------------------------------------------------------------------


def _retry(settings: Settings, engine: Engine, key: str, team: str | None) -> int:
    now = utc_now()
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        found = messages_with_key(session, key, team)
        where = f" of team {team}" if team else ""
        if not found:
            raise SettingsError(
                f"no message {key!r} in the outbox{where}; `tally outbox` lists them."
            )
        if len(found) > 1:
            teams = ", ".join(message.team_id for message in found)
            raise SettingsError(f"{key} is in the outbox of teams {teams}: pass --team T….")
        [message] = found
        what = f"{message.kind} for {message.recipient} ({message.period})"
        if message.status == SENDING and message.lease_until and message.lease_until > now:
            print(
                f"{what}: another sender is sending it (lease until "
                f"{_utc(message.lease_until)}); nothing changed."
            )
            return 1
        if message.ts is not None and not message.needs_update:
            print(f"{what}: already in Slack; nothing to retry.")
            return 0
        make_due(session, message.id, now)
        target = (message.team_id, message.key)
    deliverer = deliverer_for(settings, engine)
    summary = deliver_now(sessions, deliverer, [target], JobSummary())
    for problem in summary.problems:
        print(f"  {problem}", file=sys.stderr)
    print(summary.line(key))
    return 0 if summary.complete else 1
