"""How many gunicorn processes and threads `tally serve` runs when the operator says nothing."""

import pytest

from bot.settings import load_settings

ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    ("database_url", "workers", "threads"),
    [
        ("", 1, 16),  # the embedded default, SQLite
        ("sqlite:////var/lib/tally/tally.db", 1, 16),
        ("postgresql+psycopg://tally@db/tally", 2, 8),
        ("postgres://tally@db/tally", 2, 8),
    ],
)
def test_sqlite_serves_from_one_process_postgres_from_two(
    database_url: str, workers: int, threads: int
) -> None:
    settings = load_settings(ENV | {"DATABASE_URL": database_url})

    assert (settings.web_workers, settings.web_threads) == (workers, threads)


def test_the_operator_s_numbers_win_on_either_database() -> None:
    for url in ("sqlite:///tally.db", "postgresql+psycopg://tally@db/tally"):
        env = ENV | {"DATABASE_URL": url, "WEB_CONCURRENCY": "3", "WEB_THREADS": "4"}
        settings = load_settings(env)

        assert (settings.web_workers, settings.web_threads) == (3, 4)
