"""Forgetting a person on SQLite and PostgreSQL: all of theirs goes, nobody else's."""

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from scoring.plans import MONTHLY
from storage.activities import record_activity
from storage.forget import footprint, forget
from storage.invites import ask_to_join
from storage.members import get_member, save_profile, set_manager
from storage.models import Activity, OutboxMessage
from storage.outbox import Draft, enqueue, mark_sent
from storage.plans import add_plan, plans_of
from tests.storage.builders import NOW, WEEK, new_activity

ANA, BEN, MONA = "U_ANA", "U_BEN", "U_MONA"


def _seed(session: Session, team: str) -> None:
    for user in (ANA, BEN, MONA):
        save_profile(
            session, team, user, display_name=user, tz="UTC", is_workspace_admin=False, now=NOW
        )
    set_manager(session, team, ANA, MONA, None, NOW)
    set_manager(session, team, BEN, MONA, None, NOW)
    for user in (ANA, ANA, BEN):
        record_activity(session, new_activity(team_id=team, user_id=user), NOW)
    undone, _ = record_activity(session, new_activity(team_id=team, user_id=ANA), NOW)
    undone.deleted_at = NOW
    add_plan(session, team, ANA, "Acme Corp", MONTHLY, date(2026, 10, 1), ANA, NOW)
    add_plan(session, team, BEN, "Globex", MONTHLY, date(2026, 10, 1), BEN, NOW)
    ask_to_join(session, team, ANA, "U_MIKE", None, NOW)
    for recipient, period in ((ANA, "2026-11-26"), (ANA, "2026-11-25"), (MONA, WEEK)):
        draft = Draft(team, "plan_reminder", recipient, period, "Review", [])
        enqueue(session, draft, NOW)
    sent = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.team_id == team, OutboxMessage.period == "2026-11-25"
        )
    ).one()
    mark_sent(session, sent.id, "D_ANA", "1.0", NOW)


def test_forgetting_a_rep_removes_all_of_theirs_and_nobody_elses(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        _seed(session, "T1")
        _seed(session, "T2")

    with session_factory.begin() as session:
        before = footprint(session, "T1", ANA)
        removed = forget(session, "T1", ANA)

    assert removed == before
    assert (removed.member, removed.entries, removed.plans, removed.invites) == (True, 3, 1, 1)
    assert (removed.queued, removed.reps) == (1, 0)  # the sent reminder's row is kept
    with session_factory() as session:
        assert footprint(session, "T1", ANA).entries == 0
        assert get_member(session, "T1", ANA) is None
        assert plans_of(session, "T1", ANA) == []
        left = session.scalars(select(Activity.user_id).where(Activity.team_id == "T1")).all()
        assert left == [BEN]
        kept = session.scalars(
            select(OutboxMessage.period).where(
                OutboxMessage.team_id == "T1", OutboxMessage.recipient == ANA
            )
        ).all()
        assert kept == ["2026-11-25"]
        other_team = footprint(session, "T2", ANA)
        assert (other_team.member, other_team.entries, other_team.plans) == (True, 3, 1)


def test_forgetting_a_manager_leaves_their_reps_without_one(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        _seed(session, "T1")

    with session_factory.begin() as session:
        removed = forget(session, "T1", MONA)

    assert (removed.member, removed.reps, removed.queued, removed.entries) == (True, 2, 1, 0)
    with session_factory() as session:
        for rep in (ANA, BEN):
            member = get_member(session, "T1", rep)
            assert member is not None and member.manager_id is None
        assert session.scalar(select(func.count()).select_from(Activity)) == 4


def test_someone_tally_never_saw_has_an_empty_footprint(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        _seed(session, "T1")
        assert footprint(session, "T1", "U_NOBODY").empty
        assert not footprint(session, "T1", ANA).empty


def test_messages_queued_about_their_entries_go_with_them(
    session_factory: sessionmaker[Session],
) -> None:
    """A celebration in a channel or an approval ask to their manager names the entry, not
    them as recipient: still unsent, neither may go out after they are forgotten."""
    with session_factory.begin() as session:
        _seed(session, "T1")
        ana = session.scalars(select(Activity.id).where(Activity.user_id == ANA)).first()
        ben = session.scalars(select(Activity.id).where(Activity.user_id == BEN)).first()
        for kind, recipient, entry in (
            ("celebration", "C_WINS", ana),
            ("approval", MONA, ana),
            ("celebration", "C_WINS", ben),
        ):
            enqueue(session, Draft("T1", kind, recipient, f"entry-{entry}", "🎉", []), NOW)

    with session_factory.begin() as session:
        assert footprint(session, "T1", ANA).queued == 3
        forget(session, "T1", ANA)

    with session_factory() as session:
        left = session.scalars(
            select(OutboxMessage.period).where(OutboxMessage.kind != "plan_reminder")
        )
        assert list(left) == [f"entry-{ben}"]
