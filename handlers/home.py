"""App Home: the rep's dashboard (their week, the weeks before, their latest entries with Undo,
overdue plans with Mark reviewed, one-click logging) and, for a manager, the team's week.

Published when the tab opens and again after each log, undo or review by that person, always
after the ack: views.publish is a Web API call the request must not wait for.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.entry_words import NOTE_SHOWN, day_text, deal_text, describe
from handlers.ids import Action
from handlers.people import in_one_transaction, member_with_profile
from handlers.plans import plan_view
from handlers.recording import idempotency_key, record_entry, undo_button
from handlers.render import Mrkdwn, say, sections
from handlers.reports import WeekReport, team_reports, week_report
from handlers.slack_text import one_line
from scoring.catalog import ActivityType
from scoring.parser import ParsedLog
from scoring.rules import ScoringRules
from scoring.trend import sparkline
from scoring.weeks import iso_week_label, local_date, parse_iso_week
from storage.activities import rows_by_user_and_week
from storage.members import home_opened, team_of
from storage.models import Activity, Member
from storage.plans import plans_of
from storage.recent import last_logged_days, most_logged, recent_entries

log = logging.getLogger(__name__)

RECENT = 10  # latest entries shown, each with Undo
QUICK = 4  # one-click log buttons
TREND_WEEKS = 8
PLANS_SHOWN = 5
TEAM_SHOWN = 18  # with everything else, a Home stays well inside Slack's 100 blocks
USUAL = ("call", "email", "meeting_booked", "demo_self_led")  # quick buttons before any habit


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)
    app.action(re.compile(rf"^{Action.QUICK_LOG}:"))(quick_log)


def publish_home(
    event: dict[str, Any], context: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """Slack retries an event not answered in 3 s: answer first, publish after."""
    if event.get("tab", "home") == "home":
        team_id, user_id = context["team_id"], event["user"]
        deps.defer(lambda: _opened(deps, client, team_id, user_id))


def _opened(deps: Deps, client: WebClient, team_id: str, user_id: str) -> None:
    with deps.sessions.begin() as session:
        home_opened(session, team_id, user_id, deps.clock())
    refresh_home(deps, client, team_id, user_id)


def home_changed(deps: Deps, client: WebClient, member: Member | None) -> None:
    """Something of theirs changed: a Home they have opened shows it, after the reply."""
    if member is not None and member.home_opened_at is not None:
        team_id, user_id = member.team_id, member.user_id
        deps.defer(lambda: refresh_home(deps, client, team_id, user_id))


def refresh_home(
    deps: Deps, client: WebClient, team_id: str, user_id: str, notice: str | None = None
) -> None:
    member = member_with_profile(deps, client, team_id, user_id)
    with deps.reads() as session:
        home = _read_home(deps, session, member)
    try:
        client.views_publish(user_id=user_id, view=home_view(home, notice))
    except SlackApiError as error:  # the next open publishes it again
        log.warning("views.publish for %s failed: %s", user_id, error.response.get("error"))


def quick_log(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    deps: Deps,
) -> None:
    """One click, one of that activity, today; the Home shows the new total and an Undo."""
    ack()
    team_id, user_id = context.team_id, context.user_id
    key = idempotency_key("home", user_id, str(body.get("trigger_id") or action.get("action_ts")))

    def log_one(
        session: Session, member: Member, rules: ScoringRules
    ) -> tuple[str, list[tuple[str, str]]]:
        activity = rules.catalog.get(str(action.get("value") or ""))
        if activity is None or activity.retired:
            return say("home_quick_gone"), []
        parsed = ParsedLog(activity=activity, count=1, note="", amount=None, day=None)
        logged = record_entry(
            deps, session, member, rules, parsed, source="home", key=key, logged_by=user_id
        )
        done = say("home_quick_logged", what=logged.what, points=logged.entry.points)
        return done, logged.to_send

    _, (notice, sends) = in_one_transaction(deps, client, team_id, user_id, log_one)
    if sends:
        deps.send_now(sends)
    deps.defer(lambda: refresh_home(deps, client, team_id, user_id, notice))


# --- what the Home shows -----------------------------------------------------------------


@dataclass(frozen=True)
class TeamLine:
    report: WeekReport
    last_day: date | None


@dataclass(frozen=True)
class Home:
    rules: ScoringRules
    report: WeekReport
    trend: list[tuple[str, int]]  # (week, points), oldest first, this week last
    entries: list[Activity]
    plans: list[tuple[int, str, str]]  # (plan id, account, due day), most overdue first
    quick: list[ActivityType]
    team: list[TeamLine] | None  # None: not a manager
    chart_url: str | None = None  # the weeks as an image, where the server can draw it


def _read_home(deps: Deps, session: Session, member: Member) -> Home:
    now = deps.clock()
    rules = deps.rules_in(session, member.team_id)
    report = week_report(session, rules, member, now)
    monday = parse_iso_week(report.week)
    weeks = [iso_week_label(monday - timedelta(weeks=n)) for n in range(TREND_WEEKS - 1, -1, -1)]
    grouped = rows_by_user_and_week(session, member.team_id, weeks, [member.user_id])
    points = {week: sum(p for _, _, p in rows) for (_, week), rows in grouped.items()}
    today = local_date(now, member.tz)
    views = [
        (plan.id, plan_view(plan, today))
        for plan in plans_of(session, member.team_id, member.user_id)
    ]
    overdue = sorted((v.due_day, plan_id, v) for plan_id, v in views if v.overdue)
    reps = team_of(session, member.team_id, member.user_id)
    team = None
    if reps:
        reports = team_reports(session, rules, reps, now, report.week)
        days = last_logged_days(session, member.team_id, [r.user_id for r in reports])
        team = [TeamLine(r, days.get(r.user_id)) for r in sorted(reports, key=_behind_first)]
    return Home(
        rules=rules,
        report=report,
        trend=[(week, points.get(week, 0)) for week in weeks],
        entries=recent_entries(session, member.team_id, member.user_id, RECENT),
        plans=[(plan_id, v.account, v.due) for _, plan_id, v in overdue],
        quick=_quick(rules, most_logged(session, member.team_id, member.user_id, weeks, QUICK)),
        team=team,
        chart_url=(
            deps.home_charts.url(
                member.team_id, member.user_id, report.week, [points.get(w, 0) for w in weeks]
            )
            if deps.home_charts
            else None
        ),
    )


def _behind_first(report: WeekReport) -> tuple[bool, float, str]:
    """Furthest behind their goal first; reps the goal doesn't cover this week last."""
    share = report.tally.total / report.pace.goal if report.pace.goal else 1.0
    return (not report.goal_applies, share, report.user_id)


def _quick(rules: ScoringRules, habits: list[str]) -> list[ActivityType]:
    """Their most logged activities, topped up with the SOP's everyday ones."""
    chosen: list[ActivityType] = []
    for key in (*habits, *USUAL, *(a.key for a in rules.catalog)):
        activity = rules.catalog.get(key)
        if activity is not None and not activity.retired and activity not in chosen:
            chosen.append(activity)
        if len(chosen) == QUICK:
            break
    return chosen


def home_view(home: Home, notice: str | None = None) -> dict[str, Any]:
    report, rules = home.report, home.rules
    blocks: list[Block] = []
    if notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=notice)))
    blocks += sections(say("week", report=report, whose=None, window=rules.goal_window))
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Log activity", action_id=Action.OPEN_LOG_MODAL, style="primary"
                ),
                *(
                    ButtonElement(
                        text=f"+1 {a.label}"[:75],
                        action_id=f"{Action.QUICK_LOG}:{a.key}"[:255],
                        value=a.key,
                    )
                    for a in home.quick
                ),
            ]
        )
    )
    blocks += _trend(home)
    blocks += _entries(home)
    blocks += _plans(home)
    if home.team is not None:
        blocks += _team(home.team)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=say("home_footer"))]))
    return View(type="home", blocks=blocks).to_dict()


def _trend(home: Home) -> list[Block]:
    points = [p for _, p in home.trend]
    text = say(
        "home_trend",
        spark=sparkline(points),
        weeks=home.trend,
        average=sum(points[:-1]) // max(1, len(points) - 1),
    )
    blocks: list[Block] = [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=text))]
    if home.chart_url:
        shown = ", ".join(f"{week} {points}" for week, points in home.trend)
        alt = f"Bar chart of your points per week: {shown}."
        blocks.append(ImageBlock(image_url=home.chart_url, alt_text=alt))
    return blocks


def _entries(home: Home) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text="Your latest entries")]
    if not home.entries:
        text = "_Nothing logged yet. Press a button above or type `/log 10 calls`._"
        return [*blocks, SectionBlock(text=MarkdownTextObject(text=text))]
    for entry in home.entries:
        line = say(
            "home_entry",
            what=describe(home.rules.catalog, entry),
            points=entry.points,
            day=day_text(entry),
            note=one_line(entry.note, NOTE_SHOWN),
            amount=deal_text(entry),
            pending=entry.status == "pending",
        )
        edit = ButtonElement(text="Edit", action_id=Action.EDIT_ENTRY, value=str(entry.id))
        blocks += [
            SectionBlock(text=MarkdownTextObject(text=line)),
            ActionsBlock(elements=[edit, undo_button(entry.id)]),
        ]
    return blocks


def _plans(home: Home) -> list[Block]:
    if not home.plans:
        return []
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text="Account plans to review")]
    for plan_id, account, due in home.plans[:PLANS_SHOWN]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=say("home_plan", account=account, due=due)),
                accessory=ButtonElement(
                    text="Mark reviewed", action_id=Action.PLAN_REVIEWED, value=str(plan_id)
                ),
            )
        )
    if len(home.plans) > PLANS_SHOWN:
        more = say(
            "home_more", count=len(home.plans) - PLANS_SHOWN, command=Mrkdwn("`/tally plan list`")
        )
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks


def _team(team: list[TeamLine]) -> list[Block]:
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text="Your team this week")]
    for line in team[:TEAM_SHOWN]:
        text = say("home_rep", r=line.report, last_day=line.last_day)
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=text),
                accessory=ButtonElement(
                    text="View", action_id=Action.VIEW_REP, value=line.report.user_id
                ),
            )
        )
    if len(team) > TEAM_SHOWN:
        more = say("home_more", count=len(team) - TEAM_SHOWN, command=Mrkdwn("`/tally team`"))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    return blocks
