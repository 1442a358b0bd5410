"""The edge in front of Bolt as operators and reps notice it: the log, the workspace, failures."""

import urllib.request
from urllib.parse import urlencode

from handlers.errors import SORRY
from tests.bot.hostile_cases import FORM, OTHER_TEAM, command_fields
from tests.fixtures.server import REP, RunningTally

MB = 1024 * 1024


def _healthy(tally: RunningTally) -> bool:
    with urllib.request.urlopen(f"{tally.url}/healthz", timeout=5) as response:
        return response.status == 200


def test_an_unsigned_50_mb_post_is_refused_without_filling_the_log(tally: RunningTally) -> None:
    log_before = len(tally.log_text())

    reply = tally.signed.send(b"text=" + b"x" * (50 * MB), FORM, signed=False)

    assert len(tally.log_text()) - log_before < 2000
    assert reply.status == 413
    assert _healthy(tally)


def test_a_refused_request_is_logged_as_one_line_without_its_body(tally: RunningTally) -> None:
    fields = command_fields(tally)
    body = urlencode(fields)

    reply = tally.signed.send(body, FORM, signed=False)

    assert reply.status == 401
    log = tally.log_text()
    for secret in (fields["token"], fields["response_url"], fields["trigger_id"]):
        assert secret not in log
    refusals = [line for line in log.splitlines() if "refused 401" in line]
    assert len(refusals) == 1
    assert f"{len(body)} bytes from 127.0.0.1" in refusals[0]


def test_a_command_with_an_empty_user_id_is_refused_and_never_stored(tally: RunningTally) -> None:
    reply = tally.signed.send(urlencode(command_fields(tally, user_id="")), FORM)

    assert reply.status == 400
    assert tally.entries() == []


def test_a_request_from_a_workspace_not_served_here_is_refused(tally: RunningTally) -> None:
    reply = tally.signed.send(urlencode(command_fields(tally, team_id=OTHER_TEAM)), FORM)

    assert reply.status == 403
    assert tally.entries() == []
    assert tally.command(REP, "/log", "demo self-led").status == 200
    assert len(tally.entries()) == 1


def test_when_auth_test_cannot_be_reached_slack_requests_are_still_answered(
    tally: RunningTally,
) -> None:
    tally.slack.fail("auth.test", 500, times=5)

    reply = tally.command(REP, "/log", "demo self-led")

    assert reply.status == 200
    assert [entry.user_id for entry in tally.entries()] == [REP]
    assert "auth.test failed" in tally.log_text()


def test_a_listener_failure_answers_the_command_with_one_apology(tally: RunningTally) -> None:
    tally.slack.fail("views.open", 500)

    reply = tally.command(REP, "/log")

    assert reply.status == 200
    assert tally.read(reply.json()) == SORRY
    response_url = tally.signed.last_response_url
    assert response_url is not None and tally.slack.responses(response_url) == []


def test_an_unknown_command_is_answered_in_words(tally: RunningTally) -> None:
    reply = tally.command(REP, "/tallyho", "hi")

    assert reply.status == 200
    assert "Tally doesn't know `/tallyho`" in tally.read(reply.json())
