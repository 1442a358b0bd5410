"""`tally export` as an operator runs it: its own process, a real database, names Tally stored."""

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from scoring.catalog import DEFAULT_CATALOG
from scoring.weeks import iso_week_label
from storage.members import save_profile
from tests.fixtures.seed import TEAM, log, person, seeding, team

MONA, MIKE = "U0MONA", "U0MIKE"
RITA, RAVI, NINA = "U0RITA", "U0RAVI", "U0NINA"


def _tally(*args: str, database_url: str) -> subprocess.CompletedProcess[bytes]:
    """No Slack settings at all: the export reads only the database."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    clean.pop("LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", *args],
        env={**clean, "DATABASE_URL": database_url},
        capture_output=True,
        timeout=120,
    )


def _rows(output: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(output.decode("utf-8"), newline="")))


def _today() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def seeded(database_url: str) -> str:
    """Mona manages Rita and Nina, Mike manages Ravi; Rita logged this week and last."""
    now = _today()
    with seeding(database_url) as session:
        for user_id in (MONA, MIKE, RITA, RAVI, NINA):
            person(session, user_id)
        team(session, MONA, [RITA, NINA])
        team(session, MIKE, [RAVI])
        log(session, RITA, "call", 12, at=now)
        log(session, RITA, "demo_self_led", 1, at=now)
        log(session, RITA, "call", 3, at=now - timedelta(days=7))
    return database_url


def test_csv_on_stdout_lists_every_rep_with_zeros_for_the_quiet_ones(seeded: str) -> None:
    result = _tally(database_url=seeded)

    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith(b"\r\n") and result.stderr == b""
    rows = _rows(result.stdout)
    header = next(csv.reader(io.StringIO(result.stdout.decode(), newline="")))
    labels = [activity.label for activity in DEFAULT_CATALOG]
    assert header[:5] == ["Rep", "Slack user id", "Manager", "Week", "Onboarding week"]
    assert header[5 : 5 + len(labels)] == labels
    assert header[5 + len(labels) :] == ["Points", "Goal", "Goal met", "Closed-won amount (USD)"]
    by_id = {row["Slack user id"]: row for row in rows}
    assert set(by_id) == {RITA, RAVI, NINA}
    assert (by_id[RITA]["Outbound call"], by_id[RITA]["Points"]) == ("12", "37")
    assert (by_id[RITA]["Manager"], by_id[RAVI]["Manager"]) == ("mona", "mike")
    assert by_id[NINA]["Points"] == "0" and by_id[NINA]["Goal met"] == "no"
    assert {row["Week"] for row in rows} == {iso_week_label(_today().date())}


def test_a_managers_team_over_several_weeks_to_an_xlsx_file(seeded: str, tmp_path: Path) -> None:
    out = tmp_path / "mona.xlsx"
    week = iso_week_label(_today().date())

    result = _tally(
        "--team", "@Mona", "--week", week, "--weeks", "3", "--out", str(out), database_url=seeded
    )

    assert result.returncode == 0, result.stderr
    assert b"6 rows" in result.stdout and str(out).encode() in result.stdout
    workbook = load_workbook(out)
    assert workbook.sheetnames[1] == "Totals"
    rows = list(workbook.worksheets[0].values)
    header, body = rows[0], rows[1:]
    ids = header.index("Slack user id")
    assert len(body) == 6 and {row[ids] for row in body} == {RITA, NINA}
    totals_header, *totals_body = workbook.worksheets[1].values
    totals = {row[1]: dict(zip(totals_header, row, strict=True)) for row in totals_body}
    assert totals[RITA]["Points"] == 40 and totals[RITA]["Outbound call"] == 15


def test_a_name_that_looks_like_a_formula_is_kept_as_text(database_url: str) -> None:
    with seeding(database_url) as session:
        for user_id, name in ((MONA, "@SUM(A1)"), (RITA, "=1+2")):
            save_profile(
                session,
                TEAM,
                user_id,
                display_name=name,
                tz="UTC",
                is_workspace_admin=False,
                now=_today(),
            )
        team(session, MONA, [RITA])

    result = _tally("--team", MONA, database_url=database_url)

    assert result.returncode == 0, result.stderr
    [row] = _rows(result.stdout)
    assert (row["Rep"], row["Manager"]) == ("'=1+2", "'@SUM(A1)")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--week", "next friday"], "--week: “next friday” isn't a week"),
        (["--week", "2026-W60"], "--week: “2026-W60” isn't a week: 2026 has weeks 1 to 53"),
        (["--week", "2999-W01"], "--week: 2999-W01 has not begun yet"),
        (["--weeks", "0"], "--weeks: Export 1 to 53 weeks at a time, not 0"),
        (["--team", "@nobody"], "--team @nobody: no manager"),
        (["--team", RITA], "no manager"),  # a rep manages no one
        (["--format", "xlsx"], "--format xlsx needs --out FILE"),
    ],
)
def test_bad_settings_get_one_friendly_line_and_exit_2(
    seeded: str, args: list[str], complaint: str
) -> None:
    result = _tally(*args, database_url=seeded)

    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tally: ") and complaint in lines[0]


def test_help_says_what_it_writes_and_which_settings_it_reads() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert shown.returncode == 0
    for word in (
        "--week",
        "--weeks",
        "--format",
        "--out",
        "--team",
        "DATABASE_URL",
        "TALLY_CONFIG",
    ):
        assert word in shown.stdout
    assert "SLACK_BOT_TOKEN" not in shown.stdout
