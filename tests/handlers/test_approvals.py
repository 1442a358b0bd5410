"""Claims a manager approves first (`needs_approval`): the rep sees them pending, the manager
approves or rejects from a DM, over signed requests to the real server."""

from collections.abc import Callable
from typing import Any

import pytest

from handlers.ids import Action
from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally
from tests.fixtures.teams import button_value, dms_to, join_team


@pytest.fixture
def tally(shared_tally: Callable[..., RunningTally]) -> RunningTally:
    return shared_tally(config='needs_approval = ["closed_won"]\n')


def _log(tally: RunningTally, user_id: str, text: str) -> str:
    reply = tally.command(user_id, "/log", text)
    assert reply.status == 200
    return tally.read(reply.json())


def _week(tally: RunningTally, user_id: str) -> str:
    return tally.read(tally.command(user_id, "/tally").json()).replace("*", "")


def _asks(tally: RunningTally, user_id: str, count: int) -> list[dict[str, Any]]:
    """The DMs to `user_id` that carry Approve, once there are `count` of them."""

    def found() -> list[dict[str, Any]]:
        return [m for m in dms_to(tally, user_id) if button_value(m, Action.APPROVE)]

    tally.slack.wait_until(lambda: len(found()) >= count, timeout=10)
    return found()


def _press(
    tally: RunningTally, user_id: str, action: Action, ask: dict[str, Any]
) -> dict[str, Any]:
    value = button_value(ask, action)
    assert value is not None
    assert tally.signed.block_action(user_id, action, value, message=ask).status == 200
    return tally.later_reply()


def _dm_saying(tally: RunningTally, user_id: str, words: str) -> str:
    def said() -> list[str]:
        return [tally.read(m) for m in dms_to(tally, user_id) if words in tally.read(m)]

    tally.slack.wait_until(lambda: said(), timeout=10)
    return said()[-1]


def test_a_claim_counts_only_once_the_manager_approves_it(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])

    receipt = _log(tally, REP, "closed won $12,500 Acme renewal")
    before = _week(tally, REP)
    [ask] = _asks(tally, MANAGER, 1)
    approved = _press(tally, MANAGER, Action.APPROVE, ask)
    after = _week(tally, REP)

    assert "+25 pts pending" in receipt.replace("*", "").replace("_", "")
    assert "counts once @mona approves it" in receipt
    assert "0 / 500 pts" in before and "+25 pending" in before
    shown = tally.read(ask)
    assert "@rita logged" in shown and "$12,500" in shown and "Acme renewal" in shown
    assert "[Approve] [Reject]" in shown
    assert approved["replace_original"] is True
    assert "@mona approved @rita's" in tally.read(approved) and "[Approve]" not in tally.read(
        approved
    )
    assert "25 / 500 pts" in after and "pending" not in after
    assert "@mona approved your" in _dm_saying(tally, REP, "approved")
    [entry] = tally.entries(REP)
    assert (entry.status, entry.reviewed_by) == ("counted", MANAGER)


def test_a_rejected_claim_never_counts_and_the_rep_hears_why(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])
    _log(tally, REP, "closed won $9k Globex")
    [ask] = _asks(tally, MANAGER, 1)

    assert (
        tally.signed.block_action(
            MANAGER, Action.REJECT, button_value(ask, Action.REJECT) or "", message=ask
        ).status
        == 200
    )
    tally.slack.wait_until(lambda: tally.slack.views(MANAGER), timeout=10)
    modal = tally.slack.views(MANAGER)[-1]["view"]
    submitted = tally.signed.view_submission(
        MANAGER, modal, {"reason": "No signed order form <!channel>"}
    )

    assert submitted.status == 200 and not submitted.body
    told = _dm_saying(tally, REP, "rejected")
    assert "@mona rejected your" in told and "No signed order form <!channel>" in told
    week = _week(tally, REP)
    assert "0 / 500 pts" in week and "pending" not in week
    [entry] = tally.entries(REP)
    assert (entry.status, entry.review_reason) == ("rejected", "No signed order form <!channel>")
    tally.slack.wait_until(lambda: "rejected" in tally.read(dms_to(tally, MANAGER)[-1]), timeout=10)
    assert button_value(dms_to(tally, MANAGER)[-1], Action.APPROVE) is None


def test_only_the_reps_manager_or_an_admin_may_act(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])
    _log(tally, REP, "closed won $1,000 Initech")
    [ask] = _asks(tally, MANAGER, 1)

    by_rep = _press(tally, REP, Action.APPROVE, ask)
    by_peer = _press(tally, OTHER_REP, Action.APPROVE, ask)
    by_peer_reject = _press(tally, OTHER_REP, Action.REJECT, ask)
    by_admin = _press(tally, ADMIN, Action.APPROVE, ask)
    again = _press(tally, MANAGER, Action.APPROVE, ask)

    for refused in (by_rep, by_peer, by_peer_reject):
        assert refused.get("replace_original") is not True
        assert "Only @rita's manager or a Tally admin" in tally.read(refused)
    assert tally.slack.views(OTHER_REP) == []
    assert "@ada approved" in tally.read(by_admin)
    assert "@ada approved" in tally.read(again)  # settled once: the second press changes nothing
    assert [(e.status, e.reviewed_by) for e in tally.entries(REP)] == [("counted", ADMIN)]


def test_without_a_manager_an_admin_is_asked(tally: RunningTally) -> None:
    _log(tally, ADMIN, "10 calls")  # Tally learns ada is a workspace admin

    receipt = _log(tally, REP, "closed won $2,000 Hooli")

    assert "counts once @ada approves it" in receipt
    [ask] = _asks(tally, ADMIN, 1)
    assert "@rita logged" in tally.read(ask)


def test_other_activities_count_at_once(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])

    receipt = _log(tally, REP, "demo self-led")

    assert "pending" not in receipt and "25 / 500 pts" in receipt.replace("*", "")
    assert [m for m in dms_to(tally, MANAGER) if button_value(m, Action.APPROVE)] == []
