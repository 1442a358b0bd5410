"""`tally forget` as an admin runs it: it shows what goes, asks, and removes only that person."""

import subprocess
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from storage.db import make_engine, make_session_factory
from storage.forget import footprint
from storage.members import get_member
from tests.fixtures.cli import run_tally
from tests.fixtures.seed import TEAM, log, person, plan, seeding, team

MONA, RITA, RAVI = "U0MONA", "U0RITA", "U0RAVI"


def _tally(*args: str, database_url: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    return run_tally("forget", *args, env={"DATABASE_URL": database_url}, answer=answer)


def _seed(database_url: str) -> None:
    now = datetime.now(UTC)
    with seeding(database_url) as session:
        for user_id in (MONA, RITA, RAVI):
            person(session, user_id)
        team(session, MONA, [RITA, RAVI])
        log(session, RITA, "call", 12, at=now)
        log(session, RITA, "demo_self_led", 1, at=now)
        log(session, RAVI, "call", 3, at=now)
        plan(session, RITA, "Acme Corp", reviewed=now.date())


def _state(database_url: str, user_id: str):
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return footprint(session, TEAM, user_id), _manager_of(session, RAVI)
    finally:
        engine.dispose()


def _manager_of(session: Session, user_id: str) -> str | None:
    member = get_member(session, TEAM, user_id)
    return member.manager_id if member else None


def test_forget_asks_first_and_a_wrong_answer_removes_nothing(database_url: str) -> None:
    _seed(database_url)

    result = _tally("@rita", database_url=database_url, answer="no\n")

    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        f"Forgetting {RITA} in {TEAM} removes 2 entries, 1 account plan, their membership.",
        f"Type {RITA} to confirm: Nothing removed.",
    ]
    assert _state(database_url, RITA)[0].entries == 2


def test_forget_with_the_id_typed_removes_that_person_and_no_one_else(database_url: str) -> None:
    _seed(database_url)

    result = _tally(RITA, database_url=database_url, answer=f"{RITA}\n")

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(  # after the prompt: a pipe echoes no newline
        f"Type {RITA} to confirm: "
        f"Forgot {RITA} in {TEAM}: removed 2 entries, 1 account plan, their membership.\n"
    )
    gone, _ = _state(database_url, RITA)
    assert gone.empty
    ravi, manager = _state(database_url, RAVI)
    assert ravi.entries == 1 and manager == MONA


def test_forgetting_a_manager_with_yes_leaves_the_reps_unmanaged(database_url: str) -> None:
    _seed(database_url)

    result = _tally("@MONA", "--yes", database_url=database_url)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        f"Forgot {MONA} in {TEAM}: removed their membership; 2 reps lose their manager."
    )
    ravi, manager = _state(database_url, RAVI)
    assert ravi.entries == 1 and manager is None


def test_someone_tally_never_saw_is_one_line_and_exit_2(database_url: str) -> None:
    _seed(database_url)

    result = _tally("@nobody", "--yes", database_url=database_url)

    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "tally: @nobody: Tally holds nothing for anyone of that id or name."
    ]
