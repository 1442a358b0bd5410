"""While the clock drafts digests, reps keep logging: on SQLite a write transaction holds the
file's one write lock, and drafting inside one made every `/log` wait 1.5 s and fail as busy.

Each test sends a real signed `/log` to `tally serve` at the moment the drafting reads the
reps' rows (an event on the drafting engine's statements), so the timing is not left to luck.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.app import utc_now, web_client
from bot.delivery import Deliverer
from bot.fakeslack.signed_requests import Reply
from bot.jobs import run_job
from bot.settings import load_settings
from handlers.digest import digests_for_week, redraft_changed
from scoring.weeks import week_at
from storage.db import BACKGROUND_WAITS, make_engine, make_session_factory
from storage.models import OutboxMessage
from tests.fixtures import seed
from tests.fixtures.server import MANAGER, OTHER_REP, REP, RunningTally, in_one_zone
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

ZONE = "America/New_York"


@pytest.fixture
def clock_engine(tally: RunningTally) -> Iterator[Engine]:
    """The engine `tally clock` and `tally digest` open on the server's database."""
    engine = make_engine(tally.engine.url, waits=BACKGROUND_WAITS)
    yield engine
    engine.dispose()


@pytest.fixture
def team(tally: RunningTally) -> RunningTally:
    in_one_zone(tally, ZONE)
    now = utc_now()
    with make_session_factory(tally.engine).begin() as session:
        for user_id in (MANAGER, REP, OTHER_REP):
            seed.person(session, user_id, ZONE, now)
        seed.team(session, MANAGER, [REP, OTHER_REP], now=now)
        seed.log(session, REP, "call", 12, at=now - timedelta(minutes=5), tz=ZONE)
    return tally


def _log_while_reading_reps(
    engine: Engine, tally: RunningTally, user_id: str, text: str
) -> list[Reply]:
    """Send `/log text` as `user_id` once, when the drafting first reads its reps' rows."""
    replies: list[Reply] = []

    def before(_conn, _cursor, statement: str, *_args: object) -> None:
        if not replies and "chunk_reps" in statement:
            replies.append(tally.command(user_id, "/log", text))

    event.listen(engine, "before_cursor_execute", before)
    return replies


def _deliverer(tally: RunningTally, sessions: sessionmaker[Session]) -> Deliverer:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": tally.slack.url,
    }
    return Deliverer(sessions, web_client(load_settings(env)), utc_now)


def _logged(tally: RunningTally, replies: list[Reply]) -> str:
    assert len(replies) == 1, "the drafting never read the reps' rows"
    assert replies[0].status == 200
    return tally.read(replies[0].json())


def _digest(tally: RunningTally) -> OutboxMessage | None:
    with make_session_factory(tally.engine)() as session:
        return session.query(OutboxMessage).filter_by(kind="digest").one_or_none()


def test_a_rep_logs_while_tally_digest_drafts_the_managers_digests(team, clock_engine) -> None:
    sessions = make_session_factory(clock_engine)
    replies = _log_while_reading_reps(clock_engine, team, OTHER_REP, "4 calls")
    week = week_at(utc_now(), ZONE)

    summary = run_job(
        sessions,
        _deliverer(team, sessions),
        lambda session, now: digests_for_week(
            session, load_settings({}, slack=False).rules, week, now
        ),
        utc_now(),
    )

    reply = _logged(team, replies)
    assert "+4 pts" in reply and "4 / 500" in reply.replace("*", ""), reply
    assert [e.count for e in team.entries(OTHER_REP)] == [4]
    assert (summary.sent, summary.failed) == (1, 0)


def test_a_rep_logs_while_the_clock_redrafts_a_changed_digest(team, clock_engine) -> None:
    sessions = make_session_factory(clock_engine)
    rules = load_settings({}, slack=False).rules
    week = week_at(utc_now(), ZONE)
    run_job(
        sessions,
        _deliverer(team, sessions),
        lambda session, now: digests_for_week(session, rules, week, now),
        utc_now(),
    )
    posted = _digest(team)
    assert posted is not None and posted.ts is not None
    assert team.command(REP, "/log", "3 calls").status == 200  # the digest is due a redraft
    replies = _log_while_reading_reps(clock_engine, team, OTHER_REP, "2 calls")

    assert redraft_changed(sessions, rules, datetime.now(UTC)) == 1

    reply = _logged(team, replies)
    assert "+2 pts" in reply, reply
    assert [e.count for e in team.entries(OTHER_REP)] == [2]
    redrafted = _digest(team)
    assert redrafted is not None and redrafted.needs_update
    # Rita's 12 + 3 calls, and Ravi's 2 where the database's snapshot already shows them.
    assert redrafted.text.endswith(("logged 15 pts.", "logged 17 pts.")), redrafted.text
