"""`/tally export`: the sheet arrives in the asker's DM with the rows they may see, holding the
numbers `/tally` and the digest show, with nothing a spreadsheet would run as a formula."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.fakeslack.readable import as_read
from handlers.digest import digest_draft
from handlers.export import ExportError, Format, gather, read_request
from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules
from scoring.weeks import iso_week_label, local_date
from storage.members import get_member
from storage.sheet_rows import members_for
from tests.fixtures.seed import TEAM, Seeder
from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally, in_one_zone
from tests.fixtures.teams import join_team

OTTO = "U0OTTO"  # on no team, never logged anything
MINUS = "U0MINUS"
RULES = ScoringRules(catalog=DEFAULT_CATALOG)
FRIDAY = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)


def _export(tally: RunningTally, user_id: str, text: str) -> tuple[str, bytes | None]:
    """What the person reads after `/tally export …`, and the newest file in their DM."""
    before = len(tally.slack.files_in("D" + user_id))
    said = tally.read(tally.later(user_id, "/tally", f"export {text}".strip()))
    files = tally.slack.files_in("D" + user_id)
    return said, files[-1].content if len(files) > before else None


def _csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def _xlsx_rows(content: bytes, sheet: int = 0) -> list[dict[str, object]]:
    rows = list(load_workbook(io.BytesIO(content)).worksheets[sheet].values)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_a_reps_sheet_holds_the_numbers_their_tally_shows(tally: RunningTally) -> None:
    for text in ("12 calls", "demo self-led", "closed won Acme $12,500", "closed won Initech €9k"):
        tally.command(REP, "/log", text)
    week_view = tally.read(tally.command(REP, "/tally").json())

    said, content = _export(tally, REP, "csv")

    assert content is not None and "Sent" in said and ".csv" in said
    assert content.endswith(b"\r\n") and b"\n" not in content.replace(b"\r\n", b"")
    [row] = _csv(content)
    shown = dict(re.findall(r"• (.+?) × (\d+) — \d+ pts", week_view))
    assert len(shown) == 3
    for activity in DEFAULT_CATALOG:
        assert row[activity.label] == shown.get(activity.label, "0")
    assert row["Points"] == re.search(r"(\d+) / 500 pts", week_view)[1]
    assert row["Week"] in week_view and row["Slack user id"] == REP and row["Rep"] == "rita"
    assert row["Closed-won amount (USD)"] == "12500.00"
    assert row["Closed-won amount (EUR)"] == "9000.00"


def test_each_person_gets_the_rows_they_may_see_and_others_are_refused(
    tally: RunningTally,
) -> None:
    tally.slack.add_user(OTTO, "otto", tz="UTC")
    in_one_zone(tally)  # the admin's week is the reps' (London's Monday was their Sunday)
    join_team(tally, MANAGER, [REP])
    tally.command(REP, "/log", "meeting booked")
    tally.command(OTHER_REP, "/log", "call")

    seen = {}
    for user_id in (REP, OTHER_REP, MANAGER, ADMIN):
        said, content = _export(tally, user_id, "")
        assert content is not None, said
        seen[user_id] = {row["Slack user id"] for row in _xlsx_rows(content)}
    refusal, nothing = _export(tally, OTTO, "")

    assert seen[REP] == {REP} and seen[OTHER_REP] == {OTHER_REP}
    assert seen[MANAGER] == {REP}
    assert seen[ADMIN] == {REP, OTHER_REP}
    assert nothing is None and "Exports are for managers" in refusal
    assert "\n" not in refusal


def test_a_quiet_week_still_lists_the_team_with_zeros(tally: RunningTally) -> None:
    join_team(tally, MANAGER, [REP, OTHER_REP])
    last_week = iso_week_label(local_date(datetime.now(UTC), "America/New_York") - timedelta(7))

    said, content = _export(tally, MANAGER, "last week csv")
    junk, no_file = _export(tally, MANAGER, "someday")

    assert content is not None, said
    rows = _csv(content)
    assert {r["Slack user id"] for r in rows} == {REP, OTHER_REP}
    assert all(r["Week"] == last_week and r["Points"] == "0" for r in rows)
    assert all(r[a.label] == "0" for r in rows for a in DEFAULT_CATALOG)
    assert {r["Manager"] for r in rows} == {"mona"}
    assert no_file is None and "someday" in junk and "last week" in junk and "\n" not in junk


def test_names_that_look_like_formulas_stay_text_in_csv_and_xlsx(tally: RunningTally) -> None:
    names = {
        REP: '=HYPERLINK("http://evil.test","Click")',
        OTHER_REP: "@SUM(A1:A9)",
        MANAGER: "+1 boss",
        MINUS: "-1",
    }
    for user_id, name in names.items():
        tally.slack.add_user(user_id, name, tz="UTC")
    join_team(tally, MANAGER, [REP])
    for user_id in (OTHER_REP, MINUS):
        tally.command(user_id, "/log", "call")

    _, book = _export(tally, ADMIN, "")
    _, text = _export(tally, ADMIN, "csv")

    assert book is not None and text is not None
    workbook = load_workbook(io.BytesIO(book))
    this_week = iso_week_label(local_date(datetime.now(UTC), "Europe/London"))  # the admin's
    assert workbook.sheetnames == [this_week, "Totals"]
    for sheet in workbook.worksheets:
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    weeks = workbook.worksheets[0]
    headers = [cell.value for cell in weeks[1]]
    points = weeks.cell(row=2, column=headers.index("Points") + 1)
    money = weeks.cell(row=2, column=headers.index("Closed-won amount (USD)") + 1)
    assert (points.number_format, money.number_format) == ("#,##0", "#,##0.00")
    assert weeks.column_dimensions["A"].width >= len(names[REP])
    expected = {"'" + names[u] for u in (REP, OTHER_REP, MINUS)}
    assert {r["Rep"] for r in _xlsx_rows(book)} == expected
    assert {r["Rep"] for r in _csv(text)} == expected
    assert {r["Manager"] for r in _csv(text) if r["Slack user id"] == REP} == {"'+1 boss"}
    totals = _xlsx_rows(book, sheet=1)
    assert totals[-1]["Rep"] == "All reps" and totals[-1]["Points"] == 2


def _digest_numbers(session_factory) -> dict[str, tuple[int, dict[str, int]]]:
    """Each rep's points and counts as the manager's digest says them."""
    with session_factory() as session:
        manager = get_member(session, TEAM, "U0MONA")
        draft = digest_draft(session, RULES, manager, "2026-W48", FRIDAY)
    lines = as_read({"blocks": draft.blocks}, lambda user_id: user_id).replace("*", "").splitlines()
    numbers = {}
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        if rep := re.search(r"@(U0\w+) — (\d+) / 500 pts", line):
            items = [re.search(r"(\S.*?) × (\d+)", part) for part in after.split(" · ")]
            counts = {item[1]: int(item[2]) for item in items if item}
            numbers[rep[1]] = (int(rep[2]), counts)
    return numbers


def test_the_sheet_sums_each_rep_as_the_digest_does(session_factory) -> None:
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0RITA", "U0RAVI", "U0NINA"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0RITA", "U0RAVI", "U0NINA"], date(2026, 10, 12), FRIDAY)
    seed.log("U0RITA", "demo_self_led", 21, FRIDAY - timedelta(hours=3))
    seed.log("U0RITA", "call", 7, FRIDAY - timedelta(days=2))
    seed.log("U0RAVI", "call", 100, FRIDAY - timedelta(hours=2))
    seed.log("U0RAVI", "call", 150, FRIDAY - timedelta(days=7))  # last week: not this sheet

    with session_factory() as session:
        members = members_for(session, TEAM, ["2026-W48"], manager_id="U0MONA")
        rows = gather(session, RULES, TEAM, ["2026-W48"], members)
    digest = _digest_numbers(session_factory)

    assert set(digest) == {row.rep.user_id for row in rows} == {"U0RITA", "U0RAVI", "U0NINA"}
    for row in rows:
        points, counts = digest[row.rep.user_id]
        labels = {DEFAULT_CATALOG.get(k).label: n for k, n in row.counts.items()}
        assert (row.points, labels) == (points, counts)
        assert row.onboarding_week == 7 and row.goal == 500


def test_period_words_read_as_the_board_reads_them() -> None:
    friday = date(2026, 11, 27)  # 1 November 2026 is a Sunday, in 2026-W44

    assert read_request("", friday) == (("2026-W48",), Format.XLSX)
    assert read_request("last week CSV", friday) == (("2026-W47",), Format.CSV)
    assert read_request("2026-w45 xlsx", friday) == (("2026-W45",), Format.XLSX)
    assert read_request("month", friday)[0] == tuple(f"2026-W{n}" for n in range(44, 49))
    for typed, complaint in (("2026-W49", "has not begun"), ("fortnight", "“fortnight”")):
        with pytest.raises(ExportError, match=complaint):
            read_request(typed, friday)
