"""Editing an entry: `/log edit` or **Edit** on the Home opens it in the form; saving replaces it,
with the week's arithmetic; only its author, their manager or an admin may save."""

import json
from datetime import date, timedelta
from typing import Any

from handlers.ids import Action, Field
from tests.fixtures.server import MANAGER, OTHER_REP, REP, RunningTally
from tests.fixtures.teams import join_team


def _edit_form(tally: RunningTally, user_id: str = REP) -> dict[str, Any]:
    before = len(tally.slack.views(user_id))
    assert tally.command(user_id, "/log", "edit").status == 200
    tally.slack.wait_until(lambda: len(tally.slack.views(user_id)) > before, timeout=10)
    return tally.slack.views(user_id)[-1]["view"]


def _initial(view: dict[str, Any]) -> dict[str, Any]:
    found = {}
    for block in view["blocks"]:
        element = block.get("element", {})
        found[block["block_id"]] = (
            element.get("initial_value")
            or element.get("initial_date")
            or (element.get("initial_option") or {}).get("value")
        )
    return found


def _save(tally: RunningTally, user_id: str, form: dict[str, Any], **values: str) -> str:
    fields = {k: v for k, v in _initial(form).items() if v is not None} | values
    reply = tally.signed.view_submission(user_id, form, fields)
    assert reply.status == 200
    body = reply.json()
    assert body is not None and body["response_action"] == "update"
    return tally.read(body["view"])


def _week(tally: RunningTally, user_id: str = REP) -> str:
    return tally.read(tally.command(user_id, "/tally").json()).replace("*", "")


def test_log_edit_opens_the_latest_entry_and_saving_replaces_it(tally: RunningTally) -> None:
    tally.command(REP, "/log", "12 calls")
    tally.command(REP, "/log", "closed won Acme $5,000")

    form = _edit_form(tally)
    shown = _initial(form)

    assert tally.read(form).startswith("【Edit entry】")
    assert (shown[Field.ACTIVITY], shown[Field.COUNT], shown[Field.NOTE]) == (
        "closed_won",
        "1",
        "Acme",
    )
    assert shown[Field.AMOUNT] == "$5,000"
    saved = _save(tally, REP, form, **{Field.AMOUNT: "$7,500", Field.NOTE: "Acme renewal"})

    assert "closed-won deal" in saved and "deal $7,500" in saved
    live = [(e.activity_key, e.count, str(e.amount)) for e in tally.entries(REP)]
    assert live == [("call", 12, "None"), ("closed_won", 1, "7500.00")]
    assert "37 / 500 pts" in _week(tally)  # 12 + 25, counted once


def test_moving_an_entry_to_an_earlier_day_moves_its_points(tally: RunningTally) -> None:
    tally.command(REP, "/log", "demo self-led")
    form = _edit_form(tally)
    today = _initial(form)[Field.DAY]
    last_week = (date.fromisoformat(today) - timedelta(days=7)).isoformat()

    _save(tally, REP, form, **{Field.DAY: last_week})

    assert "0 / 500 pts" in _week(tally)
    [entry] = tally.entries(REP)
    assert entry.local_day.isoformat() == last_week


def test_saving_twice_replaces_once(tally: RunningTally) -> None:
    tally.command(REP, "/log", "3 emails")
    form = _edit_form(tally)

    _save(tally, REP, form, **{Field.COUNT: "4"})
    _save(tally, REP, form, **{Field.COUNT: "4"})

    assert [(e.activity_key, e.count) for e in tally.entries(REP)] == [("email", 4)]


def test_only_the_author_their_manager_or_an_admin_may_save(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])
    tally.command(REP, "/log", "closed won Secret Co $99,000")
    form = _edit_form(tally)

    refused = _save(tally, OTHER_REP, form, **{Field.COUNT: "3"})

    assert "can't be edited" in refused and "Secret" not in refused
    assert [e.count for e in tally.entries(REP)] == [1] and tally.entries(OTHER_REP) == []
    _save(tally, MANAGER, form, **{Field.COUNT: "2"})
    [entry] = tally.entries(REP)
    assert (entry.count, entry.logged_by) == (2, MANAGER)
    assert json.loads(form["private_metadata"])["edit"] != str(entry.id)  # the old one undone


def test_with_nothing_logged_there_is_nothing_to_edit(tally: RunningTally) -> None:
    reply = tally.command(REP, "/log", "edit")

    assert "Nothing to edit yet" in tally.read(reply.json())
    assert tally.slack.views(REP) == []


def test_edit_on_the_home_opens_that_entry(tally: RunningTally) -> None:
    tally.command(REP, "/log", "2 meetings booked")
    tally.command(REP, "/log", "5 calls")
    [older, _newer] = tally.entries(REP)
    before = len(tally.slack.views(REP))
    home = {"id": "VHOME", "type": "home", "blocks": []}

    assert tally.signed.block_action(REP, Action.EDIT_ENTRY, str(older.id), view=home).status == 200
    tally.slack.wait_until(lambda: len(tally.slack.views(REP)) > before, timeout=10)

    assert _initial(tally.slack.views(REP)[-1]["view"])[Field.ACTIVITY] == "meeting_booked"
    assert (
        tally.signed.block_action(OTHER_REP, Action.EDIT_ENTRY, str(older.id), view=home).status
        == 200
    )
    tally.slack.wait_until(lambda: tally.slack.views(OTHER_REP), timeout=10)
    assert "can't be edited" in tally.read(tally.slack.views(OTHER_REP)[-1]["view"])
