"""`tally forget-workspace T…` as an admin runs it after a workspace removed Tally."""

import subprocess
from datetime import UTC, datetime

from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy import func, select

from bot.installations import InstallationStore
from bot.settings import DEFAULT_SCOPES, OAuth
from storage.db import make_engine
from storage.members import save_profile
from storage.models import Activity, Member
from tests.fixtures.cli import run_tally
from tests.fixtures.seed import TEAM, log, person, plan, seeding, team

OTHER = "T0OTHER"


def _tally(*args: str, database_url: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    return run_tally("forget-workspace", *args, env={"DATABASE_URL": database_url}, answer=answer)


def _seed(database_url: str) -> None:
    now = datetime.now(UTC)
    with seeding(database_url) as session:
        for user_id in ("U0MONA", "U0RITA"):
            person(session, user_id)
        team(session, "U0MONA", ["U0RITA"])
        log(session, "U0RITA", "call", 12, at=now)
        log(session, "U0RITA", "demo_self_led", 1, at=now)
        plan(session, "U0RITA", "Acme Corp", reviewed=now.date())
        save_profile(
            session,
            OTHER,
            "U0OTTO",
            display_name="otto",
            tz="UTC",
            is_workspace_admin=False,
            now=now,
        )


def _counts(database_url: str) -> dict[str, tuple[int, int]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                model.__tablename__: tuple(
                    connection.scalar(
                        select(func.count()).select_from(model).where(model.team_id == team_id)
                    )
                    for team_id in (TEAM, OTHER)
                )
                for model in (Member, Activity)
            }
    finally:
        engine.dispose()


def test_it_lists_what_goes_asks_and_removes_only_that_workspace(database_url: str) -> None:
    _seed(database_url)

    refused = _tally(TEAM, database_url=database_url, answer="no\n")
    assert refused.returncode == 1
    assert f"Forgetting {TEAM} removes 2 people, 2 entries, 1 account plan.\n" in refused.stdout
    assert _counts(database_url) == {"members": (2, 1), "activities": (2, 0)}

    done = _tally(TEAM.lower(), database_url=database_url, answer=f"{TEAM}\n")

    assert done.returncode == 0, done.stderr
    assert f"Forgot {TEAM}: removed " in done.stdout
    assert _counts(database_url) == {"members": (0, 1), "activities": (0, 0)}
    again = _tally(TEAM, "--yes", database_url=database_url)
    assert again.returncode == 2
    assert "holds nothing for that workspace" in again.stderr


def test_a_workspace_that_still_has_tally_installed_is_not_forgotten(database_url: str) -> None:
    _seed(database_url)
    engine = make_engine(database_url)
    try:
        InstallationStore(OAuth("1111.2222", "shh", DEFAULT_SCOPES, ()), engine).save(
            Installation(app_id="A0TALLY", team_id=TEAM, bot_token="xoxb-still", user_id="U0MONA")
        )
    finally:
        engine.dispose()

    result = _tally(TEAM, "--yes", database_url=database_url)

    assert result.returncode == 2
    assert "still has Tally installed" in result.stderr
    assert _counts(database_url) == {"members": (2, 1), "activities": (2, 0)}


def test_a_team_id_that_is_not_one_is_refused_in_a_sentence(database_url: str) -> None:
    result = _tally("everyone; DROP TABLE", "--yes", database_url=database_url)

    assert result.returncode == 2
    assert "is not a team ID" in result.stderr
