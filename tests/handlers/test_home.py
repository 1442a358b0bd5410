"""App Home shows the rep's week."""

from tests.fixtures.server import REP, RunningTally


def test_opening_app_home_publishes_the_week(tally: RunningTally) -> None:
    tally.command(REP, "/log", "demo shadow")

    reply = tally.signed.event({"type": "app_home_opened", "user": REP, "tab": "home"})

    assert reply.status == 200
    tally.slack.wait_until(lambda: tally.slack.calls_to("views.publish"), timeout=10)
    call = tally.slack.calls_to("views.publish")[-1]
    assert call.args["user_id"] == REP
    seen = tally.read(call.args["view"])
    assert "15 / 500 pts" in seen and "[Log activity]" in seen
