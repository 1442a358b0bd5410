"""`/tally export …`: the week's sheet as a file in the asker's DM with Tally — a manager's
team, everyone for an admin, a rep's own weeks — and the pieces `tally export` shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.people import confirmed_admin, member_with_profile
from handlers.render import quoted_literally, say
from handlers.sheet_files import csv_bytes, xlsx_bytes
from handlers.slack_text import to_plain
from scoring.catalog import CLOSED_WON
from scoring.rules import ScoringRules
from scoring.sheet import Rep, RepWeek, rep_weeks, totals_table, week_table
from scoring.weeks import iso_week_label, local_date, parse_iso_week
from storage.members import team_of
from storage.models import Member
from storage.sheet_rows import has_logged, members_for, sheet_data

MAX_WEEKS = 53  # a year of weeks in one file


class Format(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


class ExportError(ValueError):
    """An export nobody could mean; the message says what would work."""


@dataclass(frozen=True)
class Export:
    """What one export holds and what its file is called."""

    weeks: tuple[str, ...]
    rows: list[RepWeek]

    @property
    def title(self) -> str:
        first, last = self.weeks[0], self.weeks[-1]
        return first if first == last else f"{first} to {last}"

    def filename(self, fmt: Format) -> str:
        return f"tally-{self.title.replace(' ', '-')}.{fmt}"

    def file(self, rules: ScoringRules, fmt: Format) -> bytes:
        """CSV holds the week rows; the workbook adds a Totals sheet."""
        weeks = week_table(rules.catalog, self.title, self.rows)
        if fmt is Format.CSV:
            return csv_bytes(weeks)
        return xlsx_bytes([weeks, totals_table(rules.catalog, self.rows)])


def weeks_ending(last: str, count: int) -> tuple[str, ...]:
    """`count` ISO weeks up to and including `last`, oldest first."""
    if not 1 <= count <= MAX_WEEKS:
        raise ExportError(f"Export 1 to {MAX_WEEKS} weeks at a time, not {count}.")
    monday = parse_iso_week(last)
    return tuple(iso_week_label(monday - timedelta(weeks=n)) for n in reversed(range(count)))


def begun(week: str, today: date) -> str:
    """The week, refused while it lies ahead: its sheet would be all zeros."""
    if parse_iso_week(week) > today:
        raise ExportError(f"{week} has not begun yet.")
    return week


def period_weeks(period: str, today: date) -> tuple[str, ...]:
    """The words after `/tally export`, as `/tally board` reads them: '', 'last week',
    'YYYY-Www' or 'month' (every week of this month so far)."""
    wanted = " ".join(period.lower().split())
    if wanted in ("", "this week", "week"):
        return (iso_week_label(today),)
    if wanted == "last week":
        return (iso_week_label(today - timedelta(days=7)),)
    if wanted in ("month", "this month"):
        first = parse_iso_week(iso_week_label(today.replace(day=1)))
        return weeks_ending(iso_week_label(today), (today - first).days // 7 + 1)
    try:
        week = iso_week_label(parse_iso_week(period))
    except ValueError:
        raise ExportError(
            f"I can export `this week`, `last week`, `month` or a week like "
            f"`{iso_week_label(today)}`, as `xlsx` (the default) or `csv`; "
            f"“{period.strip()}” isn't one of those."
        ) from None
    return (begun(week, today),)


def read_request(text: str, today: date) -> tuple[tuple[str, ...], Format]:
    """The period and, as an optional last word, the file format."""
    words = text.split()
    fmt = Format.XLSX
    if words and words[-1].lower() in tuple(Format):
        fmt = Format(words.pop().lower())
    return period_weeks(" ".join(words), today), fmt


def gather(
    session: Session,
    rules: ScoringRules,
    team_id: str,
    weeks: Sequence[str],
    members: Sequence[Member],
) -> list[RepWeek]:
    """The sheet's rows for `members`, summed exactly as `/tally` and the digest sum them."""
    data = sheet_data(session, team_id, weeks, members, CLOSED_WON)
    reps = [
        Rep(
            user_id=m.user_id,
            name=_name(m),
            manager=_name(data.managers[m.manager_id])
            if m.manager_id in data.managers
            else m.manager_id or "",
            onboarding_start=m.onboarding_start,
        )
        for m in data.members
    ]
    return rep_weeks(rules, reps, weeks, data.rows, data.amounts, data.days_off)


def _name(member: Member) -> str:
    return member.display_name or member.user_id


def export_file(deps: Deps, client: WebClient, team_id: str, user_id: str, text: str) -> str:
    """Answer `/tally export …` after the ack: the file goes to the DM, this reply says so."""
    caller = member_with_profile(deps, client, team_id, user_id)
    try:
        weeks, fmt = read_request(to_plain(text), local_date(deps.clock(), caller.tz))
    except ExportError as error:
        return quoted_literally(str(error))
    with deps.reads() as session:
        reps = team_of(session, team_id, user_id)
        own = caller.manager_id is not None or has_logged(session, team_id, user_id)
    if confirmed_admin(deps, client, caller):
        whose, scope = "everyone", {}
    elif reps:
        whose, scope = "your team", {"manager_id": user_id}
    elif own:
        whose, scope = "your own weeks", {"user_id": user_id}
    else:
        return say("export_refused")
    with deps.reads() as session:
        members = members_for(session, team_id, weeks, **scope)
        rules = deps.rules_in(session, team_id)
        export = Export(weeks, gather(session, rules, team_id, weeks, members))
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    filename = export.filename(fmt)
    client.files_upload_v2(
        channel=channel,
        file=export.file(rules, fmt),
        filename=filename,
        title=filename,
        initial_comment=say("export_file", title=export.title, whose=whose, reps=len(members)),
    )
    return say("export_sent", filename=filename, whose=whose, rows=len(export.rows))
