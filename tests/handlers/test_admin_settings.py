"""`/tally admin`: an admin changes the goal, the schedule and the points table from a modal over
signed HTTP; the next `/log` is priced by it, past points stay, and everyone else is refused."""

from typing import Any

from handlers.ids import SettingsField
from tests.fixtures.server import ADMIN, MANAGER, REP, RunningTally


def _open(tally: RunningTally, user_id: str = ADMIN) -> dict[str, Any]:
    before = len(tally.slack.views(user_id))
    assert tally.command(user_id, "/tally", "admin").status == 200
    tally.slack.wait_until(lambda: len(tally.slack.views(user_id)) > before, timeout=10)
    view = tally.slack.views(user_id)[-1]["view"]
    assert tally.read(view)
    return view


def _save(tally: RunningTally, values: dict[str, str], user_id: str = ADMIN) -> dict[str, Any]:
    reply = tally.signed.view_submission(user_id, _open(tally), values)
    assert reply.status == 200
    body = reply.json()
    assert body is not None
    return body


def _log(tally: RunningTally, text: str) -> str:
    return tally.read(tally.command(REP, "/log", text).json())


def _week(tally: RunningTally) -> str:
    return tally.read(tally.command(REP, "/tally").json()).replace("*", "")


def _later(tally: RunningTally, user_id: str, text: str) -> str:
    return tally.read(tally.later(user_id, "/tally", text))


def test_a_new_point_value_prices_the_next_log_and_keeps_what_was_earned(
    tally: RunningTally,
) -> None:
    assert "+3 pts" in _log(tally, "3 calls")

    saved = _save(tally, {"points:call": "2"})

    assert saved["response_action"] == "update"
    assert "Outbound call points: 1 → 2" in tally.read(saved["view"])
    assert "+6 pts" in _log(tally, "3 calls")
    assert "9 / 500 pts" in _week(tally)
    assert [e.points for e in tally.entries(REP)] == [3, 6]
    reopened = tally.read(_open(tally))
    assert "Outbound call — points" in reopened


def test_the_form_shows_what_is_in_force(tally: RunningTally) -> None:
    _save(tally, {SettingsField.GOAL: "300", "time:digest": "thu 10:30"})

    view = _open(tally)
    initial = {
        block["block_id"]: block["element"].get("initial_value")
        for block in view["blocks"]
        if block["type"] == "input"
    }

    assert initial[SettingsField.GOAL] == "300"
    assert initial["time:digest"] == "Thu 10:30"
    assert initial["time:leaderboard"] == "Fri 16:00"
    assert initial["points:demo_self_led"] == "25"
    assert len(view["blocks"]) <= 100


def test_goal_and_goal_weeks_reach_the_reps_week(tally: RunningTally) -> None:
    _log(tally, "demo self-led")

    _save(tally, {SettingsField.GOAL: "300"})

    assert "25 / 300 pts" in _week(tally)


def test_an_added_activity_can_be_logged_by_its_aliases(tally: RunningTally) -> None:
    saved = _save(
        tally,
        {
            SettingsField.NEW_LABEL: "Webinar hosted",
            SettingsField.NEW_POINTS: "15",
            SettingsField.NEW_ALIASES: "webinar, webinars",
        },
    )

    assert "Webinar hosted (new): none → 15 pts" in tally.read(saved["view"])
    assert "+30 pts" in _log(tally, "2 webinars")
    assert [(e.activity_key, e.points) for e in tally.entries(REP)] == [("webinar_hosted", 30)]
    assert "Webinar hosted — points" in tally.read(_open(tally))


def test_a_retired_activity_is_not_loggable_but_stays_in_the_week(tally: RunningTally) -> None:
    _log(tally, "4 emails")

    saved = _save(tally, {SettingsField.RETIRED: "email"})

    assert "Outbound email: loggable → retired" in tally.read(saved["view"])
    refused = _log(tally, "2 emails")
    assert "+2 pts" not in refused
    assert len(tally.entries(REP)) == 1
    week = _week(tally)
    assert "4 / 500 pts" in week and "Outbound email" in week
    back = _save(tally, {SettingsField.RETIRED: ""})
    assert "Outbound email: retired → loggable" in tally.read(back["view"])
    assert "+2 pts" in _log(tally, "2 emails")


def test_bad_values_are_shown_under_their_inputs_and_change_nothing(
    tally: RunningTally,
) -> None:
    saved = _save(
        tally,
        {
            SettingsField.GOAL: "0",
            SettingsField.FIRST_WEEK: "9",
            SettingsField.LAST_WEEK: "4",
            "time:nudges": "sat 23:00",
            SettingsField.NEW_POINTS: "lots",
        },
    )

    assert saved["response_action"] == "errors"
    errors = saved["errors"]
    assert set(errors) == {
        SettingsField.GOAL,
        SettingsField.LAST_WEEK,
        "time:nudges",
        SettingsField.NEW_LABEL,
        SettingsField.NEW_POINTS,
    }
    assert "outside working hours" in errors["time:nudges"]
    assert "0 / 500 pts" in _week(tally)
    assert "No settings changed" in _later(tally, ADMIN, "admin log")


def test_a_new_activity_may_not_take_an_existing_name(tally: RunningTally) -> None:
    saved = _save(tally, {SettingsField.NEW_LABEL: "Cold call", SettingsField.NEW_POINTS: "3"})

    assert saved["response_action"] == "errors"
    assert "claimed by both" in saved["errors"][SettingsField.NEW_LABEL]
    assert "+1 pts" in _log(tally, "cold call")


def test_retiring_every_activity_is_refused(tally: RunningTally) -> None:
    view = _open(tally)
    [retire] = [b for b in view["blocks"] if b.get("block_id") == SettingsField.RETIRED]
    every = ",".join(option["value"] for option in retire["element"]["options"])

    saved = _save(tally, {SettingsField.RETIRED: every})

    assert saved["response_action"] == "errors"
    assert "at least one" in saved["errors"][SettingsField.RETIRED]


def test_the_log_says_who_changed_what_shown_literally(tally: RunningTally) -> None:
    _save(tally, {"points:call": "2"})
    _save(
        tally,
        {SettingsField.NEW_LABEL: "Lunch & learn <!channel>", SettingsField.NEW_POINTS: "5"},
    )

    reply = tally.later(ADMIN, "/tally", "admin log")
    shown = tally.read(reply)

    assert "<!channel>" not in str(reply)
    lines = [line for line in shown.splitlines() if line.startswith("•")]
    assert len(lines) == 2
    assert "@ada: Lunch & learn <!channel> (new) none → 5 pts" in lines[0]
    assert "@ada: Outbound call points 1 → 2" in lines[1]


def test_saving_what_is_already_there_changes_nothing(tally: RunningTally) -> None:
    saved = _save(tally, {})

    assert "Nothing changed" in tally.read(saved["view"])
    assert "No settings changed" in _later(tally, ADMIN, "admin log")


def test_no_one_but_an_admin_opens_saves_or_reads_the_log(tally: RunningTally) -> None:
    admins_form = _open(tally)

    opened = _later(tally, MANAGER, "admin")
    log = _later(tally, REP, "admin log")
    forged = tally.signed.view_submission(MANAGER, admins_form, {"points:call": "50"})

    assert "Only Tally admins" in opened and "Only Tally admins" in log
    assert tally.slack.views(MANAGER) == []
    assert forged.status == 200
    assert "Only Tally admins" in tally.read((forged.json() or {})["view"])
    assert "+3 pts" in _log(tally, "3 calls")
