"""`/tally chart`: a real PNG arrives in the asker's DM with Tally, drawn from the numbers
`/tally` counts, and nobody sees a chart of a rep who isn't theirs to see."""

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from bot.fakeslack.web_api import SharedFile
from handlers.chart_images import rep_chart_png, team_chart_png
from handlers.charts import ALT_TEXT_LIMIT, team_alt_text
from scoring.chart_data import RepBar, WeekBar, chart_weeks
from scoring.weeks import iso_week_label, local_date, week_start
from tests.fixtures.seed import log, seeding
from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally
from tests.fixtures.teams import join_team

NEW_YORK = "America/New_York"  # rita's and mona's zone
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MET, BELOW, NO_GOAL = (0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00), (0xBB, 0xBB, 0xBB)


def _chart(tally: RunningTally, user_id: str, text: str = "") -> tuple[str, SharedFile | None]:
    """What the person reads after `/tally chart …`, and the file it put in their DM."""
    before = len(tally.slack.files_in("D" + user_id))
    said = tally.read(tally.later(user_id, "/tally", f"chart {text}".strip()))
    files = tally.slack.files_in("D" + user_id)
    return said, files[-1] if len(files) > before else None


def _image(shared: SharedFile) -> Image.Image:
    assert shared.content.startswith(PNG_MAGIC) and shared.name.endswith(".png")
    image = Image.open(io.BytesIO(shared.content))
    image.load()
    assert image.format == "PNG"
    return image


def _colours(image: Image.Image) -> set[tuple[int, int, int]]:
    return {colour for _, colour in image.convert("RGB").getcolors(1 << 24)}


def _alt_text(tally: RunningTally) -> str:
    """What a screen reader says for the newest uploaded image."""
    return tally.slack.calls_to("files.getUploadURLExternal")[-1].args["alt_txt"]


def _noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(NEW_YORK)).astimezone(UTC)


def test_a_reps_own_chart_is_a_png_of_their_last_13_weeks(
    tally: RunningTally, database_url: str
) -> None:
    today = local_date(datetime.now(UTC), NEW_YORK)
    monday = week_start(today)
    with seeding(database_url) as session:
        log(session, REP, "call", 7, at=_noon(monday - timedelta(days=12)), tz=NEW_YORK)
        log(session, REP, "demo_self_led", at=_noon(monday - timedelta(days=6)), tz=NEW_YORK)
        log(session, REP, "call", 3, at=_noon(monday - timedelta(weeks=13)), tz=NEW_YORK)
    tally.command(REP, "/log", "12 calls")

    said, shared = _chart(tally, REP)

    assert shared is not None, said
    assert "Sent your last 13 weeks" in said and "DM with Tally" in said
    image = _image(shared)
    assert image.size == (1600, 900)  # 8 × 4.5 inches at twice the usual 100 dpi
    assert round(image.info["dpi"][0]) == 200
    weeks = chart_weeks(today)
    points = {weeks[-3]: 7, weeks[-2]: 25, weeks[-1]: 12}  # 13 weeks ago is off the chart
    expected = "; ".join(f"{week}: {points.get(week, 0)} of 500" for week in weeks)
    assert _alt_text(tally) == f"Bar chart of rita's points per week. {expected}."
    assert shared.title == f"rita: {weeks[0]} to {weeks[-1]}"
    assert shared.initial_comment.startswith("Your points per week")
    colours = _colours(image)
    assert BELOW in colours and MET not in colours  # every week is below 500
    assert [f.channel for f in tally.slack.files] == ["D" + REP]


def test_a_manager_and_an_admin_see_a_reps_chart_and_no_one_else_does(
    tally: RunningTally,
) -> None:
    today = local_date(datetime.now(UTC), NEW_YORK)
    start = week_start(today) - timedelta(weeks=3)  # this week is onboarding week 4
    join_team(tally, MANAGER, [REP], extra=f"start {start.isoformat()}")

    said, shared = _chart(tally, MANAGER, "<@U0RITA|rita>")
    admins, for_admin = _chart(tally, ADMIN, "<@U0RITA>")

    assert shared is not None and for_admin is not None, (said, admins)
    assert "Sent @rita's last 13 weeks" in said
    assert [f.channel for f in tally.slack.files] == ["D" + MANAGER, "D" + ADMIN]
    alt = _alt_text(tally)
    weeks = chart_weeks(today)
    assert f"{weeks[-5]}: 0 (no goal)" in alt  # before the start
    assert f"{weeks[-4]} (onboarding week 1): 0 (no goal)" in alt
    assert f"{weeks[-3]} (onboarding week 2): 0 (no goal)" in alt
    assert alt.endswith(f"{weeks[-1]} (onboarding week 4): 0 of 500.")
    colours = _colours(_image(shared))
    assert NO_GOAL in colours and BELOW in colours and MET not in colours

    files, uploads = len(tally.slack.files), len(tally.slack.calls_to("files.getUploadURLExternal"))
    weeks_refusal = tally.read(tally.later(OTHER_REP, "/tally", "<@U0RITA|rita>"))
    refusal, nothing = _chart(tally, OTHER_REP, "<@U0RITA|rita>")

    assert nothing is None
    assert refusal == weeks_refusal and "manager or a Tally admin" in refusal
    assert len(tally.slack.files) == files
    assert len(tally.slack.calls_to("files.getUploadURLExternal")) == uploads


def test_a_managers_team_chart_names_each_rep_and_marks_who_is_below_goal(
    tally: RunningTally, database_url: str
) -> None:
    # Math mode, to matplotlib; in Mona's zone, so his entries are in her week at any hour.
    tally.slack.add_user(OTHER_REP, "ravi $^^$", tz=NEW_YORK)
    join_team(tally, MANAGER, [REP, OTHER_REP])
    now = datetime.now(UTC)
    with seeding(database_url) as session:
        log(session, REP, "demo_self_led", 20, at=now, tz=NEW_YORK)
        log(session, OTHER_REP, "call", 12, at=now, tz=NEW_YORK)
    week = iso_week_label(local_date(now, NEW_YORK))

    said, shared = _chart(tally, MANAGER, "team")

    assert shared is not None, said
    assert "Sent your team's week" in said
    image = _image(shared)
    assert image.width == 1600 and image.height >= 600
    assert _alt_text(tally) == (
        f"Bar chart of the team's points in {week}. rita: 500 of 500; ravi $^^$: 12 of 500."
    )
    assert {MET, BELOW} <= _colours(image)
    assert shared.initial_comment.startswith(f"Your team's week {week} so far: 2 reps")

    with seeding(database_url) as session:
        log(session, OTHER_REP, "demo_self_led", 20, at=now, tz=NEW_YORK)
    _, everyone_met = _chart(tally, MANAGER, "team")

    assert everyone_met is not None
    colours = _colours(_image(everyone_met))
    assert MET in colours and BELOW not in colours


def test_a_team_chart_needs_a_team_and_other_words_get_the_usage(tally: RunningTally) -> None:
    no_team, nothing = _chart(tally, REP, "team")
    junk, no_file = _chart(tally, REP, "someday")
    two, none_either = _chart(tally, MANAGER, "<@U0RITA> <@U0RAVI>")

    assert nothing is None and no_file is None and none_either is None
    assert "you have none yet" in no_team and "/tally team add @rep" in no_team
    assert "“someday” isn't one of those" in junk and "/tally chart team" in junk
    assert "One chart is one person's weeks" in two
    assert tally.slack.files == []


def test_charts_drawn_at_once_on_many_threads_come_out_as_drawn_alone() -> None:
    weeks = [WeekBar(f"2026-W{n:02d}", 40 * n, 500 if n > 2 else None, n) for n in range(1, 14)]
    bars = [RepBar(f"rep {n}", 60 * n, 500) for n in range(12)]
    alone = {"rep": rep_chart_png("Rep", weeks), "team": team_chart_png("Team", bars)}

    def draw(n: int) -> tuple[str, bytes]:
        if n % 2:
            return "rep", rep_chart_png("Rep", weeks)
        return "team", team_chart_png("Team", bars)

    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(draw, range(12)))

    assert alone["rep"] != alone["team"]
    assert all(png == alone[kind] for kind, png in together)


def test_a_big_teams_alt_text_stays_within_what_slack_accepts() -> None:
    bars = [RepBar(f"A rep with a long display name {n}", n, 500) for n in range(60)]

    alt = team_alt_text("2026-W48", bars)

    assert len(alt) == ALT_TEXT_LIMIT and alt.endswith("…")
    assert alt.startswith("Bar chart of the team's points in 2026-W48. A rep with")
