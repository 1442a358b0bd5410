"""Migration 0005 (outbox refusals) keeps every row, both ways, on SQLite and PostgreSQL."""

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from storage.db import MIGRATIONS_DIR, make_engine

ROWS = """
INSERT INTO outbox (id, team_id, key, kind, recipient, period, text, blocks, status, attempts,
                    next_attempt_at, ts, last_error, needs_update, created_at)
VALUES
  (1, 'T1', 'digest:U1:2026-W48', 'digest', 'U1', '2026-W48', 'a', '[]', 'failed', 2,
   '2026-11-27 15:00:00', NULL, 'Slack refused it: channel_not_found', false,
   '2026-11-27 15:00:00'),
  (2, 'T1', 'digest:U2:2026-W48', 'digest', 'U2', '2026-W48', 'b', '[]', 'failed', 1,
   '2026-11-27 15:00:00', NULL, 'Slack unavailable after 5 tries: HTTP 503', false,
   '2026-11-27 15:00:00'),
  (3, 'T1', 'digest:U3:2026-W48', 'digest', 'U3', '2026-W48', 'c', '[]', 'sent', 0,
   '2026-11-27 15:00:00', '1.000001', NULL, false, '2026-11-27 15:00:00')
"""


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


@pytest.fixture
def at_0004(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    _migrate(engine, "0004")
    with engine.begin() as connection:
        connection.execute(text(ROWS))
    yield engine
    engine.dispose()


def _outbox(engine: Engine, columns: str) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(text(f"SELECT {columns} FROM outbox ORDER BY id"))
        ]


def test_upgrade_counts_a_refusal_already_recorded_and_keeps_every_row(at_0004: Engine) -> None:
    _migrate(at_0004, "0005")

    assert _outbox(at_0004, "key, status, attempts, refusals") == [
        ("digest:U1:2026-W48", "failed", 2, 1),
        ("digest:U2:2026-W48", "failed", 1, 0),
        ("digest:U3:2026-W48", "sent", 0, 0),
    ]


def test_downgrade_turns_abandoned_rows_into_what_the_older_release_retries(
    at_0004: Engine,
) -> None:
    _migrate(at_0004, "0005")
    with at_0004.begin() as connection:
        connection.execute(
            text("UPDATE outbox SET status = 'abandoned', refusals = 3 WHERE id IN (1, 3)")
        )

    _migrate(at_0004, "0004", down=True)

    assert _outbox(at_0004, "key, status, attempts, last_error") == [
        ("digest:U1:2026-W48", "failed", 2, "Slack refused it: channel_not_found"),
        ("digest:U2:2026-W48", "failed", 1, "Slack unavailable after 5 tries: HTTP 503"),
        ("digest:U3:2026-W48", "sent", 0, None),
    ]
