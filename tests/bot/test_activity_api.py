"""The activity API as a CRM would use it: an admin makes a key in Slack, the CRM logs over real
HTTP to `tally serve`, the rep gets the receipt in their DM, and boards and reports count it."""

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.api_http import ACTIVITIES, OPENAPI, WEEKS
from handlers.ids import Action
from scoring.weeks import week_at
from storage.db import make_session_factory
from storage.models import ApiKey
from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally, in_one_zone
from tests.fixtures.teams import button_value, dms_to

RITA_EMAIL = "rita@example.com"


def call(
    tally: RunningTally,
    method: str,
    path: str,
    body: Any = None,
    *,
    key: str | None = None,
    raw: bytes | None = None,
    content_type: str = "application/json",
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """One request to the API as any HTTP client sends it: status, headers, JSON body."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": content_type} if data is not None else {}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(tally.url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def new_key(tally: RunningTally, words: str = '"Salesforce"') -> tuple[str, str]:
    """An admin makes a key in Slack: (the secret shown once, the reply as read)."""
    reply = tally.read(tally.later(ADMIN, "/tally", f"admin api-key new {words}"))
    secret = re.search(r"tally_[A-Za-z0-9_-]{20,}", reply)
    assert secret is not None, reply
    return secret.group(0), reply


def receipts(tally: RunningTally, user_id: str, count: int = 1) -> list[dict[str, Any]]:
    tally.slack.wait_until(lambda: len(dms_to(tally, user_id)) >= count, timeout=10)
    return dms_to(tally, user_id)


@pytest.fixture
def crm(tally: RunningTally) -> tuple[RunningTally, str]:
    in_one_zone(tally)
    tally.slack.add_user(REP, "rita", tz="America/New_York", email=RITA_EMAIL)
    return tally, new_key(tally)[0]


def test_a_key_is_shown_once_and_kept_only_as_a_hash(tally: RunningTally) -> None:
    secret, reply = new_key(tally)
    listed = tally.read(tally.later(ADMIN, "/tally", "admin api-key list"))
    refused = tally.read(tally.later(REP, "/tally", 'admin api-key new "Mine"'))

    with make_session_factory(tally.engine)() as session:
        [key] = session.scalars(select(ApiKey)).all()
    assert "Copy it now" in reply and secret in reply
    assert key.name == "Salesforce" and key.created_by == ADMIN and key.receipts
    assert secret not in (key.secret_hash, key.prefix) and secret.startswith(key.prefix)
    assert "Salesforce" in listed and key.prefix in listed and secret not in listed
    assert "tally_" not in refused and "admin" in refused.lower()


def test_a_crm_logs_a_call_by_email_and_the_rep_gets_the_receipt(
    crm: tuple[RunningTally, str],
) -> None:
    tally, key = crm
    status, _, entry = call(
        tally,
        "POST",
        ACTIVITIES,
        {"user": RITA_EMAIL, "activity": "demo self-led", "note": "Acme <!channel>"},
        key=key,
    )

    [receipt] = receipts(tally, REP)
    shown = tally.read(receipt)
    board = tally.read(tally.command(MANAGER, "/tally", "board").json())
    assert status == 201
    assert (entry["user"], entry["activity"], entry["points"]) == (REP, "demo_self_led", 25)
    assert entry["status"] == "counted" and entry["source"] == "api"
    assert entry["note"] == "Acme <!channel>"  # stored as sent, escaped only where it is shown
    assert "Logged *1 self-led demo* — *+25 pts* · Acme <!channel>\n" in shown
    assert "\n_Logged for you by Salesforce._\n" in shown
    assert "<!channel>" not in receipt["text"]  # the note is escaped, so no one is pinged
    assert button_value(receipt, Action.UNDO) == str(entry["id"])
    assert "@rita" in board and "25" in board
    assert [e.source for e in tally.entries(REP)] == ["api"]


def test_the_undo_button_on_the_dm_receipt_takes_it_back(crm: tuple[RunningTally, str]) -> None:
    tally, key = crm
    body = {"user": REP, "activity": "calls", "count": 12}
    status, _, entry = call(tally, "POST", ACTIVITIES, body, key=key)
    [receipt] = receipts(tally, REP)

    pressed = tally.signed.block_action(REP, Action.UNDO, str(entry["id"]), message=receipt)
    undone = tally.later_reply()
    listed = call(tally, "GET", ACTIVITIES, key=key)[2]

    assert status == 201 and entry["points"] == 12
    assert pressed.status == 200 and "Undone:" in tally.read(undone)
    assert tally.entries(REP) == [] and listed["activities"] == []


def test_the_same_external_id_is_stored_once_and_other_content_is_a_conflict(
    crm: tuple[RunningTally, str],
) -> None:
    tally, key = crm
    sent = {"user": REP, "activity": "call", "count": 12, "external_id": "00T5e00000Abc"}

    first = call(tally, "POST", ACTIVITIES, sent, key=key)
    again = call(tally, "POST", ACTIVITIES, sent, key=key)
    other = call(tally, "POST", ACTIVITIES, sent | {"count": 13}, key=key)

    assert (first[0], again[0], other[0]) == (201, 200, 409)
    assert again[2] == first[2] and first[2]["external_id"] == "00T5e00000Abc"
    assert other[2]["error"]["code"] == "conflict" and other[2]["error"]["field"] == "external_id"
    assert [(e.count, e.points) for e in tally.entries(REP)] == [(12, 12)]
    assert len(receipts(tally, REP)) == 1


def test_bad_keys_are_refused_with_json(crm: tuple[RunningTally, str]) -> None:
    tally, key = crm
    body = {"user": REP, "activity": "call"}
    prefix = key[: len("tally_") + 6]

    missing = call(tally, "POST", ACTIVITIES, body)
    unknown = call(tally, "POST", ACTIVITIES, body, key="tally_" + "x" * 43)
    revoked_reply = tally.read(tally.later(ADMIN, "/tally", f"admin api-key revoke {prefix}"))
    revoked = call(tally, "POST", ACTIVITIES, body, key=key)
    reading = call(tally, "GET", ACTIVITIES, key=key)

    assert missing[0] == 401 and missing[2]["error"]["code"] == "unauthorized"
    assert missing[1]["WWW-Authenticate"].startswith("Bearer")
    assert unknown[0] == 401
    assert "Revoked Salesforce" in revoked_reply.replace("*", "")
    assert revoked[0] == 403 and revoked[2]["error"]["code"] == "key_revoked"
    assert reading[0] == 403
    assert tally.entries() == []


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


BAD_BODIES = [
    ({"user": REP, "activity": "juggling"}, "activity"),
    ({"user": REP, "activity": "call", "count": 0}, "count"),
    ({"user": REP, "activity": "call", "count": 501}, "count"),
    ({"user": REP, "activity": "call", "count": "3"}, "count"),
    ({"user": REP, "activity": "call", "count": True}, "count"),
    ({"user": REP, "activity": "call", "happened_at": _days_ago(9)}, "happened_at"),
    ({"user": REP, "activity": "call", "happened_at": _days_ago(-1)}, "happened_at"),
    ({"user": REP, "activity": "call", "happened_at": "2026-12-01T10:00:00"}, "happened_at"),
    ({"user": REP, "activity": "call", "happened_at": "last tuesday"}, "happened_at"),
    ({"user": "U0NOBODY", "activity": "call"}, "user"),
    ({"user": "nobody@example.com", "activity": "call"}, "user"),
    ({"user": "rita", "activity": "call"}, "user"),
    ({"activity": "call"}, "user"),
    ({"user": REP, "activity": "call", "points": 500}, None),
    ({"user": REP, "activity": "closed won", "amount": 12500.555}, "amount"),
    ({"user": REP, "activity": "closed won", "amount": -5}, "amount"),
    ({"user": REP, "activity": "closed won", "amount": 5, "currency": "XYZ"}, "currency"),
    ({"user": REP, "activity": "call", "currency": "EUR"}, "currency"),
    ({"user": REP, "activity": "call", "note": "a\x00b"}, "note"),
    ({"user": REP, "activity": "call", "note": "n" * 3001}, "note"),
    ({"user": REP, "activity": "call", "external_id": ""}, "external_id"),
    ([{"user": REP, "activity": "call"}], None),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_input_is_a_422_that_names_the_field_and_changes_nothing(
    crm: tuple[RunningTally, str], body: Any, field: str | None
) -> None:
    tally, key = crm
    status, headers, answer = call(tally, "POST", ACTIVITIES, body, key=key)

    assert status == 422, answer
    assert headers["Content-Type"] == "application/json"
    assert answer["error"]["code"] in ("invalid", "unknown_user", "unknown_activity", "invalid_day")
    assert answer["error"].get("field") == field
    assert answer["error"]["message"]
    assert tally.entries() == []


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        (b'{"user": "U0RITA", "activity": "call"', "application/json", 400, "invalid_json"),
        (b'{"user": "U0RITA", "activity": "call", "count": NaN}', "application/json", 400, None),
        (b"\xff\xfe", "application/json", 400, "invalid_json"),
        (b"[" * 100_000, "application/json", 413, "too_large"),
        (b"[" * 60_000, "application/json", 400, "invalid_json"),
        (b"user=U0RITA&activity=call", "application/x-www-form-urlencoded", 415, None),
    ],
)
def test_a_body_that_is_not_json_gets_a_json_error(
    crm: tuple[RunningTally, str], raw: bytes, content_type: str, status: int, code: str | None
) -> None:
    tally, key = crm
    answer = call(tally, "POST", ACTIVITIES, key=key, raw=raw, content_type=content_type)

    assert answer[0] == status
    assert code is None or answer[2]["error"]["code"] == code
    assert tally.entries() == []


def test_unknown_paths_and_methods_get_json_404_and_405(crm: tuple[RunningTally, str]) -> None:
    tally, key = crm
    nowhere = call(tally, "GET", "/api/v1/people", key=key)
    put = call(tally, "PUT", ACTIVITIES, {"user": REP}, key=key)
    bad_week = call(tally, "GET", WEEKS + "2026-W60", key=key)

    assert nowhere[0] == 404 and nowhere[2]["error"]["code"] == "not_found"
    assert put[0] == 405 and put[1]["Allow"] == "GET, POST"
    assert bad_week[0] == 404 and "2026 has weeks 1 to 53" in bad_week[2]["error"]["message"]


def test_a_backdated_entry_counts_on_its_own_day(crm: tuple[RunningTally, str]) -> None:
    tally, key = crm
    now = datetime.now(UTC)
    day = (now - timedelta(days=2)).astimezone().date()
    status, _, entry = call(
        tally,
        "POST",
        ACTIVITIES,
        {"user": REP, "activity": "meeting booked", "happened_at": day.isoformat()},
        key=key,
    )

    assert status == 201 and entry["day"] == day.isoformat()
    assert entry["week"] == f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"


def test_reports_list_the_week_a_page_at_a_time_and_rank_its_reps(
    crm: tuple[RunningTally, str],
) -> None:
    tally, key = crm
    week = week_at(datetime.now(UTC), "America/New_York")
    for user, activity in [(REP, "demo self-led"), (OTHER_REP, "call"), (REP, "call")]:
        assert (
            call(tally, "POST", ACTIVITIES, {"user": user, "activity": activity}, key=key)[0] == 201
        )

    first = call(tally, "GET", f"{ACTIVITIES}?week={week}&limit=2", key=key)[2]
    rest = call(
        tally, "GET", f"{ACTIVITIES}?week={week}&limit=2&after={first['next_after']}", key=key
    )[2]
    ritas = call(tally, "GET", f"{ACTIVITIES}?week={week}&user={RITA_EMAIL}", key=key)[2]
    totals = call(tally, "GET", WEEKS + week, key=key)[2]

    paged = [(a["user"], a["activity"]) for a in first["activities"] + rest["activities"]]
    assert paged == [(REP, "demo_self_led"), (OTHER_REP, "call"), (REP, "call")]
    assert first["next_after"] == first["activities"][-1]["id"] and rest["next_after"] is None
    assert {a["user"] for a in ritas["activities"]} == {REP} and len(ritas["activities"]) == 2
    assert [(r["user"], r["rank"], r["points"]) for r in totals["reps"]] == [
        (REP, 1, 26),
        (OTHER_REP, 2, 1),
    ]
    assert totals["week"] == week and totals["reps"][0]["name"] == "rita"


def test_a_key_over_its_pace_gets_429_with_retry_after(shared_tally: Any) -> None:
    tally = shared_tally(TALLY_API_RATE="1/2")
    key = new_key(tally)[0]

    statuses = [call(tally, "GET", ACTIVITIES, key=key) for _ in range(4)]

    assert [s[0] for s in statuses[:2]] == [200, 200]
    limited = [s for s in statuses if s[0] == 429]
    assert limited and int(limited[0][1]["Retry-After"]) >= 1
    assert limited[0][2]["error"]["code"] == "rate_limited"


def test_the_openapi_document_is_served_without_a_key(tally: RunningTally) -> None:
    status, _, document = call(tally, "GET", OPENAPI)

    assert status == 200 and document["openapi"].startswith("3.0")
    assert set(document["paths"]) == {ACTIVITIES, WEEKS + "{week}", OPENAPI}


def test_the_api_keeps_to_its_openapi_document(shared_tally: Any, tmp_path: Path) -> None:
    """schemathesis against the running server: whatever it sends — in the document or not,
    with the key or without — gets no 5xx, and every answer matches the document."""
    tally = shared_tally(TALLY_API_RATE="10000/10000")
    key = new_key(tally)[0]

    run = subprocess.run(
        [
            *(sys.executable, "-m", "schemathesis.cli", "run", tally.url + OPENAPI),
            *("--header", f"Authorization: Bearer {key}"),
            *("--checks", "all", "--exclude-checks", "positive_data_acceptance"),
            *("--max-examples", "40", "--seed", "20261206", "--workers", "1"),
            *("--generation-database", "none", "--no-color"),
            *("--report-dir", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=tmp_path,  # its cache of past crashes stays with this run
    )

    assert run.returncode == 0, run.stdout[-8000:] + run.stderr[-2000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated is not None and int(generated[1]) > 300, run.stdout[-3000:]
    assert generated[1] == generated[2]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("after=46360979382", "after"),  # past PostgreSQL's INTEGER ids: it was a 503
        ("after=-1", "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=", "limit"),
        ("week=2026-W60", "week"),
        ("week=2026w49", "week"),
        ("user=", "user"),
        ("user=U0NOBODY", "user"),
        ("page=2", None),
    ],
)
def test_a_bad_report_parameter_is_a_422_that_names_it(
    crm: tuple[RunningTally, str], query: str, field: str | None
) -> None:
    tally, key = crm
    status, _, answer = call(tally, "GET", f"{ACTIVITIES}?{query}", key=key)

    assert status == 422, answer
    assert answer["error"].get("field") == field


def test_a_key_made_without_receipts_logs_without_a_dm(crm: tuple[RunningTally, str]) -> None:
    tally, _ = crm
    quiet, reply = new_key(tally, '"Dialer" no-receipts')
    status, _, entry = call(tally, "POST", ACTIVITIES, {"user": REP, "activity": "call"}, key=quiet)
    loud = call(tally, "POST", ACTIVITIES, {"user": REP, "activity": "email"}, key=crm[1])

    [only] = receipts(tally, REP)
    assert "no receipts" in reply
    assert status == 201 and entry["points"] == 1 and loud[0] == 201
    first_line = tally.read(only).splitlines()[0]
    assert "email" in first_line and "call" not in first_line
    assert len(tally.entries(REP)) == 2
