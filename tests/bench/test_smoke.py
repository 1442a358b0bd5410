"""Each benchmark in a tiny mode, so the harness cannot rot (the real run is `python -m bench`)."""

import secrets
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bench import charts, command_path, fanout, friday, log_profile, many_instances, startup
from bot.fakeslack import FakeSlack, RateLimits
from storage.db import make_engine, upgrade
from storage.models import Activity
from tests.fixtures.database import POSTGRES_URL


def _quiet(_line: str) -> None:
    pass


def test_command_path_smoke() -> None:
    section = command_path.run(command_path.SMOKE, log=_quiet)
    for server in ("bare Bolt", "minimal durable (sqlite)", "Tally (sqlite)"):
        assert f"| {server} " in section.body, section.body


def test_friday_smoke() -> None:
    section = friday.run(friday.SMOKE, log=_quiet)
    assert "40 reps" in section.body and "(×" in section.body


def test_friday_reports_its_own_peak_memory_not_its_big_parents(tmp_path: Path) -> None:
    """Linux keeps a process's peak RSS across exec: run after the profile section (~480 MB),
    Friday's measuring child reported 478 MB for work that peaks near 100."""
    engine = make_engine(f"sqlite:///{tmp_path / 'friday.db'}")
    upgrade(engine)
    friday.seed(engine, friday.Size(40))
    engine.dispose()
    ballast = bytearray(400 * 2**20)  # touched, so resident
    ballast[::4096] = b"x" * len(ballast[::4096])
    found = friday._measure_in_child(str(engine.url))
    del ballast
    assert found["peak_rss_mb"] < 300, found


def test_fanout_smoke_loses_and_duplicates_nothing() -> None:
    section = fanout.run(fanout.SMOKE, log=_quiet)
    row = next(line for line in section.body.splitlines() if line.startswith("| 15 "))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[4:6] == ["0", "0"]  # lost, duplicated


def test_many_instances_smoke_keeps_every_total_and_posts_each_message_once() -> None:
    section = many_instances.run(many_instances.SMOKE, log=_quiet)
    row = next(line for line in section.body.splitlines() if line.startswith("| sqlite "))
    assert row.rstrip(" |").endswith("met"), row


def test_charts_smoke_times_each_chart() -> None:
    section = charts.run(charts.SMOKE, log=_quiet)
    for chart in ("| rep, 13 weeks ", "| team, 10 reps "):
        assert chart in section.body, section.body
    assert "A worker's first chart" in section.body


def test_startup_smoke_reports_the_start_and_each_workers_memory() -> None:
    section = startup.run(startup.SMOKE, log=_quiet)
    row = next(line for line in section.body.splitlines() if line.startswith("| sqlite "))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert float(cells[1]) > 0 and len(cells[4].split("/")) == 1  # SQLite's one worker


def test_profile_smoke_times_both_apps_and_shows_the_call_tree() -> None:
    section = log_profile.run(log_profile.SMOKE, log=_quiet)
    assert "| sqlite " in section.body and "answer_log" in section.body, section.body
    assert "| sqlite   | driver cursor, statement compiled once " in section.body, section.body


def test_fake_slack_limits_are_off_by_default_and_answer_429_when_on() -> None:
    with FakeSlack() as plain:
        assert plain.enforcer is None
    now = [0.0]
    with FakeSlack(rate_limits=RateLimits(clock=lambda: now[0])) as limited:
        client = WebClient(token="xoxb-test", base_url=limited.url, retry_handlers=[])
        for n in range(10):  # tier 3: a burst of 10, then 50 a minute
            client.conversations_open(users=f"U{n}")
        try:
            client.conversations_open(users="U10")
        except SlackApiError as error:
            assert error.response.status_code == 429
            assert error.response.headers["Retry-After"] == "2"
        else:
            raise AssertionError("the 11th call in a burst should be rate-limited")
        now[0] = 1.2
        client.conversations_open(users="U10")


def test_friday_postgres_seed_is_the_python_rows_and_keeps_production_indexes(
    postgres_admin: Engine,
) -> None:
    """The server-side generator makes `_activities`' rows, in order, and leaves the table's
    indexes and constraints as `storage.db.upgrade` made them."""
    for size in (friday.Size(12), friday.Size(7, weeks=26)):
        name = f"tally_t_{secrets.token_hex(6)}"
        with postgres_admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
        engine = make_engine(url)
        try:
            upgrade(engine)
            with engine.connect() as connection:
                schema = friday._activity_schema(connection)
            friday.seed(engine, size)
            with engine.connect() as connection:
                assert friday._activity_schema(connection) == schema
                table = Activity.__table__
                stored = [
                    {k: v for k, v in row._mapping.items() if k != "id"}
                    for row in connection.execute(table.select().order_by(table.c.id))
                ]
            defaults = {c.name: None for c in table.columns if c.name != "id"}
            expected = [{**defaults, "status": "counted", **r} for r in friday._activities(size)]
            assert stored == expected
        finally:
            engine.dispose()
            with postgres_admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
