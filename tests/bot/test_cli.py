"""The `tally` command line: settings fail fast and clearly; the database command works alone."""

import os
import subprocess
import sys

import pytest
from sqlalchemy import inspect

from storage.db import make_engine


def _tally(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user"}, "must be a bot token"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "http"}, "PORT must"),
        (
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_SIGNING_SECRET": "s",
                "TALLY_CONFIG": "/nowhere.toml",
            },
            "does not exist",
        ),
    ],
)
def test_serve_refuses_bad_settings_in_one_line(env: dict[str, str], complaint: str) -> None:
    result = _tally("serve", env=env)

    assert result.returncode == 2
    assert complaint in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_points_table_is_named(tmp_path) -> None:
    config = tmp_path / "tally.toml"
    config.write_text('[[activities]]\nkey = "call"\npoints = -1\n')

    result = _tally(
        "serve",
        env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "TALLY_CONFIG": str(config)},
    )

    assert result.returncode == 2 and "call" in result.stderr


def test_db_upgrade_needs_only_the_database(database_url: str) -> None:
    result = _tally("db", "upgrade", env={"DATABASE_URL": database_url})

    assert result.returncode == 0, result.stderr
    engine = make_engine(database_url)
    try:
        assert {"members", "activities"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_socket_mode_needs_an_app_token() -> None:
    result = _tally("socket", env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})

    assert result.returncode == 2
    assert "SLACK_APP_TOKEN is not set" in result.stderr


@pytest.mark.parametrize(
    ("command", "settings"),
    [
        ("digest", ["SLACK_BOT_TOKEN", "DATABASE_URL", "TALLY_CONFIG", "LOG_LEVEL"]),
        ("serve", ["SLACK_SIGNING_SECRET", "PORT", "WEB_CONCURRENCY", "TALLY_ADMINS"]),
        ("clock", ["SLACK_BOT_TOKEN", "DATABASE_URL", "TALLY_TICK_SECONDS"]),
    ],
)
def test_each_command_says_what_it_does_and_which_settings_it_reads(
    command: str, settings: list[str]
) -> None:
    shown = _tally(command, "--help", env={})

    assert shown.returncode == 0
    usage, _, rest = shown.stdout.partition("\n\n")
    assert usage.startswith(f"usage: tally {command}")
    assert rest.split("\n\n")[0].strip(), "no sentence saying what the command does"
    for name in settings:
        assert name in shown.stdout
