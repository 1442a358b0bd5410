"""The /log path's statements run on the driver's cursor: what they store and read back must be
what the ORM stores and reads, value for value, on both databases."""

import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import DateTime, Engine, select, text, update
from sqlalchemy.exc import OperationalError, ProgrammingError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules
from storage.activities import TwinOf, record_activity, rep_weeks
from storage.db import make_engine, make_session_factory, upgrade
from storage.members import ensure_member
from storage.models import Activity, Member
from storage.prebuilt import Prebuilt
from storage.team_settings import member_and_rules
from tests.storage.builders import NOW, WEEK, WORKDAYS, new_activity


def test_an_entry_stored_on_the_driver_reads_back_through_the_orm_unchanged(
    session_factory: sessionmaker[Session],
) -> None:
    deal = new_activity(
        activity_key="closed_won",
        points=25,
        happened_at=NOW - timedelta(days=1, microseconds=7),
        local_day=date(2026, 11, 25),
        note="Acme <renewal> & “co” 🎉",
        amount=Decimal("12500.50"),
        currency="USD",
    )
    with session_factory.begin() as session:
        written, created = record_activity(session, deal, NOW)
        twin, _ = record_activity(
            session, new_activity(**{**vars(deal), "idempotency_key": "2"}), NOW
        )
        sums = rep_weeks(
            session, "T1", "U_ANA", [WEEK], TwinOf(twin, NOW - timedelta(minutes=2)), WORKDAYS
        )
    with session_factory() as session:
        stored = session.get(Activity, written.id)
    assert created and stored is not None
    for column in Activity.__table__.c:
        assert getattr(stored, column.key) == getattr(written, column.key), column.key
    assert stored.happened_at.tzinfo is not None and stored.local_day == date(2026, 11, 25)
    assert sums.twin_at == NOW and sums.counted == {WEEK: [("closed_won", 2, 50)]}


def test_a_member_is_read_on_the_driver_as_the_orm_reads_them(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory.begin() as session:
        ensure_member(session, "T1", "U_ANA", NOW)
    with session_factory.begin() as session:
        orm = session.scalars(select(Member).where(Member.user_id == "U_ANA")).one()
        orm.manager_id, orm.tz, orm.tz_checked_at, orm.celebrate = "U_MO", "Asia/Tokyo", NOW, False
    rules = ScoringRules(catalog=DEFAULT_CATALOG)
    with session_factory() as session:
        found = member_and_rules(session, rules, "T1", "U_ANA")
        orm = session.scalars(select(Member).where(Member.user_id == "U_ANA")).one()
    assert found is not None and found[1] is rules
    for column in Member.__table__.c:
        assert getattr(found[0], column.key) == getattr(orm, column.key), column.key
    assert found[0].celebrate is False and found[0].tz_checked_at == NOW


_FIRST_READ = """
import sys
from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules
from storage.db import make_engine, make_session_factory
from storage.team_settings import member_and_rules
sessions = make_session_factory(make_engine(sys.argv[1]))
with sessions() as session:
    member, _ = member_and_rules(session, ScoringRules(catalog=DEFAULT_CATALOG), "T1", "U_ANA")
print(member.tz)
"""


def test_a_new_process_reads_its_first_member_on_the_driver(
    engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    """A worker's first /log builds a member before any ORM object exists in that process."""
    with session_factory.begin() as session:
        ensure_member(session, "T1", "U_ANA", NOW).tz = "Asia/Tokyo"
    read = subprocess.run(
        [sys.executable, "-c", _FIRST_READ, engine.url.render_as_string(hide_password=False)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert read.returncode == 0, read.stderr[-2000:]
    assert read.stdout.strip() == "Asia/Tokyo"


def test_errors_on_the_driver_reach_callers_as_sqlalchemys(
    session_factory: sessionmaker[Session],
) -> None:
    with pytest.raises(StatementError), session_factory.begin() as session:
        record_activity(session, new_activity(amount=Decimal("0.001"), currency="USD"), NOW)
    missing = Prebuilt(select(Activity.__table__.c.id).where(Activity.__table__.c.id < 0))
    with session_factory.begin() as session:
        session.connection().exec_driver_sql("DROP TABLE activities")
        with pytest.raises((OperationalError, ProgrammingError)):
            missing.rows(session, {})


def test_sqlite_keeps_timestamps_in_the_text_earlier_releases_wrote(tmp_path: Path) -> None:
    """Timestamps are compared as text on SQLite: whatever writes them (the ORM, the /log path on
    the driver) must keep SQLAlchemy's DATETIME text, microseconds of a whole second included
    (`2026-11-26 15:00:00.000000`), or an entry of an earlier release is no twin of a new one."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tally.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    earlier = new_activity(idempotency_key="earlier")
    with sessions.begin() as session:
        record_activity(session, earlier, NOW)
    with engine.begin() as connection:  # as SQLAlchemy's DATETIME stored it
        old_text = DateTime().dialect_impl(engine.dialect).bind_processor(engine.dialect)
        connection.execute(
            update(Activity).values(created_at=text(f"'{old_text(NOW.replace(tzinfo=None))}'"))
        )
    with sessions.begin() as session:
        again, _ = record_activity(session, new_activity(), NOW + timedelta(seconds=30))
        sums = rep_weeks(session, "T1", "U_ANA", [WEEK], TwinOf(again, NOW), WORKDAYS)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT created_at FROM activities ORDER BY id")).all()
    engine.dispose()
    assert [row[0] for row in stored] == [
        "2026-11-26 15:00:00.000000",
        "2026-11-26 15:00:30.000000",
    ]
    assert sums.twin_at == NOW
