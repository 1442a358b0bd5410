"""Settings read from the environment: gunicorn's processes and threads, the API's pace."""

import pytest

from bot.settings import SettingsError, load_settings

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


@pytest.mark.parametrize(
    ("raw", "per_second", "burst"), [("", 10.0, 50), ("20/100", 20.0, 100), ("5", 5.0, 5)]
)
def test_the_activity_api_s_pace_comes_from_tally_api_rate(
    raw: str, per_second: float, burst: int
) -> None:
    pace = load_settings(ENV | {"TALLY_API_RATE": raw}).api_pace

    assert (pace.per_second, pace.burst) == (per_second, burst)


@pytest.mark.parametrize("raw", ["fast", "10/many", "0/5", "-1/5", "nan/5", "10/0", "inf/9"])
def test_a_pace_that_is_no_pace_stops_with_one_line(raw: str) -> None:
    with pytest.raises(SettingsError, match="TALLY_API_RATE must be requests a second"):
        load_settings(ENV | {"TALLY_API_RATE": raw})
