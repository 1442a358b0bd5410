"""Count how the running server answers the hostile cases, per family, for RELIABILITY.md.

    python -m tests.bot.reliability            # prints the table's rows for this checkout

Starts `tally serve` on SQLite beside a fake Slack, as the `tally` fixture does, sends every case
of tests/bot/hostile_cases.py plus GENERATED_EXAMPLES generated requests (a fixed seed, so two
checkouts see the same requests), and prints cases tried and failures per family.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings

from bot.fakeslack import FakeSlack
from bot.fakeslack.signed_requests import SignedSlack
from bot.local_server import serving
from bot.web import SLACK_PATH
from storage.db import make_engine
from tests.bot.hostile_cases import (
    CASES,
    GENERATED_EXAMPLES,
    Generated,
    generated_failure,
    generated_requests,
    run_case,
)
from tests.fixtures.server import PEOPLE, RunningTally
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

GENERATED = "generated (hypothesis): zero 5xx, nothing stored when refused"


def count(tally: RunningTally) -> tuple[Counter[str], Counter[str], list[str]]:
    tried: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    details: list[str] = []
    for case in CASES:
        outcome = run_case(tally, case)
        tried[case.family] += 1
        if outcome.failed:
            failed[case.family] += 1
            details.append(outcome.describe())

    @seed(20261203)
    @settings(
        max_examples=GENERATED_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(generated=generated_requests())
    def send(generated: Generated) -> None:
        tried[GENERATED] += 1
        if problem := generated_failure(tally, generated):
            failed[GENERATED] += 1
            details.append(f"{GENERATED}: {problem[:2000]}")

    send()
    return tried, failed, details


def main() -> int:
    with FakeSlack() as slack, tempfile.TemporaryDirectory() as folder:
        for user_id, name, tz, admin in PEOPLE:
            slack.add_user(user_id, name, tz=tz, is_admin=admin)
        database_url = f"sqlite:///{Path(folder) / 'tally.db'}"
        log_path = Path(folder) / "serve.log"
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.url,
            "DATABASE_URL": database_url,
            "WEB_CONCURRENCY": "1",
        }
        with serving(env, log_path=log_path) as url:
            engine = make_engine(database_url)
            signed = SignedSlack(
                url + SLACK_PATH, SIGNING_SECRET, team_id=slack.team_id, slack=slack
            )
            tally = RunningTally(url, slack, signed, engine, log_path)
            tried, failed, details = count(tally)
            engine.dispose()
        print("\n".join(details), file=sys.stderr)
        print(f"server log: {log_path.stat().st_size} bytes", file=sys.stderr)
    print("| case family | cases tried | failures |")
    print("| --- | ---: | ---: |")
    for family in tried:
        print(f"| {family} | {tried[family]} | {failed[family]} |")
    print(f"| **all** | {sum(tried.values())} | {sum(failed.values())} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
