"""The chart on a rep's App Home: their last 8 weeks, drawn when Slack fetches it.

A Home image block needs a public `image_url` (a file only the bot can read would not show), so
`tally serve` draws it at an address only the Home holds: team, rep and week, signed with the
app's signing secret. Nothing is stored; a changed week changes `v=`, so Slack's image cache
never shows an old total. Off unless TALLY_PUBLIC_URL says where Slack can reach the server.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.export import gather
from scoring.chart_data import WeekBar, chart_weeks, rep_series
from scoring.rules import ScoringRules
from scoring.weeks import parse_iso_week
from storage.members import get_member
from storage.team_settings import rules_for

HOME_WEEKS = 8


def home_chart_png(
    session: Session, defaults: ScoringRules, team_id: str, user_id: str, week: str
) -> bytes | None:
    """The rep's 8 weeks up to `week`; None for someone Tally doesn't know or a week that
    isn't one."""
    try:
        monday = parse_iso_week(week)
    except ValueError:
        return None
    member = get_member(session, team_id, user_id)
    if member is None:
        return None
    rules = rules_for(session, defaults, team_id)
    weeks = chart_weeks(monday, HOME_WEEKS)
    series: list[WeekBar] = rep_series(gather(session, rules, team_id, weeks, [member]), user_id)
    from handlers.chart_images import rep_chart_png  # matplotlib: only a process that draws

    return rep_chart_png(f"Your last {HOME_WEEKS} weeks", series)
