"""`tally import FILE`: the old sheet — or an export — into Tally as one entry per rep, week and
activity.

Every row is checked and every rep looked up before anything is written, and all problems are
listed at once so a sheet is fixed in one pass; then it all goes in one transaction. Slack is
asked only for what the database can't say: who an Email column means (users.lookupByEmail)
and, for a rep Tally has never seen, which workspace this is (auth.test; without a token, the
one workspace the database holds).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from sqlalchemy.orm import Session

from bot.app import utc_now, web_client
from bot.settings import Settings, SettingsError
from handlers.digest_changes import digest_changed
from scoring.catalog import Catalog
from scoring.sheet_import import (
    Logged,
    Problem,
    Sheet,
    SheetRow,
    beyond_logged,
    entries_of,
    read_sheets,
)
from storage.db import BACKGROUND_WAITS, make_session_factory, open_database
from storage.members import get_member
from storage.models import Member
from storage.sheet_import import (
    NewRep,
    Outcome,
    RepWeekKey,
    import_weeks,
    logged_outside_imports,
    members_named,
    members_with_ids,
)
from storage.sheet_rows import workspaces
from storage.team_settings import rules_for

SETTINGS = ["DATABASE_URL", "TALLY_CONFIG", "LOG_LEVEL"]  # and the Slack two, said below
_SLACK_NOTE = (
    "\n\nSLACK_BOT_TOKEN and SLACK_API_URL are read only to look up an Email column's reps\n"
    "(users.lookupByEmail, scope users:read.email) and the workspace of a rep Tally has\n"
    "not stored yet (auth.test); without them a new rep joins the database's one workspace."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the sheet: a .xlsx workbook or a .csv file")
    parser.add_argument(
        "--dry-run", action="store_true", help="check everything and count, but write nothing"
    )
    parser.epilog = (parser.epilog or "") + _SLACK_NOTE


def read_file(path: Path) -> list[Sheet]:
    """The file's sheets, by its extension: every worksheet of an .xlsx, or a UTF-8 .csv whose
    name may give the week (`2026-W48.csv`). openpyxl is imported on first use, so every other
    command starts 0.2 s sooner."""
    from openpyxl import load_workbook

    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise SettingsError(f"{path}: import reads .xlsx or .csv files.")
    try:
        if suffix == ".csv":
            text = path.read_bytes().decode("utf-8-sig")
            return [Sheet(None, path.stem, list(csv.reader(io.StringIO(text, newline=""))))]
        workbook = load_workbook(path, read_only=True, data_only=True)
        try:
            return [
                Sheet(ws.title, ws.title, [list(row) for row in ws.iter_rows(values_only=True)])
                for ws in workbook.worksheets
            ]
        finally:
            workbook.close()
    except OSError as error:
        raise SettingsError(f"{path}: {error.strerror or error}.") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: a CSV file has to be UTF-8.") from None
    except csv.Error as error:
        raise SettingsError(f"{path}: not a CSV file Tally can read ({error}).") from None
    except Exception as error:  # openpyxl raises many kinds for a file that is no workbook
        raise SettingsError(f"{path}: not an xlsx workbook Tally can read ({error}).") from None


def _catalog(session: Session, settings: Settings) -> Catalog:
    """One workspace (the usual install): its own points table; several: TALLY_CONFIG's."""
    teams = workspaces(session)
    return (
        rules_for(session, settings.rules, teams[0]).catalog
        if len(teams) == 1
        else (settings.rules.catalog)
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    now = utc_now()
    sheets = read_file(Path(args.file))
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    try:
        sessions = make_session_factory(engine, read_only=args.dry_run)
        with sessions.begin() as session:
            catalog = _catalog(session, settings)
            reading = read_sheets(args.file, sheets, catalog, now.date())
            reps = _Reps(session, settings)
            placed = reps.place(reading.rows)
            logged = logged_outside_imports(session, list(placed))
            problems = reading.problems + reps.problems
            weeks = {}
            for key, row in placed.items():
                rest, beneath = beyond_logged(row, logged.get(key, Logged()), catalog)
                problems += beneath
                weeks[key] = entries_of(rest, key[1], catalog)
            if problems:
                return _refuse(args.file, problems, reading.warnings)
            outcome = import_weeks(session, weeks, reps.new, now, write=not args.dry_run)
            if not args.dry_run:
                for team_id, user_id, week in sorted(outcome.changed):
                    member = get_member(session, team_id, user_id)
                    if member is not None:
                        digest_changed(session, member, week, now)
    finally:
        engine.dispose()
    for warning in reading.warnings:
        print(warning, file=sys.stderr)
    print(_summary(outcome, placed, args.dry_run))
    return 0


def _refuse(file: str, problems: Sequence[Problem], warnings: Sequence[Problem]) -> int:
    for line in (*problems, *warnings):
        print(line, file=sys.stderr)
    print(f"Nothing imported: {_n(len(problems), 'problem')} in {file}.", file=sys.stderr)
    return 1


def _summary(outcome: Outcome, placed: dict[RepWeekKey, SheetRow], dry_run: bool) -> str:
    """'3 entries added, 1 updated, 4 unchanged for 2 reps over 3 weeks.'"""
    scope = (
        f"for {_n(len({(t, u) for t, u, _ in placed}), 'rep')} "
        f"over {_n(len({w for _, _, w in placed}), 'week')}"
    )
    if dry_run:
        return (
            f"Dry run: would add {_n(outcome.added, 'entry')}, update {outcome.updated}, leave "
            f"{outcome.unchanged} unchanged {scope}; nothing written."
        )
    return (
        f"{_n(outcome.added, 'entry')} added, {outcome.updated} updated, "
        f"{outcome.unchanged} unchanged {scope}."
    )


def _n(count: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{count} {noun if count == 1 else plural}"


@dataclass
class _Reps:
    """Who each row is: a stored member by Slack user id, by Email through Slack, or by exact
    display name; a user id or email Tally has not stored becomes a new member."""

    session: Session
    settings: Settings
    problems: list[Problem] = field(default_factory=list)
    new: list[NewRep] = field(default_factory=list)
    _client: WebClient | None = None
    _team: str | None = None
    _emails: dict[str, dict | None] = field(default_factory=dict)

    def place(self, rows: Sequence[SheetRow]) -> dict[RepWeekKey, SheetRow]:
        """Each row under its rep's (team, user, week); a rep twice in a week is a problem."""
        emails = {row.who.email for row in rows if row.who.email and not row.who.user_id}
        looked_up = {email: self._lookup(email) for email in sorted(emails)}
        ids = {row.who.user_id for row in rows if row.who.user_id}
        ids |= {user["id"] for user in looked_up.values() if user}
        stored = members_with_ids(self.session, ids)
        names = {row.who.name for row in rows if not row.who.user_id and not row.who.email}
        named = members_named(self.session, names)
        placed: dict[RepWeekKey, SheetRow] = {}
        new: dict[tuple[str, str], NewRep] = {}
        for row in rows:
            rep = self._rep(row, stored, named, looked_up, new)
            if rep is None:
                continue
            key = (*rep, row.week)
            if key in placed:
                first = placed[key].place
                self.problems.append(
                    Problem(row.place, f"{rep[1]}'s {row.week} is in {_row_of(first)} already")
                )
                continue
            placed[key] = row
        self.new = list(new.values())
        return placed

    def _rep(
        self,
        row: SheetRow,
        stored: dict[str, list[Member]],
        named: dict[str, list[Member]],
        looked_up: dict[str, dict | None],
        new: dict[tuple[str, str], NewRep],
    ) -> tuple[str, str] | None:
        who = row.who
        if who.user_id is None and who.email is None:
            found = named.get(who.name, [])
            if len(found) == 1:
                return found[0].team_id, found[0].user_id
            place = who.name_place or row.place
            if found:
                ids = ", ".join(m.user_id for m in found)
                why = f"{len(found)} members are called “{who.name}” ({ids}): give a Slack user id"
            else:
                why = (
                    f"no one in Tally is called “{who.name}” (exactly): give a Slack user id or "
                    "an Email column"
                )
            self.problems.append(Problem(place, why))
            return None
        user = looked_up.get(who.email or "") if who.user_id is None else None
        if who.user_id is None and user is None:
            place = who.email_place or row.place
            self.problems.append(Problem(place, f"no Slack user has the email {who.email}"))
            return None
        user_id = who.user_id or user["id"]
        homes = stored.get(user_id, [])
        if user is not None:
            homes = [m for m in homes if m.team_id == user.get("team_id")] or homes
        if len(homes) > 1 and self.settings.slack_bot_token:
            homes = [m for m in homes if m.team_id == self._workspace()] or homes
        if len(homes) == 1:
            return homes[0].team_id, user_id
        if homes:
            teams = ", ".join(m.team_id for m in homes)
            self.problems.append(
                Problem(row.place, f"{user_id} is in several workspaces ({teams})")
            )
            return None
        team_id = (user or {}).get("team_id") or self._workspace()
        if (team_id, user_id) not in new:
            profile = (user or {}).get("profile", {})
            name = who.name or profile.get("display_name") or profile.get("real_name") or ""
            new[(team_id, user_id)] = NewRep(
                team_id, user_id, name, (user or {}).get("tz") or "UTC"
            )
        return team_id, user_id

    def _workspace(self) -> str:
        """The team a new rep joins: auth.test's with a token, else the database's only one."""
        if self._team is None:
            if self.settings.slack_bot_token:
                self._team = self._slack("auth.test", lambda c: c.auth_test())["team_id"]
            else:
                teams = workspaces(self.session)
                if len(teams) != 1:
                    raise SettingsError(
                        f"the sheet names reps Tally has not stored, and the database holds "
                        f"{len(teams)} workspaces, not one: set SLACK_BOT_TOKEN so Slack's "
                        "auth.test says which workspace they are in."
                    )
                self._team = teams[0]
        return self._team

    def _lookup(self, email: str) -> dict | None:
        """Slack's user with that email, or None when Slack knows no one by it."""
        if not self.settings.slack_bot_token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: rows that name their rep by Email are looked up "
                "with Slack's users.lookupByEmail."
            )
        try:
            return self._slack("users.lookupByEmail", lambda c: c.users_lookupByEmail(email=email))[
                "user"
            ]
        except _NotFound:
            return None

    def _slack(self, method: str, call) -> dict:
        if self._client is None:
            self._client = web_client(self.settings)
            self._client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=5))
        try:
            return call(self._client).data
        except SlackApiError as error:
            code = error.response.get("error", "")
            if code == "users_not_found":
                raise _NotFound from None
            hint = " (the app needs the users:read.email scope)" if code == "missing_scope" else ""
            raise SettingsError(f"Slack's {method} answered {code}{hint}.") from None
        except (SlackClientError, URLError, OSError) as error:
            raise SettingsError(
                f"Slack's {method} at {self.settings.slack_api_url} failed: {error}."
            ) from None


class _NotFound(Exception):
    """users.lookupByEmail knows no one by that address."""


def _row_of(place: object) -> str:
    text = str(place)
    return text.split(", ", 1)[1] if ", " in text else text
