"""Plan buttons act only on the clicker's own plans in the request's team, and refuse blindly."""

from datetime import UTC, date, datetime

from bot.fakeslack.signed_requests import SignedSlack
from handlers.ids import Action
from scoring.plans import MONTHLY
from storage.db import make_session_factory
from storage.models import AccountPlan
from storage.plans import add_plan
from tests.fixtures.server import OTHER_REP, REP, RunningTally
from tests.fixtures.slack import SIGNING_SECRET

LONG_AGO = date(2026, 1, 5)


def _click(
    signed: SignedSlack, tally: RunningTally, user_id: str, action: str, value: str
) -> dict | None:
    """Tally's answer to the click; None when it was refused before any listener (HTTP 403)."""
    status = signed.block_action(user_id, action, value).status
    if status == 403:
        return None
    assert status == 200
    url = signed.last_response_url
    assert url is not None
    tally.slack.wait_until(lambda: tally.slack.responses(url), timeout=10)
    return tally.slack.responses(url)[-1]


def test_buttons_from_another_team_or_person_change_nothing_and_name_no_one(
    tally: RunningTally,
) -> None:
    sessions = make_session_factory(tally.engine)
    with sessions.begin() as session:
        plan, _ = add_plan(
            session, "T0TALLY", REP, "Acme Corp", MONTHLY, LONG_AGO, REP, datetime.now(UTC)
        )
        plan_id = plan.id
    elsewhere = SignedSlack(
        tally.signed.endpoint, SIGNING_SECRET, team_id="T0OTHER", slack=tally.slack
    )

    other_team = _click(elsewhere, tally, REP, Action.PLAN_SNOOZE, str(plan_id))
    other_person = _click(tally.signed, tally, OTHER_REP, Action.PLAN_REVIEWED, str(plan_id))
    no_such_plan = _click(tally.signed, tally, OTHER_REP, Action.PLAN_SNOOZE, str(plan_id + 99))

    answers = [reply for reply in (other_team, other_person, no_such_plan) if reply is not None]
    seen = {tally.read(reply) for reply in answers}
    assert other_person is not None and no_such_plan is not None and len(seen) == 1
    assert "@rita" not in tally.read(other_person) and "Acme" not in str(other_person)
    assert all(reply.get("replace_original") is False for reply in answers)
    with sessions() as session:
        stored = session.get(AccountPlan, plan_id)
        assert stored is not None
        assert (stored.snoozed_until, stored.last_reviewed) == (None, LONG_AGO)
