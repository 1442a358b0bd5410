"""Celebrations: a closed deal is cheered in the team's channel once, as it is logged, and the
cheer is taken back when the entry is undone; reps may opt out, admins pick the channel."""

from collections.abc import Callable
from typing import Any

import pytest

from handlers.ids import Action, SettingsField
from tests.fixtures.server import ADMIN, MANAGER, REP, RunningTally
from tests.fixtures.teams import button_value, dms_to, join_team

WINS, PARTY = "C0WINS", "C0PARTY"


@pytest.fixture
def tally(shared_tally: Callable[..., RunningTally]) -> RunningTally:
    return shared_tally(config=f'celebrate_channel = "{WINS}"\n')


def _log(tally: RunningTally, text: str, user_id: str = REP) -> dict[str, Any]:
    reply = tally.command(user_id, "/log", text)
    assert reply.status == 200
    body = reply.json()
    assert body is not None
    return body


def _cheers(tally: RunningTally, channel: str = WINS, count: int = 1) -> list[str]:
    """What the channel shows once it holds `count` posts (0: after Tally had time to post)."""
    if count:
        tally.slack.wait_until(lambda: len(tally.slack.messages_in(channel)) >= count, timeout=10)
    else:
        _log(tally, "1 call")  # a later request: anything queued before it has been sent
    return [tally.read(m) for m in tally.slack.messages_in(channel)]


def test_a_closed_deal_is_cheered_once_with_its_amount(tally: RunningTally) -> None:
    _log(tally, "closed won Acme Corp $12,500")
    _log(tally, "12 calls")

    assert _cheers(tally) == [":tada: @rita closed Acme Corp — $12,500"]
    [post] = tally.slack.messages_in(WINS)
    assert post["metadata"]["event_payload"]["key"].startswith("celebration:")


def test_no_amount_is_shown_unless_typed_and_a_note_pings_nobody(tally: RunningTally) -> None:
    _log(tally, "closed won <!channel> & friends")

    _cheers(tally)
    [post] = tally.slack.messages_in(WINS)
    assert "<!channel>" not in post["text"] and "@channel &amp; friends" in post["text"]
    assert "—" not in tally.read(post)


def test_a_form_sent_twice_cheers_once(tally: RunningTally) -> None:
    assert tally.command(REP, "/log").status == 200
    tally.slack.wait_until(lambda: tally.slack.views(REP), timeout=10)
    form = tally.slack.views(REP)[-1]["view"]
    values = {"activity": "closed_won", "count": "1", "note": "Initech", "amount": "$9,000"}

    for _ in range(2):
        assert tally.signed.view_submission(REP, form, values).status == 200

    assert _cheers(tally) == [":tada: @rita closed Initech — $9,000"]
    assert len(tally.entries(REP)) == 1


def test_undo_takes_the_cheer_back(tally: RunningTally) -> None:
    _log(tally, "closed won Acme")
    _cheers(tally)

    assert "Undone" in tally.read(_log(tally, "undo"))

    tally.slack.wait_until(lambda: not tally.slack.messages_in(WINS), timeout=10)
    assert [c.args["channel"] for c in tally.slack.calls_to("chat.delete")] == [WINS]


def test_the_undo_button_takes_the_cheer_back(tally: RunningTally) -> None:
    receipt = _log(tally, "closed won Globex $5k")
    _cheers(tally)
    value = button_value(receipt, Action.UNDO)
    assert value is not None

    assert tally.signed.block_action(REP, Action.UNDO, value).status == 200

    tally.slack.wait_until(lambda: not tally.slack.messages_in(WINS), timeout=10)


def test_a_rep_who_opts_out_is_not_cheered(tally: RunningTally) -> None:
    said = tally.read(tally.command(REP, "/tally", "celebrate off").json())
    assert "stay quiet" in said

    _log(tally, "closed won Quiet Co")
    assert _cheers(tally, count=0) == []

    assert "celebrated" in tally.read(tally.command(REP, "/tally", "celebrate on").json())
    _log(tally, "closed won Loud Co")
    assert _cheers(tally) == [":tada: @rita closed Loud Co"]


def test_only_celebrated_activities_are_posted(tally: RunningTally) -> None:
    for text in ("12 calls", "demo self-led Initech", "meeting booked"):
        _log(tally, text)

    assert _cheers(tally, count=0) == []


def test_an_admin_picks_the_celebration_channel(tally: RunningTally) -> None:
    before = len(tally.slack.views(ADMIN))
    assert tally.command(ADMIN, "/tally", "admin").status == 200
    tally.slack.wait_until(lambda: len(tally.slack.views(ADMIN)) > before, timeout=10)
    form = tally.slack.views(ADMIN)[-1]["view"]
    saved = tally.signed.view_submission(ADMIN, form, {SettingsField.PARTY_CHANNEL: PARTY})
    body = saved.json()
    assert body is not None
    assert f"Celebration channel: {WINS} → {PARTY}" in tally.read(body["view"])

    _log(tally, "closed won Hooli")

    assert _cheers(tally, PARTY) == [":tada: @rita closed Hooli"]
    assert tally.slack.messages_in(WINS) == []


@pytest.fixture
def approving(shared_tally: Callable[..., RunningTally]) -> RunningTally:
    return shared_tally(config=f'celebrate_channel = "{WINS}"\nneeds_approval = ["closed_won"]\n')


def test_a_claim_is_cheered_once_approved(approving: RunningTally) -> None:
    tally = approving
    join_team(tally, MANAGER, [REP])
    _log(tally, "closed won Acme $12,500")

    tally.slack.wait_until(
        lambda: any(button_value(m, Action.APPROVE) for m in dms_to(tally, MANAGER)), timeout=10
    )
    assert tally.slack.messages_in(WINS) == []
    [ask] = [m for m in dms_to(tally, MANAGER) if button_value(m, Action.APPROVE)]
    value = button_value(ask, Action.APPROVE)
    assert value is not None
    assert tally.signed.block_action(MANAGER, Action.APPROVE, value, message=ask).status == 200

    assert _cheers(tally) == [":tada: @rita closed Acme — $12,500"]


@pytest.fixture
def quiet(shared_tally: Callable[..., RunningTally]) -> RunningTally:
    return shared_tally(config="weekly_goal = 500\n")


def test_without_a_celebration_channel_nothing_is_posted(quiet: RunningTally) -> None:
    _log(quiet, "closed won Acme $12,500")
    _log(quiet, "1 call")

    assert [m for m in quiet.slack.messages if not m["channel"].startswith("D")] == []


def test_a_duplicate_undone_keeps_the_first_cheer_and_the_next_deal_is_cheered(
    tally: RunningTally,
) -> None:
    for text in ("closed won Acme $12,500", "closed won Acme $12,500", "undo"):
        _log(tally, text)
    _log(tally, "closed won Initech $8,000")

    # Each cheer is sent by its own job after its reply, so they may arrive in either order.
    def both_posted() -> bool:
        texts = [m["text"] for m in tally.slack.messages_in(WINS)]
        return all(any(deal in text for text in texts) for deal in ("Acme", "Initech"))

    tally.slack.wait_until(both_posted, timeout=10)
    assert sorted(_cheers(tally)) == [
        ":tada: @rita closed Acme — $12,500",
        ":tada: @rita closed Initech — $8,000",
    ]
