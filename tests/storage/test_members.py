"""Members: creation under concurrency, profiles from Slack, and managers' teams."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.invites import DECLINED, PENDING, ask_to_join, invite_for_rep, settle, withdraw
from storage.members import (
    ensure_member,
    get_member,
    managers_above,
    remove_from_team,
    save_profile,
    set_manager,
    team_of,
)
from storage.models import Member
from tests.storage.builders import NOW

Factory = sessionmaker[Session]


def member_count(factory: Factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Member))


def test_a_new_member_gets_defaults_and_is_stored_once(session_factory: Factory) -> None:
    with session_factory.begin() as session:
        first = ensure_member(session, "T1", "U_ANA", NOW)
    with session_factory.begin() as session:
        again = ensure_member(session, "T1", "U_ANA", NOW + timedelta(days=1))

    assert again.id == first.id
    assert (again.tz, again.role, again.nudges_enabled) == ("UTC", "rep", True)
    assert again.display_name == ""
    assert again.tz_checked_at is None
    assert again.created_at == NOW
    assert member_count(session_factory) == 1


def test_the_same_slack_user_id_in_another_team_is_another_member(
    session_factory: Factory,
) -> None:
    with session_factory.begin() as session:
        ours = ensure_member(session, "T1", "U_ANA", NOW)
        theirs = ensure_member(session, "T2", "U_ANA", NOW)
    assert ours.id != theirs.id


def test_simultaneous_first_requests_create_one_member(session_factory: Factory) -> None:
    threads = 8
    barrier = threading.Barrier(threads)

    def first_request() -> int:
        barrier.wait()
        with session_factory.begin() as session:
            return ensure_member(session, "T1", "U_ANA", NOW).id

    with ThreadPoolExecutor(threads) as pool:
        ids = list(pool.map(lambda _: first_request(), range(threads)))

    assert len(set(ids)) == 1
    assert member_count(session_factory) == 1


def test_a_request_that_loses_the_insert_race_gets_the_winners_row(
    session_factory: Factory,
) -> None:
    """The loser has already looked and found nobody when the winner commits."""
    with session_factory() as winner:
        winner_id = ensure_member(winner, "T1", "U_ANA", NOW).id  # inserted, not committed
        with ThreadPoolExecutor(1) as pool:
            loser = pool.submit(_ensure_in_new_transaction, session_factory)
            threading.Event().wait(0.3)  # let the loser select and block on its insert
            winner.commit()
            loser_id = loser.result(timeout=10)

    assert loser_id == winner_id
    assert member_count(session_factory) == 1


def _ensure_in_new_transaction(factory: Factory) -> int:
    with factory.begin() as session:
        return ensure_member(session, "T1", "U_ANA", NOW).id


def test_save_profile_records_what_slack_said_and_when(session_factory: Factory) -> None:
    checked = NOW + timedelta(hours=2)
    with session_factory.begin() as session:
        ensure_member(session, "T1", "U_ANA", NOW)
        save_profile(
            session,
            "T1",
            "U_ANA",
            display_name="Ana",
            tz="America/Chicago",
            is_workspace_admin=True,
            now=checked,
        )
    with session_factory() as session:
        ana = get_member(session, "T1", "U_ANA")

    assert ana is not None
    assert (ana.display_name, ana.tz, ana.is_workspace_admin) == ("Ana", "America/Chicago", True)
    assert ana.tz_checked_at == checked
    assert ana.created_at == NOW


def test_times_come_back_as_aware_utc(session_factory: Factory) -> None:
    """A time written with any offset reads back as the same instant in UTC."""
    ist = datetime(2026, 11, 26, 20, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    with session_factory.begin() as session:
        save_profile(
            session,
            "T1",
            "U_ANA",
            display_name="Ana",
            tz="Asia/Kolkata",
            is_workspace_admin=False,
            now=ist,
        )
    with session_factory() as session:
        ana = get_member(session, "T1", "U_ANA")

    assert ana is not None
    assert ana.tz_checked_at is not None
    assert ana.tz_checked_at.utcoffset() == timedelta(0)
    assert ana.tz_checked_at == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)


def test_set_manager_builds_a_team_and_keeps_the_onboarding_start(
    session_factory: Factory,
) -> None:
    start = date(2026, 11, 2)
    with session_factory.begin() as session:
        set_manager(session, "T1", "U_ANA", "U_MIA", start, NOW)
    with session_factory.begin() as session:
        rep = set_manager(session, "T1", "U_ANA", "U_MIA", None, NOW)

    assert rep.manager_id == "U_MIA"
    assert rep.onboarding_start == start
    with session_factory() as session:
        manager = get_member(session, "T1", "U_MIA")
    assert manager is not None
    assert manager.role == "manager"


def test_team_of_lists_only_that_managers_reps_alphabetically(session_factory: Factory) -> None:
    with session_factory.begin() as session:
        for rep_id, name, manager in [
            ("U_ZED", "zed", "U_MIA"),
            ("U_ANA", "Ana", "U_MIA"),
            ("U_BOB", "bob", "U_MIA"),
            ("U_CY", "Cy", "U_LEO"),
        ]:
            save_profile(
                session,
                "T1",
                rep_id,
                display_name=name,
                tz="UTC",
                is_workspace_admin=False,
                now=NOW,
            )
            set_manager(session, "T1", rep_id, manager, None, NOW)
        set_manager(session, "T2", "U_EVE", "U_MIA", None, NOW)  # same ids, other workspace

    with session_factory() as session:
        team = team_of(session, "T1", "U_MIA")

    assert [member.user_id for member in team] == ["U_ANA", "U_BOB", "U_ZED"]


def test_only_the_reps_own_manager_can_remove_them(session_factory: Factory) -> None:
    with session_factory.begin() as session:
        set_manager(session, "T1", "U_ANA", "U_MIA", None, NOW)

    with session_factory.begin() as session:
        assert remove_from_team(session, "T1", "U_ANA", "U_LEO") is False
        assert remove_from_team(session, "T1", "U_NOBODY", "U_MIA") is False
    with session_factory() as session:
        assert [m.user_id for m in team_of(session, "T1", "U_MIA")] == ["U_ANA"]

    with session_factory.begin() as session:
        assert remove_from_team(session, "T1", "U_ANA", "U_MIA") is True
    with session_factory() as session:
        assert team_of(session, "T1", "U_MIA") == []
        ana = get_member(session, "T1", "U_ANA")
        assert ana is not None
        assert ana.manager_id is None


def test_managers_above_walks_up_the_chain_and_ends_even_on_an_old_loop(
    session_factory: Factory,
) -> None:
    with session_factory.begin() as session:
        set_manager(session, "T1", "U_EVE", "U_MONA", None, NOW)
        set_manager(session, "T1", "U_RAVI", "U_EVE", None, NOW)
        set_manager(session, "T2", "U_MONA", "U_RAVI", None, NOW)  # another team's chain
    with session_factory() as session:
        assert managers_above(session, "T1", "U_RAVI") == ["U_EVE", "U_MONA"]
        assert managers_above(session, "T1", "U_MONA") == []
    with session_factory.begin() as session:
        set_manager(session, "T1", "U_MONA", "U_RAVI", None, NOW)  # a loop from before the rule
    with session_factory() as session:
        assert managers_above(session, "T1", "U_RAVI") == ["U_EVE", "U_MONA"]


def test_an_invitation_is_answered_once_and_asking_again_reopens_it(
    session_factory: Factory,
) -> None:
    with session_factory.begin() as session:
        invite, opened = ask_to_join(session, "T1", "U_ANA", "U_MONA", date(2026, 11, 2), NOW)
        invite_id = invite.id
        again, reopened = ask_to_join(session, "T1", "U_ANA", "U_MONA", None, NOW)
        assert (opened, reopened, again.id) == (True, False, invite_id)
        assert again.onboarding_start == date(2026, 11, 2)
    with session_factory.begin() as session:
        assert invite_for_rep(session, "T1", invite_id, "U_BOB") is None
        assert invite_for_rep(session, "T2", invite_id, "U_ANA") is None
        mine = invite_for_rep(session, "T1", invite_id, "U_ANA")
        assert mine is not None
        assert settle(session, mine, DECLINED, NOW) is True
        assert settle(session, mine, "accepted", NOW) is False
        assert mine.status == DECLINED
    with session_factory.begin() as session:
        reopened_invite, opened = ask_to_join(session, "T1", "U_ANA", "U_MONA", None, NOW)
        assert (opened, reopened_invite.id, reopened_invite.status) == (True, invite_id, PENDING)
        assert withdraw(session, "T1", "U_ANA", "U_MONA", NOW) is True
        assert withdraw(session, "T1", "U_ANA", "U_MONA", NOW) is False
