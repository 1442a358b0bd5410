"""Hostile and malformed requests against the running server: never a 5xx, never a stored row.

One server per family keeps it quick; each failure message lists every case that went wrong.
"""

import urllib.request

import pytest
from hypothesis import HealthCheck, given, settings

from tests.bot.hostile_cases import (
    CASES,
    GENERATED_EXAMPLES,
    Generated,
    generated_failure,
    generated_requests,
    run_case,
)
from tests.fixtures.server import RunningTally

FAMILIES = sorted({case.family for case in CASES})


@pytest.fixture(params=["sqlite"])
def database_url(tmp_path) -> str:
    """Hostile input is refused before any query, so one database is enough here."""
    return f"sqlite:///{tmp_path / 'tally.db'}"


@pytest.mark.parametrize("family", FAMILIES)
def test_each_hostile_request_gets_the_answer_a_careful_server_gives(
    tally: RunningTally, family: str
) -> None:
    outcomes = [run_case(tally, case) for case in CASES if case.family == family]

    failures = [outcome.describe() for outcome in outcomes if outcome.failed]
    assert failures == [], "\n".join(failures)
    with urllib.request.urlopen(f"{tally.url}/healthz", timeout=5) as response:
        assert response.status == 200


@settings(
    max_examples=GENERATED_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=generated_requests())
def test_generated_requests_never_get_a_5xx_nor_store_what_was_refused(
    tally: RunningTally, generated: Generated
) -> None:
    assert generated_failure(tally, generated) is None
    with urllib.request.urlopen(f"{tally.url}/healthz", timeout=5) as response:
        assert response.status == 200
