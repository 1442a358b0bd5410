"""What a chunk of Friday digests reads: only the weeks it shows, however long the history."""

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from scoring.plans import QUARTERLY
from scoring.weeks import iso_week_label
from storage.activities import record_activity
from storage.db import make_session_factory
from storage.digest_rows import chunk_plans, points_by_activity, rep_weeks
from storage.members import ensure_member
from storage.plans import add_plan
from tests.storage.builders import NOW, WEEK, new_activity, statements_sent

WEEK_INDEX = "ix_activities_week_sums"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_chunk_reads_the_weeks_before_by_week_not_the_whole_history(engine: Engine) -> None:
    """A digest's trend and who to coach read the four weeks before the shown one. Asked as
    `week IN (…)` beside the chunk's reps, SQLite read each rep's whole history instead (by
    team and user), so a Friday slowed as the history grew: 10,000 reps 2.5 s with 13 weeks,
    2.8 s with 26. The coached reps' points by activity are read from the same index."""
    with make_session_factory(engine).begin() as session:
        ensure_member(session, "T1", "U_ANA", NOW).manager_id = "U_MGR"
        for weeks_ago in range(13):
            day = NOW - timedelta(weeks=weeks_ago)
            week = iso_week_label(day.date())
            record_activity(
                session, new_activity(happened_at=day, local_day=day.date(), week=week), NOW
            )
    before = [iso_week_label((NOW - timedelta(weeks=n)).date()) for n in range(1, 5)]
    with make_session_factory(engine, read_only=True)() as session:
        with statements_sent(engine) as sent:
            found = rep_weeks(session, "T1", {"U_MGR"}, {WEEK: before})
            usual = points_by_activity(session, "T1", {"U_ANA"}, before)
        connection = session.connection()
        reads = [
            detail
            for statement, params in sent
            for *_ids, detail in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", params
            )
            if " activities " in f"{detail} "
        ]

    assert usual == {"U_ANA": {"demo": 200}}
    assert found.totals == {("U_ANA", w): 50 for w in before}
    # By week, from the week index alone: never a rep's whole history by (team, user), nor
    # each entry looked up in the table for its day.
    assert reads and all(f"COVERING INDEX {WEEK_INDEX}" in detail for detail in reads), reads


def test_a_chunk_reads_its_reps_plans_with_their_zones(engine: Engine) -> None:
    """Overdue plans in a digest are the chunk's reps' own, each owner's day in their zone."""
    with make_session_factory(engine).begin() as session:
        for rep, manager, tz in (
            ("U_ANA", "U_MGR", "America/Chicago"),
            ("U_BEN", "U_MGR", "Europe/London"),
            ("U_CY", "U_OTHER", "UTC"),
        ):
            member = ensure_member(session, "T1", rep, NOW)
            member.manager_id, member.tz = manager, tz
            add_plan(session, "T1", rep, f"{rep} Corp", QUARTERLY, NOW.date(), rep, NOW)
        ensure_member(session, "T2", "U_ANA", NOW).manager_id = "U_MGR"
        add_plan(session, "T2", "U_ANA", "Elsewhere Inc", QUARTERLY, NOW.date(), "U_ANA", NOW)
    with make_session_factory(engine, read_only=True)() as session:
        found = chunk_plans(session, "T1", {"U_MGR"})
        none = chunk_plans(session, "T1", set())

    assert sorted((p.owner_id, p.account, p.cadence_count, p.tz) for p in found) == [
        ("U_ANA", "U_ANA Corp", 3, "America/Chicago"),
        ("U_BEN", "U_BEN Corp", 3, "Europe/London"),
    ]
    assert none == []
