"""`/tally away`: a rep marks days off (or takes them back) and sees the ones coming up, so the
week's goal counts only the days they work."""

from __future__ import annotations

from datetime import date, timedelta

from handlers.deps import Deps
from handlers.digest_changes import digest_changed
from handlers.render import Mrkdwn, quoted_literally, say
from handlers.slack_text import to_plain
from scoring.time_off import TimeOffError, day_ranges, parse_away, span_label
from scoring.weeks import iso_week_label, local_date, week_start
from storage.models import Member
from storage.time_off import (
    days_off_between,
    mark_days_off,
    unmark_days_off,
    upcoming_days_off,
)

# The listing shows this many upcoming days off, so it stays one short message.
MAX_LISTED = 60


def answer_away(deps: Deps, member: Member, rest: str) -> Mrkdwn:
    """Mark, unmark or list; bad dates are refused before anything is stored."""
    now = deps.clock()
    today = local_date(now, member.tz)
    try:
        away = parse_away(to_plain(rest), today)
    except TimeOffError as error:
        return quoted_literally(str(error))
    team_id, user_id = member.team_id, member.user_id
    if away is None:
        with deps.reads() as session:
            days = upcoming_days_off(session, team_id, user_id, today, MAX_LISTED)
        holidays = sorted(day for day in deps.rules.holidays if day >= today)[:MAX_LISTED]
        return say(
            "away_list",
            days_off=_spans(days),
            holidays=[span_label(day, day) for day in holidays],
            more=len(days) == MAX_LISTED,
        )
    monday = week_start(today)
    friday = monday + timedelta(days=4)
    with deps.sessions.begin() as session:
        if away.back:
            changed = unmark_days_off(session, team_id, user_id, away.days)
        else:
            changed = mark_days_off(session, team_id, user_id, away.days, now)
        this_week = days_off_between(session, team_id, monday, friday, [user_id])
        rules = deps.rules_in(session, team_id)
        for week in sorted({iso_week_label(day) for day in changed}):
            digest_changed(session, member, week, now)  # its goal changed
    goal = rules.week_goal(monday, this_week.get(user_id, set()))
    return say(
        "away_done",
        back=away.back,
        asked=span_label(away.first, away.last),
        changed=_spans(changed),
        goal=goal,
        full_goal=rules.weekly_goal,
    )


def _spans(days: list[date]) -> list[str]:
    return [span_label(first, last) for first, last in day_ranges(days)]
