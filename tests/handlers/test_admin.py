"""`/tally admin forget @user`: an admin sees what goes, confirms, and it is gone; nobody else
gets past the first word."""

from typing import Any

from handlers.ids import Action
from tests.fixtures.server import ADMIN, MANAGER, REP, RunningTally
from tests.fixtures.teams import button_value


def _admin(tally: RunningTally, user_id: str, text: str) -> dict[str, Any]:
    return tally.later(user_id, "/tally", f"admin {text}".strip())


def _press(
    tally: RunningTally, user_id: str, action: Action, question: dict[str, Any]
) -> dict[str, Any]:
    value = button_value(question, action)
    assert value is not None
    assert tally.signed.block_action(user_id, action, value, message=question).status == 200
    return tally.later_reply()


def test_an_admin_sees_what_goes_and_forgets_on_confirm(tally: RunningTally) -> None:
    tally.command(REP, "/log", "12 calls")
    tally.command(REP, "/log", "demo self-led")
    tally.command(REP, "/tally", "away 2027-01-04..2027-01-05")

    question = _admin(tally, ADMIN, f"forget <@{REP}|rita>")
    kept = tally.entries(REP)
    done = _press(tally, ADMIN, Action.FORGET_CONFIRM, question)

    shown = tally.read(question)
    assert "Forgetting @rita removes 2 entries, 2 days off, their membership" in shown
    assert "[Forget] [Cancel]" in shown
    assert len(kept) == 2
    assert done["replace_original"] is True
    assert "Forgot @rita: removed 2 entries, 2 days off, their membership" in tally.read(done)
    assert tally.entries(REP, live=False) == []
    assert "0 / 500 pts" in tally.read(tally.command(REP, "/tally").json()).replace("*", "")


def test_cancel_removes_nothing(tally: RunningTally) -> None:
    tally.command(REP, "/log", "3 calls")
    question = _admin(tally, ADMIN, f"forget <@{REP}>")

    cancelled = _press(tally, ADMIN, Action.FORGET_CANCEL, question)

    assert "Nothing removed: @rita stays in Tally" in tally.read(cancelled)
    assert len(tally.entries(REP)) == 1


def test_no_one_but_an_admin_gets_past_the_first_word(tally: RunningTally) -> None:
    tally.command(REP, "/log", "3 calls")
    question = _admin(tally, ADMIN, f"forget <@{REP}>")

    asked = _admin(tally, MANAGER, f"forget <@{REP}>")
    bare = _admin(tally, REP, "")
    pressed = _press(tally, MANAGER, Action.FORGET_CONFIRM, question)

    for refused in (asked, bare, pressed):
        assert "Only Tally admins can use `/tally admin`" in tally.read(refused)
    assert pressed.get("replace_original") is not True
    assert len(tally.entries(REP)) == 1


def test_an_admin_is_told_how_to_ask(tally: RunningTally) -> None:
    shown = tally.read(_admin(tally, ADMIN, "help"))
    two = tally.read(_admin(tally, ADMIN, f"forget <@{REP}> <@{MANAGER}>"))
    nobody = tally.read(_admin(tally, ADMIN, "forget <@U0NOBODY>"))

    assert "/tally admin forget @user" in shown
    assert "Name one person to forget" in two
    assert "Tally holds nothing about" in nobody and "[Forget]" not in nobody
