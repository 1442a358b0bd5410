"""Benchmark 7: where one `/log` spends its time — signed requests straight into the WSGI app.

No HTTP, no gunicorn, no load generator sharing the cores, one request at a time: CPU
milliseconds per request for Tally and for the minimal durable app (`bench/minimal_durable.py`)
on the same database, and pyinstrument's call tree of Tally's requests (wall time, so waits on
the database show). The load benchmark (`bench/command_path.py`) says how fast; this says where
the time goes. `bench/profiles/` keeps the tree of an earlier revision, to compare.

    python -m bench.log_profile [--requests 2000] [--backend sqlite|postgresql] [--profile]
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import Section, scratch_database, table
from bench.command_path import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM_ID,
    ZONES,
    SlashCommands,
    settle_statistics,
)
from bench.minimal_durable import PostgresStore, SqliteStore, minimal_app
from bot.app import create_app
from bot.fakeslack import FakeSlack
from bot.settings import load_settings
from bot.web import SLACK_PATH, wsgi_app
from storage.db import joined_write, make_session_factory, open_database
from storage.members import ensure_member
from storage.team_settings import MEMBER_AND_SETTINGS

Wsgi = Callable[..., Iterable[bytes]]


def _environ(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": SLACK_PATH,
        "QUERY_STRING": "",
        "CONTENT_TYPE": headers["Content-Type"],
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def call(wsgi: Wsgi, commands: SlashCommands) -> bytes:
    """One signed `/log` through the app; its reply body (a 200, or AssertionError)."""
    status: list[str] = []
    body = b"".join(wsgi(_environ(*commands.next()), lambda s, _h: status.append(s)))
    assert status == ["200 OK"] and b'"action_id"' in body, (status, body[:300])
    return body


def cpu_per_request(wsgi: Wsgi, commands: SlashCommands, requests: int) -> float:
    """CPU ms per request of this process (the app's threads included), after a warm-up."""
    for _ in range(min(200, requests)):
        call(wsgi, commands)
    began = time.process_time()
    for _ in range(requests):
        call(wsgi, commands)
    return (time.process_time() - began) * 1000 / requests


@contextmanager
def apps(backend: str, users: list[str], slack: FakeSlack) -> Iterator[tuple[Wsgi, Wsgi]]:
    """(Tally, minimal durable) as `tally serve` and the bench build them, each on its own
    scratch database; every user's profile cached by one request first, and PostgreSQL's
    statistics gathered then."""
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "TALLY_ADMINS": "",
    }
    with scratch_database(backend, "prof") as tally_url, scratch_database(backend, "pmin") as url:
        settings = load_settings(env | {"DATABASE_URL": tally_url})
        engine = open_database(settings.database_url)
        tally = wsgi_app(create_app(settings, engine), engine, SIGNING_SECRET, settings.rules)
        store = SqliteStore(url) if backend == "sqlite" else PostgresStore(url)
        minimal = wsgi_app(minimal_app(settings, store), engine, SIGNING_SECRET)
        warm = SlashCommands(users, slack.base_url)
        for _ in users:
            call(tally, warm)
        settle_statistics(tally_url)
        settle_statistics(url)
        try:
            yield tally, minimal
        finally:
            engine.dispose()


@dataclass(frozen=True)
class Mode:
    requests: int
    backends: tuple[str, ...]


FULL = Mode(requests=3000, backends=("sqlite", "postgresql"))
QUICK = Mode(requests=800, backends=("sqlite", "postgresql"))
SMOKE = Mode(requests=20, backends=("sqlite",))
BEFORE = Path(__file__).resolve().parent / "profiles"


def run(mode: Mode, log: Callable[[str], None] = print) -> Section:
    users = [f"U0P{n:04d}" for n in range(200)]
    rows, trees, layers = [], [], []
    with FakeSlack(team_id=TEAM_ID) as slack:
        for n, user in enumerate(users):
            slack.add_user(user, f"rep{n}", tz=ZONES[n % len(ZONES)])
        for backend in mode.backends:
            with apps(backend, users, slack) as (tally, minimal):
                commands = SlashCommands(users, slack.base_url)
                tally_ms = cpu_per_request(tally, commands, mode.requests)
                minimal_ms = cpu_per_request(minimal, commands, mode.requests)
                log(f"  {backend}: Tally {tally_ms:.2f} CPU ms, minimal {minimal_ms:.2f}")
                rows.append(
                    [
                        backend,
                        f"{tally_ms:.2f}",
                        f"{minimal_ms:.2f}",
                        f"{tally_ms / minimal_ms:.1f}×",
                    ]
                )
                trees.append((backend, profile_tree(tally, commands, mode.requests)))
            layers += layer_costs(backend, mode.requests)
    parts = [
        f"{mode.requests} signed `/log` requests from {len(users)} users (profiles cached), one "
        "at a time, straight into each WSGI app in this process after a warm-up: CPU time per "
        "request, then the same requests under pyinstrument (wall time; frames under 2% hidden).",
        "",
        table(
            ["database", "Tally CPU ms / req", "minimal durable CPU ms / req", "Tally ÷ minimal"],
            rows,
        ),
    ]
    parts += [
        "",
        "What the layers cost: one write transaction reading /log's first row (member and team "
        "settings), CPU µs each; a `/log` runs three or four statements and one transaction.",
        "",
        table(["database", "through", "CPU µs"], layers),
    ]
    for backend, tree in trees:
        parts += ["", f"Tally on {backend}, this revision:", "", "```", tree, "```"]
    for before in sorted(BEFORE.glob("*.txt")):
        parts += [
            "",
            f"Before (`bench/profiles/{before.name}`):",
            "",
            "```",
            before.read_text().strip(),
            "```",
        ]
    return Section("profile", "7. Where a `/log`'s time goes", "\n".join(parts), True)


_LAYERS_USER = ("T0LAYERS", "U0LAYERS")


def layer_costs(backend: str, rounds: int) -> list[list[str]]:
    """CPU µs of one write transaction reading /log's member-and-rules row, through each layer
    Tally could use: what the ORM session and SQLAlchemy's execution add to the driver's own
    work. A /log runs three such statements."""
    with scratch_database(backend, "layers") as url:
        engine = open_database(url)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            ensure_member(session, *_LAYERS_USER, datetime.now(UTC))
        params = {"team": _LAYERS_USER[0], "user": _LAYERS_USER[1]}
        statement = MEMBER_AND_SETTINGS.statement
        compiled = statement.compile(dialect=engine.dialect)
        order = compiled.positiontup
        driver_params = [params[k] for k in order] if order else params

        def joined() -> None:
            with joined_write(sessions) as s:
                MEMBER_AND_SETTINGS.rows(s, params)

        def prebuilt() -> None:
            with sessions.begin() as s:
                MEMBER_AND_SETTINGS.rows(s, params)

        def session() -> None:
            with sessions.begin() as s:
                s.connection().execute(statement, params).first()

        def connection() -> None:
            with engine.begin() as c:
                c.execute(statement, params).first()

        def driver() -> None:
            with engine.begin() as c:
                cursor = c.connection.dbapi_connection.cursor()
                cursor.execute(compiled.string, driver_params)
                cursor.fetchone()

        def nothing() -> None:
            with engine.begin():
                pass

        rows = []
        for name, one in (
            ("Tally's /log: joined_write (SQLite: the process's shared writer), prebuilt", joined),
            ("ORM session, statement on its driver cursor (storage.prebuilt)", prebuilt),
            ("ORM session, Core statement", session),
            ("Core connection, same statement", connection),
            ("driver cursor, statement compiled once", driver),
            ("BEGIN and COMMIT only (PostgreSQL: nothing sent)", nothing),
        ):
            for _ in range(200):
                one()
            began = time.process_time()
            for _ in range(rounds):
                one()
            rows.append([backend, name, f"{(time.process_time() - began) * 1e6 / rounds:.0f}"])
        engine.dispose()
        return rows


def profile_tree(wsgi: Wsgi, commands: SlashCommands, requests: int) -> str:
    from pyinstrument import Profiler  # a dev tool: only profiling needs it

    profiler = Profiler(interval=0.0002)
    with profiler:
        for _ in range(requests):
            call(wsgi, commands)
    text = profiler.output_text(
        unicode=True, time="percent_of_total", processor_options={"filter_threshold": 0.02}
    )
    return text[text.index("\n", text.index("Profile at")) + 1 :].strip("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append")
    parser.add_argument("--profile", action="store_true", help="pyinstrument Tally's requests")
    args = parser.parse_args()
    users = [f"U0P{n:04d}" for n in range(200)]
    with FakeSlack(team_id=TEAM_ID) as slack:
        for n, user in enumerate(users):
            slack.add_user(user, f"rep{n}", tz=ZONES[n % len(ZONES)])
        for backend in args.backend or ("sqlite", "postgresql"):
            with apps(backend, users, slack) as (tally, minimal):
                commands = SlashCommands(users, slack.base_url)
                tally_ms = cpu_per_request(tally, commands, args.requests)
                minimal_ms = cpu_per_request(minimal, commands, args.requests)
                print(
                    f"{backend}: Tally {tally_ms:.2f} CPU ms per /log, minimal durable "
                    f"{minimal_ms:.2f} (Tally ÷ minimal {tally_ms / minimal_ms:.1f}×)"
                )
                if args.profile:
                    print(profile_tree(tally, commands, args.requests))


if __name__ == "__main__":
    main()
