"""A plan is changed only through its own team: the same user id in another workspace is
someone else, and their click or command must not reach it."""

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from scoring.plans import MONTHLY
from storage.plans import add_plan, mark_reviewed, plans_of, remove_plan, snooze
from tests.storage.builders import NOW

OWNER = "U_SAME"  # Slack ids are unique per workspace only
LAST = date(2026, 10, 1)


def test_an_owner_id_from_another_team_reviews_snoozes_and_removes_nothing(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        plan, _ = add_plan(session, "T_HOME", OWNER, "Acme Corp", MONTHLY, LAST, OWNER, NOW)
        plan_id = plan.id

    with session_factory.begin() as session:
        assert mark_reviewed(session, "T_AWAY", OWNER, plan_id, date(2026, 11, 20)) is None
        assert snooze(session, "T_AWAY", OWNER, plan_id, date(2026, 12, 1)) is None
        assert remove_plan(session, "T_AWAY", OWNER, plan_id) is None

    with session_factory() as session:
        [kept] = plans_of(session, "T_HOME", OWNER)
    assert (kept.id, kept.last_reviewed, kept.snoozed_until) == (plan_id, LAST, None)
