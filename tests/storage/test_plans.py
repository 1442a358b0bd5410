"""Account plans on SQLite and PostgreSQL: one per owner and account, found by name."""

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from scoring.plans import MONTHLY, QUARTERLY
from storage.models import AccountPlan
from storage.plans import (
    add_plan,
    find_plans,
    mark_reviewed,
    owners_with_plans,
    plans_of,
    remove_plan,
    snooze,
)
from tests.storage.builders import NOW

ANA, BEN = "U_ANA", "U_BEN"
LAST = date(2026, 10, 1)


def _add(session: Session, account: str, owner: str = ANA, team: str = "T1") -> AccountPlan:
    plan, created = add_plan(session, team, owner, account, MONTHLY, LAST, owner, NOW)
    assert created
    return plan


def test_adding_the_same_account_twice_returns_the_first(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        first = _add(session, "Acme Corp")
    with session_factory.begin() as session:
        again, created = add_plan(session, "T1", ANA, "ACME  corp", QUARTERLY, NOW.date(), ANA, NOW)

    assert not created and again.id == first.id
    with session_factory() as session:
        [only] = plans_of(session, "T1", ANA)
    assert (only.account, only.cadence_count, only.last_reviewed) == ("Acme Corp", 1, LAST)


def test_each_owner_has_their_own_plans(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        _add(session, "Acme Corp")
        _add(session, "Acme Corp", owner=BEN)
        _add(session, "Initech", owner=BEN)
        _add(session, "Globex", owner=ANA, team="T2")

    with session_factory() as session:
        assert [p.account for p in plans_of(session, "T1", ANA)] == ["Acme Corp"]
        assert [p.account for p in plans_of(session, "T1", BEN)] == ["Acme Corp", "Initech"]
        assert owners_with_plans(session) == [("T1", ANA), ("T1", BEN), ("T2", ANA)]
        assert owners_with_plans(session, "T2") == [("T2", ANA)]


def test_an_exact_name_wins_over_longer_names_it_starts(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        _add(session, "Acme")
        _add(session, "Acme Corp")
        _add(session, "Acme Labs")
        _add(session, "Initech")

    with session_factory() as session:
        assert [p.account for p in find_plans(session, "T1", ANA, "ACME")] == ["Acme"]
        assert [p.account for p in find_plans(session, "T1", ANA, "acme ")] == ["Acme"]
        assert [p.account for p in find_plans(session, "T1", ANA, "acme c")] == ["Acme Corp"]
        assert [p.account for p in find_plans(session, "T1", ANA, "ini")] == ["Initech"]
        assert find_plans(session, "T1", BEN, "acme") == []
        assert find_plans(session, "T1", ANA, "globex") == []


def test_a_shared_prefix_returns_every_candidate(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        _add(session, "Acme Labs")
        _add(session, "Acme Corp")

    with session_factory() as session:
        found = find_plans(session, "T1", ANA, "Ac")

    assert [p.account for p in found] == ["Acme Corp", "Acme Labs"]


def test_wildcards_in_a_name_are_matched_literally(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        _add(session, "100% Pure")
        _add(session, "1000 Islands")
        _add(session, "A_B Co")
        _add(session, "AXB Co")

    with session_factory() as session:
        assert [p.account for p in find_plans(session, "T1", ANA, "100%")] == ["100% Pure"]
        assert [p.account for p in find_plans(session, "T1", ANA, "a_")] == ["A_B Co"]


def test_only_the_owner_can_review_snooze_or_remove(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        plan_id = _add(session, "Acme Corp").id

    with session_factory.begin() as session:
        assert mark_reviewed(session, "T1", BEN, plan_id, date(2026, 11, 20)) is None
        assert snooze(session, "T1", BEN, plan_id, date(2026, 12, 1)) is None
        assert remove_plan(session, "T1", BEN, plan_id) is None
    with session_factory() as session:
        [plan] = plans_of(session, "T1", ANA)
    assert (plan.last_reviewed, plan.snoozed_until) == (LAST, None)


def test_snooze_then_review_clears_the_snooze(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        plan_id = _add(session, "Acme Corp").id

    with session_factory.begin() as session:
        assert snooze(session, "T1", ANA, plan_id, date(2026, 12, 4)) is not None
    with session_factory() as session:
        assert plans_of(session, "T1", ANA)[0].snoozed_until == date(2026, 12, 4)

    with session_factory.begin() as session:
        mark_reviewed(session, "T1", ANA, plan_id, date(2026, 11, 27))
    with session_factory() as session:
        [plan] = plans_of(session, "T1", ANA)
    assert (plan.last_reviewed, plan.snoozed_until) == (date(2026, 11, 27), None)


def test_removing_a_plan_frees_the_name(session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        plan_id = _add(session, "Acme Corp").id

    with session_factory.begin() as session:
        removed = remove_plan(session, "T1", ANA, plan_id)
        assert removed is not None and removed.account == "Acme Corp"
    with session_factory.begin() as session:
        assert remove_plan(session, "T1", ANA, plan_id) is None
        assert plans_of(session, "T1", ANA) == []
        _add(session, "acme corp")


def test_a_removed_plans_id_is_never_given_to_the_next_plan(session_factory) -> None:
    now = NOW
    with session_factory.begin() as session:
        first, _ = add_plan(session, "T1", "U1", "Acme", MONTHLY, date(2026, 11, 1), "U1", now)
        first_id = first.id
        remove_plan(session, "T1", "U1", first_id)
    with session_factory.begin() as session:
        second, _ = add_plan(session, "T1", "U1", "Globex", MONTHLY, date(2026, 11, 1), "U1", now)

    assert second.id != first_id
