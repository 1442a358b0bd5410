"""App Home is a dashboard: the rep's week and the weeks before, their latest entries with a
working Undo, overdue plans with Mark reviewed, one-click logging, and a manager's team; it is
refreshed after each change, over signed HTTP against the fake Slack."""

import io
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from PIL import Image

from handlers.ids import Action
from scoring.weeks import iso_week_label, local_date
from storage.db import make_session_factory
from storage.plans import plans_of
from tests.fixtures.seed import TEAM, log, person, team
from tests.fixtures.server import MANAGER, OTHER_REP, PEOPLE, REP, RunningTally
from tests.fixtures.teams import join_team

REP_ZONE = next(tz for user_id, _name, tz, _admin in PEOPLE if user_id == REP)


def _rep_today() -> date:
    """Rita's today: in the evening in New York, UTC is already tomorrow."""
    return local_date(datetime.now(UTC), REP_ZONE)


def _home(tally: RunningTally, user_id: str, after: int | None = None) -> dict[str, Any]:
    """The Home view published for `user_id` once there are more than `after` publishes."""
    if after is None:
        after = len(_publishes(tally, user_id))
        opened = {"type": "app_home_opened", "user": user_id, "tab": "home"}
        assert tally.signed.event(opened).status == 200
    tally.slack.wait_until(lambda: len(_publishes(tally, user_id)) > after, timeout=10)
    return _publishes(tally, user_id)[-1]


def _publishes(tally: RunningTally, user_id: str) -> list[dict[str, Any]]:
    return [
        c.args["view"]
        for c in tally.slack.calls_to("views.publish")
        if c.args.get("user_id") == user_id and c.status == 200
    ]


def _buttons(view: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, action_id, value) of every button, accessories included."""
    found = []
    for block in view["blocks"]:
        elements = block.get("elements", []) if block["type"] == "actions" else []
        if block.get("accessory"):
            elements = [block["accessory"]]
        found += [
            (e["text"]["text"], e["action_id"], e.get("value", ""))
            for e in elements
            if e.get("type") == "button"
        ]
    return found


def _press(
    tally: RunningTally, user_id: str, view: dict[str, Any], label: str, nth: int = 0
) -> dict[str, Any]:
    """Click the `nth` button called `label` on the Home and return the Home published after."""
    matching = [(a, v) for text, a, v in _buttons(view) if text == label]
    action_id, value = matching[nth]
    before = len(_publishes(tally, user_id))
    assert tally.signed.block_action(user_id, action_id, value, view=view).status == 200
    return _home(tally, user_id, after=before)


def test_the_home_shows_the_week_the_weeks_before_and_the_latest_entries(
    tally: RunningTally,
) -> None:
    for text in ("demo shadow", "12 calls", "closed won Acme $5,000"):
        tally.command(REP, "/log", text)

    view = _home(tally, REP)
    seen = tally.read(view)

    assert "52 / 500 pts" in seen and "[Log activity]" in seen
    this_week = iso_week_label(_rep_today())
    assert "Last 8 weeks" in seen and f"{this_week[-3:]} *52*" in _mrkdwn(view)
    assert "Your latest entries" in seen and "Acme" in seen and "deal $5,000" in seen
    labels = [label for label, _, _ in _buttons(view)]
    assert labels.count("Undo") == 3
    # What they log, newest habit first, topped up with an everyday activity.
    assert [label for label in labels if label.startswith("+1 ")] == [
        "+1 Closed-won",
        "+1 Outbound call",
        "+1 Demo – peer/mentor shadow",
        "+1 Outbound email",
    ]


def test_a_quick_log_button_logs_one_and_the_home_shows_it_with_undo(tally: RunningTally) -> None:
    tally.command(REP, "/log", "3 calls")
    view = _home(tally, REP)

    after = _press(tally, REP, view, "+1 Outbound call")

    assert [(e.activity_key, e.count) for e in tally.entries(REP)] == [("call", 3), ("call", 1)]
    seen = tally.read(after)
    assert "Logged *1 call* — *+1 pts*" in _mrkdwn(after)
    assert "4 / 500 pts" in seen
    assert [label for label, _, _ in _buttons(after)].count("Undo") == 2


def test_undo_on_the_home_undoes_that_entry_and_refreshes(tally: RunningTally) -> None:
    tally.command(REP, "/log", "demo self-led")
    tally.command(REP, "/log", "2 emails")
    view = _home(tally, REP)

    after = _press(tally, REP, view, "Undo", nth=1)  # the older one: the demo

    assert [e.activity_key for e in tally.entries(REP)] == ["email"]
    seen = tally.read(after)
    assert "Undone" in seen and "2 / 500 pts" in seen


def test_mark_reviewed_on_the_home_clears_the_overdue_plan(tally: RunningTally) -> None:
    tally.later(REP, "/tally", "plan add Initech monthly reviewed 2026-01-05")
    view = _home(tally, REP)
    assert "Initech" in tally.read(view)

    after = _press(tally, REP, view, "Mark reviewed")

    with make_session_factory(tally.engine)() as session:
        [plan] = plans_of(session, TEAM, REP)
    assert plan.last_reviewed == _rep_today()
    assert "Account plans to review" not in tally.read(after)


def test_a_home_once_opened_follows_each_log(tally: RunningTally) -> None:
    view = _home(tally, REP)
    seen_before = len(_publishes(tally, REP))
    assert "0 / 500 pts" in tally.read(view)

    tally.command(REP, "/log", "meeting booked")

    assert "10 / 500 pts" in tally.read(_home(tally, REP, after=seen_before))
    tally.command(OTHER_REP, "/log", "meeting booked")  # never opened the Home: nothing to do
    tally.command(REP, "/tally")
    assert _publishes(tally, OTHER_REP) == []


def test_a_managers_home_ranks_the_team_behind_first_with_a_view_button(
    tally: RunningTally,
) -> None:
    join_team(tally, MANAGER, [REP, OTHER_REP])
    tally.command(REP, "/log", "2 demos self-led")
    tally.command(OTHER_REP, "/log", "3 calls")

    view = _home(tally, MANAGER)
    seen = tally.read(view)

    assert "Your team this week" in seen
    assert seen.index("@ravi") < seen.index("@rita")  # 3 pts is further behind than 50
    assert "last activity" in seen
    [(_, action_id, value)] = [b for b in _buttons(view) if b[0] == "View" and b[2] == REP]
    opened = len(tally.slack.views(MANAGER))
    assert tally.signed.block_action(MANAGER, action_id, value, view=view).status == 200
    tally.slack.wait_until(lambda: len(tally.slack.views(MANAGER)) > opened, timeout=10)
    modal = tally.read(tally.slack.views(MANAGER)[-1]["view"])
    assert "@rita's week" in modal and "50 / 500 pts" in modal


def test_view_on_someone_elses_rep_is_refused(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP])
    tally.command(REP, "/log", "closed won Secret Co $99,999")

    opened = len(tally.slack.views(OTHER_REP))
    forged = {"id": "V1", "type": "home", "blocks": []}
    assert tally.signed.block_action(OTHER_REP, Action.VIEW_REP, REP, view=forged).status == 200
    tally.slack.wait_until(lambda: len(tally.slack.views(OTHER_REP)) > opened, timeout=10)
    modal = tally.read(tally.slack.views(OTHER_REP)[-1]["view"])
    assert "Only @rita's manager" in modal and "Secret" not in modal and "99,999" not in modal


def test_a_manager_of_fifty_sees_the_furthest_behind_and_a_pointer_to_the_rest(
    tally: RunningTally,
) -> None:
    reps = [f"U0R{n:03d}" for n in range(50)]
    with make_session_factory(tally.engine).begin() as session:
        for n, rep_id in enumerate(reps):
            person(session, rep_id)
            log(session, rep_id, "call", n + 1, at=datetime.now(UTC))
        person(session, MANAGER)
        team(session, MANAGER, reps)

    view = _home(tally, MANAGER)
    seen = tally.read(view)

    assert len(view["blocks"]) <= 100
    assert "and 32 more — /tally team" in seen.replace("`", "")
    shown = _mrkdwn(view)
    assert "<@U0R000>" in shown and "<@U0R049>" not in shown  # 1 pt is shown, 50 pts isn't


def _mrkdwn(view: dict[str, Any]) -> str:
    """The raw mrkdwn of every section, for checks on exact wording."""
    return "\n".join(
        b["text"]["text"] for b in view["blocks"] if b["type"] == "section" and "text" in b
    )


@pytest.fixture
def public(shared_tally: Callable[..., RunningTally]) -> RunningTally:
    """`tally serve` that knows where Slack reaches it, so the Home can show its chart."""
    return shared_tally(TALLY_PUBLIC_URL=PUBLIC)


PUBLIC = "https://tally.example.com"


def test_the_home_shows_the_weeks_as_a_chart_the_server_draws(public: RunningTally) -> None:
    tally = public
    tally.command(REP, "/log", "demo self-led")
    view = _home(tally, REP)
    [image] = [b for b in view["blocks"] if b["type"] == "image"]
    assert image["image_url"].startswith(f"{PUBLIC}/charts/home/")
    assert f"{iso_week_label(_rep_today())} 25." in image["alt_text"]
    where = image["image_url"].removeprefix(PUBLIC)

    with urllib.request.urlopen(tally.url + where, timeout=10) as response:
        content = response.read()
        assert response.headers["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(content)) as chart:
        assert chart.format == "PNG" and chart.width >= 800

    tally.command(REP, "/log", "3 calls")
    refreshed = _home(tally, REP)
    [again] = [b for b in refreshed["blocks"] if b["type"] == "image"]
    assert again["image_url"] != image["image_url"]  # a new total, a new picture
    for forged in (
        where.replace(REP, OTHER_REP),  # someone else's weeks with Rita's signature
        where[: where.index("&s=") + 3] + "0" * 32,
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(tally.url + forged, timeout=10)
        assert refused.value.code == 404


def test_without_a_public_url_the_home_has_no_image(tally: RunningTally) -> None:
    assert [b for b in _home(tally, REP)["blocks"] if b["type"] == "image"] == []
