"""`tally forget-workspace T…`: an admin erases a whole workspace's data once Tally has left it.

Uninstalling keeps the data (a reinstall picks up where the team left off); this removes it, from
every table that carries a team_id. It refuses while the workspace is still installed, since its
people would go on logging into the emptied tables, and asks before it removes anything (or takes
`--yes`). It reads only DATABASE_URL.
"""

from __future__ import annotations

import argparse
import re

from bot.forget_command import confirmed
from bot.settings import Settings, SettingsError
from storage.db import BACKGROUND_WAITS, make_session_factory, open_database
from storage.forget import describe_rows, forget_workspace, still_installed, workspace_rows

SETTINGS = ["DATABASE_URL", "LOG_LEVEL"]
_TEAM_ID = re.compile(r"T[A-Z0-9]{2,20}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("team", metavar="TEAM", help="the workspace's team ID, T…")
    parser.add_argument("--yes", action="store_true", help="don't ask; remove at once")


def run(settings: Settings, args: argparse.Namespace) -> int:
    team_id = args.team.strip().upper()
    if not _TEAM_ID.fullmatch(team_id):
        raise SettingsError(f"{args.team!r} is not a team ID: give one like T0123ABCD.")
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            if still_installed(session, team_id):
                raise SettingsError(
                    f"{team_id} still has Tally installed: remove the app from that workspace "
                    "first (its people would go on logging), then forget it."
                )
            rows = workspace_rows(session, team_id)
        if not rows:
            raise SettingsError(f"{team_id}: Tally holds nothing for that workspace.")
        print(f"Forgetting {team_id} removes {describe_rows(rows)}.")
        if not args.yes and not confirmed(team_id):
            print("Nothing removed.")
            return 1
        with make_session_factory(engine).begin() as session:
            removed = forget_workspace(session, team_id)
    finally:
        engine.dispose()
    print(f"Forgot {team_id}: removed {describe_rows(removed)}.")
    return 0
