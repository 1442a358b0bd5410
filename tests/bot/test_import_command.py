"""`tally import` as an operator runs it: its own process, a real database, the export's files."""

import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, func, select

from bot.fakeslack import FakeSlack
from scoring.weeks import iso_week_label
from storage.activities import NewActivity, record_activity
from storage.models import Activity, Member
from tests.fixtures.seed import TEAM, log, person, seeding, team
from tests.fixtures.slack import BOT_TOKEN

MONA, RITA, NINA = "U0MONA", "U0RITA", "U0NINA"


def _tally(
    *args: str, database_url: str, slack: FakeSlack | None = None
) -> subprocess.CompletedProcess[bytes]:
    """No Slack settings unless `slack` is given: import and export read only the database."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TALLY_"))}
    clean.pop("LOG_LEVEL", None)
    if slack is not None:
        clean |= {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.url}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env={**clean, "DATABASE_URL": database_url},
        capture_output=True,
        timeout=120,
    )


def _export(database_url: str, *args: str) -> bytes:
    result = _tally("export", "--weeks", "3", *args, database_url=database_url)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _import(database_url: str, path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return _tally("import", str(path), *args, database_url=database_url)


def _forget_entries(database_url: str) -> None:
    with seeding(database_url) as session:
        session.execute(delete(Activity))


def _entries(database_url: str) -> int:
    with seeding(database_url) as session:
        return session.scalar(select(func.count(Activity.id))) or 0


@pytest.fixture
def seeded(database_url: str) -> str:
    """Mona manages Rita and Nina; Rita logged calls, a demo and a $12,500.50 deal."""
    now = datetime.now(UTC)
    with seeding(database_url) as session:
        for user_id in (MONA, RITA, NINA):
            person(session, user_id)
        team(session, MONA, [RITA, NINA])
        log(session, RITA, "call", 12, at=now)
        log(session, RITA, "demo_self_led", 1, at=now)
        log(session, RITA, "call", 3, at=now - timedelta(days=7))
        log(session, NINA, "meeting_booked", 2, at=now - timedelta(days=14))
        record_activity(
            session,
            NewActivity(
                team_id=TEAM,
                user_id=RITA,
                activity_key="closed_won",
                count=1,
                points=25,
                happened_at=now,
                local_day=now.date(),
                week=iso_week_label(now.date()),
                note="Acme",
                amount=Decimal("12500.50"),
                source="slash",
                logged_by=RITA,
                idempotency_key="seed-deal",
                currency="USD",
            ),
            now,
        )
    return database_url


def test_a_csv_export_imported_into_an_emptied_database_exports_the_same_bytes(
    seeded: str, tmp_path: Path
) -> None:
    sheet = tmp_path / "old.csv"
    sheet.write_bytes(_export(seeded))
    _forget_entries(seeded)

    result = _import(seeded, sheet)

    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == (
        "5 entries added, 0 updated, 0 unchanged for 2 reps over 3 weeks."
    )
    assert _export(seeded) == sheet.read_bytes()


def test_importing_the_same_file_again_changes_nothing(seeded: str, tmp_path: Path) -> None:
    sheet = tmp_path / "old.csv"
    sheet.write_bytes(_export(seeded))
    _forget_entries(seeded)
    assert _import(seeded, sheet).returncode == 0

    again = _import(seeded, sheet)

    assert again.returncode == 0, again.stderr
    assert b"0 entries added, 0 updated, 5 unchanged" in again.stdout
    assert _entries(seeded) == 5 and _export(seeded) == sheet.read_bytes()


def test_an_export_imported_where_it_came_from_adds_nothing(seeded: str, tmp_path: Path) -> None:
    """Entries logged in Slack already make up the sheet's counts: nothing is doubled."""
    sheet = tmp_path / "old.csv"
    sheet.write_bytes(_export(seeded))

    result = _import(seeded, sheet)

    assert result.returncode == 0, result.stderr
    assert b"0 entries added" in result.stdout
    assert _export(seeded) == sheet.read_bytes()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_changed_count_updates_the_imported_entry(seeded: str, tmp_path: Path) -> None:
    sheet = tmp_path / "old.csv"
    sheet.write_bytes(_export(seeded))
    _forget_entries(seeded)
    assert _import(seeded, sheet).returncode == 0
    rows = list(csv.reader(io.StringIO(sheet.read_text(encoding="utf-8"), newline="")))
    calls = rows[0].index("Outbound call")
    row = next(r for r in rows if r[1] == RITA and r[calls] == "12")
    row[calls] = "20"
    edited = tmp_path / "edited.csv"
    _write_csv(edited, rows)

    result = _import(seeded, edited)

    assert result.returncode == 0, result.stderr
    assert b"0 entries added, 1 updated, 4 unchanged" in result.stdout
    [exported] = [
        r
        for r in csv.DictReader(io.StringIO(_export(seeded).decode(), newline=""))
        if r["Slack user id"] == RITA and r["Week"] == row[3]
    ]
    assert (exported["Outbound call"], exported["Points"]) == ("20", "70")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_count_below_what_slack_holds_is_refused(seeded: str, tmp_path: Path) -> None:
    """Import adds to a week; it never takes away what a rep logged."""
    original = _export(seeded)
    rows = list(csv.reader(io.StringIO(original.decode("utf-8"), newline="")))
    calls = rows[0].index("Outbound call")
    number, row = next((n, r) for n, r in enumerate(rows, start=1) if r[calls] == "12")
    row[calls] = "5"
    lower = tmp_path / "lower.csv"
    _write_csv(lower, rows)

    result = _import(seeded, lower)

    assert result.returncode == 1
    assert f"lower.csv, row {number}, cell " in result.stderr.decode()
    assert b"5, but 12 are logged in Tally already" in result.stderr
    assert _export(seeded) == original


def test_an_xlsx_export_round_trips_cell_for_cell(seeded: str, tmp_path: Path) -> None:
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    _export(seeded, "--out", str(first))
    _forget_entries(seeded)

    result = _import(seeded, first)

    assert result.returncode == 0, result.stderr
    assert b"5 entries added" in result.stdout
    _export(seeded, "--out", str(second))
    before, after = load_workbook(first), load_workbook(second)
    assert before.sheetnames == after.sheetnames == [before.sheetnames[0], "Totals"]
    for old, new in zip(before.worksheets, after.worksheets, strict=True):
        assert list(old.values) == list(new.values)


def test_every_bad_cell_is_listed_and_nothing_is_written(seeded: str, tmp_path: Path) -> None:
    original = _export(seeded)
    rows = list(csv.reader(io.StringIO(original.decode("utf-8"), newline="")))
    header = rows[0]
    calls, meetings = header.index("Outbound call"), header.index("Meeting booked")
    amount = header.index("Closed-won amount (USD)")
    rows[1][calls] = "2.5"
    rows[2][meetings] = "-1"
    rows[3][calls] = "x"
    rows[4][1] = "not-a-user"
    rows[5][3] = "2999-W01"
    rows[6][amount] = "lots"
    rows[0].append("Cold emails")
    bad = tmp_path / "bad.csv"
    _write_csv(bad, rows)

    result = _import(seeded, bad)

    assert result.returncode == 1
    assert result.stdout == b""
    problems = result.stderr.decode()
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for cell in (
        f"row 1, cell {letter[len(header) - 1]}1: unknown column “Cold emails”",
        f"row 2, cell {letter[calls]}2: Outbound call: “2.5” isn't a whole number",
        f"row 3, cell {letter[meetings]}3: Meeting booked: “-1” is negative",
        f"row 4, cell {letter[calls]}4: Outbound call: “x” isn't a number",
        "row 5, cell B5: “not-a-user” isn't a Slack user id",
        "row 6, cell D6: 2999-W01 is still ahead",
        f"row 7, cell {letter[amount]}7: “lots” isn't an amount",
    ):
        assert f"bad.csv, {cell}" in problems, problems
    assert "Nothing imported: 7 problems in" in problems
    assert _export(seeded) == original


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_new_rep_without_a_workspace_to_join_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    """An empty database and no Slack token: nothing says which workspace U0RITA is in."""
    sheet = tmp_path / "old.csv"
    sheet.write_text("Rep,Slack user id,Week,Outbound call\r\nrita,U0RITA,2026-W01,3\r\n")

    result = _import(database_url, sheet)

    assert result.returncode == 2
    assert b"holds 0 workspaces, not one: set SLACK_BOT_TOKEN" in result.stderr
    assert _entries(database_url) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_rep_nobody_stored_by_that_name_is_named(seeded: str, tmp_path: Path) -> None:
    sheet = tmp_path / "2026-W01.csv"
    sheet.write_text("Rep,Outbound call\r\nrita,3\r\nRita Moreno,4\r\n")

    result = _import(seeded, sheet)

    assert result.returncode == 1
    assert "2026-W01.csv, row 3, cell A3: no one in Tally is called “Rita Moreno”" in (
        result.stderr.decode()
    )
    assert "row 2" not in result.stderr.decode()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_dry_run_counts_but_writes_nothing(seeded: str, tmp_path: Path) -> None:
    sheet = tmp_path / "old.csv"
    sheet.write_bytes(_export(seeded))
    _forget_entries(seeded)

    result = _import(seeded, sheet, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().strip() == (
        "Dry run: would add 5 entries, update 0, leave 0 unchanged for 2 reps over 3 weeks; "
        "nothing written."
    )
    assert _entries(seeded) == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reps_are_found_by_email_through_slack(
    seeded: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    """A known rep by their address; a new one joins with Slack's name and zone."""
    fake_slack.add_user(RITA, "rita", email="rita@example.com")
    fake_slack.add_user("U0OLGA", "olga", tz="Europe/Berlin", email="Olga@Example.com")
    sheet = tmp_path / "2026-W01.csv"
    sheet.write_text(
        "Email,Outbound call\r\nRITA@example.com,3\r\nolga@example.com,4\r\nno@example.com,1\r\n"
    )

    refused = _tally("import", str(sheet), database_url=seeded, slack=fake_slack)
    sheet.write_text("Email,Outbound call\r\nRITA@example.com,3\r\nolga@example.com,4\r\n")
    result = _tally("import", str(sheet), database_url=seeded, slack=fake_slack)

    assert refused.returncode == 1
    assert b"row 4, cell A4: no Slack user has the email no@example.com" in refused.stderr
    assert result.returncode == 0, result.stderr
    assert b"2 entries added" in result.stdout
    with seeding(seeded) as session:
        olga = session.scalars(select(Member).where(Member.user_id == "U0OLGA")).one()
        weeks = session.execute(
            select(Activity.user_id, Activity.count).where(Activity.week == "2026-W01")
        ).all()
    assert (olga.team_id, olga.display_name, olga.tz) == (TEAM, "olga", "Europe/Berlin")
    assert sorted(weeks) == [("U0OLGA", 4), (RITA, 3)]


def test_help_says_what_it_reads() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert shown.returncode == 0
    for word in ("FILE", "--dry-run", ".xlsx", ".csv", "DATABASE_URL", "users.lookupByEmail"):
        assert word in shown.stdout
    assert (
        "TALLY_CONFIG" in shown.stdout
        and "SLACK_BOT_TOKEN  bot token xoxb-… (required)" not in (shown.stdout)
    )


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode("utf-8"))
