"""`/tally chart …`: a rep's last 13 weeks, or a manager's team this week, as a PNG in the
asker's DM with Tally. Another rep's chart is behind the check `/tally @rep` makes."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.export import gather
from handlers.people import member_with_profile, mentioned_people, parse_mentions, rep_for
from handlers.render import say
from handlers.slack_text import to_plain
from scoring.chart_data import CHART_WEEKS, RepBar, WeekBar, chart_weeks, rep_series, team_bars
from scoring.weeks import local_date, week_at
from storage.members import team_of
from storage.models import Member

ALT_TEXT_LIMIT = 1000  # Slack refuses longer alt text (alt_txt_too_large)


def answer_chart(deps: Deps, client: WebClient, team_id: str, user_id: str, text: str) -> str:
    """Answer `/tally chart [@rep|team]` after the ack: the image goes to the DM, this reply
    says so."""
    caller = member_with_profile(deps, client, team_id, user_id)
    mentions = parse_mentions(text)
    words = to_plain(mentions.rest).lower().split()
    if not mentions.user_ids and not mentions.unresolved:
        if not words:
            return rep_chart(deps, client, caller, caller)
        if words == ["team"]:
            return team_chart(deps, client, caller)
    if words:
        return say("chart_help", several=False, asked=to_plain(text).strip(), weeks=CHART_WEEKS)
    rep_ids, problem = mentioned_people(client, mentions)
    if problem:
        return problem
    if len(rep_ids) > 1:
        return say("chart_help", several=True, asked="", weeks=CHART_WEEKS)
    return someones_chart(deps, client, caller, rep_ids[0])


def someones_chart(deps: Deps, client: WebClient, caller: Member, rep_id: str) -> str:
    """A named person's chart for their manager or an admin; anyone else gets the refusal
    `/tally @rep` gives, which says nothing about the rep beyond the mention."""
    if rep_id == caller.user_id:
        return rep_chart(deps, client, caller, caller)
    rep = rep_for(deps, client, caller, rep_id)
    return rep if isinstance(rep, str) else rep_chart(deps, client, caller, rep)


def rep_chart(deps: Deps, client: WebClient, caller: Member, rep: Member) -> str:
    """The rep's last weeks up to their current one, on their own clock as `/tally` counts."""
    weeks = chart_weeks(local_date(deps.clock(), rep.tz))
    with deps.reads() as session:
        rules = deps.rules_in(session, rep.team_id)
        series = rep_series(gather(session, rules, rep.team_id, weeks, [rep]), rep.user_id)
    name = rep.display_name or rep.user_id
    first, last = weeks[0], weeks[-1]
    png = _draw_rep(f"{name}: points per week, {first} to {last}", series)
    rep_id = None if rep.user_id == caller.user_id else rep.user_id
    _send(
        client,
        caller.user_id,
        png,
        filename=f"tally-weeks-{first}-to-{last}.png",
        title=f"{name}: {first} to {last}",
        alt_text=rep_alt_text(name, series),
        comment=say("chart_file", team=False, rep_id=rep_id, first=first, last=last),
    )
    return say("chart_sent", team=False, rep_id=rep_id, weeks=len(weeks))


def team_chart(deps: Deps, client: WebClient, manager: Member) -> str:
    """The manager's reps in the manager's week, the one `/tally team` is headed with."""
    week = week_at(deps.clock(), manager.tz)
    with deps.reads() as session:
        reps = team_of(session, manager.team_id, manager.user_id)
        if not reps:
            return say("chart_no_team", weeks=CHART_WEEKS)
        rules = deps.rules_in(session, manager.team_id)
        bars = team_bars(gather(session, rules, manager.team_id, [week], reps), week)
    png = _draw_team(f"Your team's week {week} so far", bars)
    _send(
        client,
        manager.user_id,
        png,
        filename=f"tally-team-{week}.png",
        title=f"Team week {week}",
        alt_text=team_alt_text(week, bars),
        comment=say("chart_file", team=True, week=week, reps=len(bars)),
    )
    return say("chart_sent", team=True, rep_id=None, weeks=1)


def rep_alt_text(name: str, weeks: Sequence[WeekBar]) -> str:
    """What the rep's chart shows, for a screen reader."""
    points = "; ".join(f"{w.week}{_onboarding(w)}: {_against(w.points, w.goal)}" for w in weeks)
    return _fit(f"Bar chart of {name}'s points per week. {points}.")


def team_alt_text(week: str, bars: Sequence[RepBar]) -> str:
    """What the team's chart shows, for a screen reader."""
    points = "; ".join(f"{b.name}: {_against(b.points, b.goal)}" for b in bars)
    return _fit(f"Bar chart of the team's points in {week}. {points}.")


def _onboarding(week: WeekBar) -> str:
    return "" if week.onboarding_week is None else f" (onboarding week {week.onboarding_week})"


def _against(points: int, goal: int | None) -> str:
    return f"{points} (no goal)" if goal is None else f"{points} of {goal}"


def _fit(text: str) -> str:
    return text if len(text) <= ALT_TEXT_LIMIT else text[: ALT_TEXT_LIMIT - 1] + "…"


def _draw_rep(title: str, weeks: Sequence[WeekBar]) -> bytes:
    # matplotlib takes ~0.3 s and ~25 MB to import: only a worker that draws pays for it.
    from handlers.chart_images import rep_chart_png

    return rep_chart_png(title, weeks)


def _draw_team(title: str, bars: Sequence[RepBar]) -> bytes:
    from handlers.chart_images import team_chart_png

    return team_chart_png(title, bars)


def _send(
    client: WebClient,
    user_id: str,
    png: bytes,
    *,
    filename: str,
    title: str,
    alt_text: str,
    comment: str,
) -> None:
    """The image into the user's DM with Tally, as `/tally export` sends its sheet."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        file=png,
        filename=filename,
        title=title,
        alt_txt=alt_text,
        initial_comment=comment,
    )
