"""`tally forget USER`: an admin erases one person from Tally, after seeing what goes.

It asks before it removes anything (or takes `--yes` for scripts), since nothing brings the
entries back. It reads only DATABASE_URL: no Slack token is needed to forget someone.
"""

from __future__ import annotations

import argparse
import sys

from bot.settings import Settings, SettingsError
from storage.db import BACKGROUND_WAITS, make_session_factory, open_database
from storage.forget import footprint, forget, people_called

SETTINGS = ["DATABASE_URL", "LOG_LEVEL"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("user", metavar="USER", help="Slack user id (U…) or @name as stored")
    parser.add_argument("--team", help="team ID T…, when USER is in several workspaces")
    parser.add_argument("--yes", action="store_true", help="don't ask; remove at once")


def run(settings: Settings, args: argparse.Namespace) -> int:
    who = args.user.strip().removeprefix("@")
    engine = open_database(settings.database_url, waits=BACKGROUND_WAITS)
    try:
        with make_session_factory(engine, read_only=True)() as session:
            found = [
                (team, user)
                for team, user in people_called(session, who)
                if args.team is None or team == args.team.strip().upper()
            ]
            if not found:
                raise SettingsError(
                    f"{args.user}: Tally holds nothing for anyone of that id or name."
                )
            if len(found) > 1:
                names = ", ".join(f"{user} in {team}" for team, user in found)
                raise SettingsError(
                    f"{args.user} names {len(found)} people ({names}); give --team or the user id."
                )
            [(team_id, user_id)] = found
            what = footprint(session, team_id, user_id).describe()
            print(f"Forgetting {user_id} in {team_id} removes {what}.")
        if not args.yes and not confirmed(user_id):
            print("Nothing removed.")
            return 1
        with make_session_factory(engine).begin() as session:
            removed = forget(session, team_id, user_id)
    finally:
        engine.dispose()
    print(f"Forgot {user_id} in {team_id}: removed {removed.describe()}.")
    return 0


def confirmed(word: str) -> bool:
    """Whether the operator typed `word` (an id, any case) to confirm a deletion."""
    print(f"Type {word} to confirm: ", end="", flush=True)
    return sys.stdin.readline().strip().upper() == word
