"""What a manager reads in the Friday digest."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.fakeslack.block_kit import block_kit_problem
from bot.fakeslack.readable import as_read
from handlers.digest import digest_draft, digests_for_week
from scoring.catalog import DEFAULT_CATALOG
from scoring.plans import parse_cadence
from scoring.rules import ScoringRules
from storage.members import get_member
from storage.plans import add_plan
from tests.fixtures.seed import TEAM, Seeder, log, person, team

RULES = ScoringRules(catalog=DEFAULT_CATALOG)
FRIDAY = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 15:00 in New York
LAST_WEEK = FRIDAY - timedelta(days=7)
NEW_YORK = "America/New_York"


def _digest(session_factory, manager_id: str = "U0MONA") -> str:
    with session_factory() as session:
        manager = get_member(session, TEAM, manager_id)
        draft = digest_draft(session, RULES, manager, "2026-W48", FRIDAY)
    assert block_kit_problem({"text": draft.text, "blocks": draft.blocks}) is None
    return as_read({"blocks": draft.blocks}, lambda user_id: user_id.lower()).replace("*", "")


def test_digest_shows_each_rep_against_the_goal_with_the_team_summary(session_factory) -> None:
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0RITA", "U0RAVI"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0RITA", "U0RAVI"], date(2026, 10, 12), FRIDAY)
    seed.log("U0RITA", "demo_self_led", 21, FRIDAY - timedelta(hours=3))
    seed.log("U0RAVI", "call", 100, FRIDAY - timedelta(hours=2))
    seed.log("U0RAVI", "call", 150, LAST_WEEK)

    seen = _digest(session_factory)

    assert "2026-W48" in seen
    assert "@u0rita — 525 / 500 pts" in seen
    assert "Demo – self-led × 21 (525)" in seen
    ravi = next(line for line in seen.splitlines() if "@u0ravi —" in line)
    assert "100 / 500 pts" in ravi
    assert "-50 vs last week" in ravi and "below goal" in ravi and "onboarding wk 7" in ravi
    assert "Team total: 625 / 1000 pts · 1 of 2 met their goal" in seen
    assert "Top performer: @u0rita" in seen


def test_digest_lists_the_teams_overdue_account_plans(session_factory) -> None:
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0RITA"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0RITA"], None, FRIDAY)
    with session_factory.begin() as session:
        add_plan(
            session,
            TEAM,
            "U0RITA",
            "Globex & <Sons>",
            parse_cadence("monthly"),
            date(2026, 9, 1),
            "U0RITA",
            FRIDAY,
        )
        add_plan(
            session,
            TEAM,
            "U0RITA",
            "Initech",
            parse_cadence("quarterly"),
            date(2026, 11, 1),
            "U0RITA",
            FRIDAY,
        )

    seen = _digest(session_factory)

    assert "Overdue account plans" in seen
    assert "Globex & <Sons> (@u0rita)" in seen  # escaped in mrkdwn, readable in Slack
    assert "— was due Thu 1 Oct 2026" in seen  # as `/tally plan list` and the reminder write it
    assert "2026-10-01" not in seen
    assert "Initech" not in seen


def test_a_manager_without_reps_is_told_how_to_add_them(session_factory) -> None:
    seed = Seeder(session_factory)
    seed.person("U0MONA", "UTC", FRIDAY)

    assert "/tally team add @rep" in _digest(session_factory)


def test_everyone_tied_for_the_top_is_named(session_factory) -> None:
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0RITA", "U0RAVI", "U0SAM"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0RITA", "U0RAVI", "U0SAM"], None, FRIDAY)
    seed.log("U0RITA", "demo_self_led", 4, FRIDAY - timedelta(hours=3))
    seed.log("U0RAVI", "call", 100, FRIDAY - timedelta(hours=2))
    seed.log("U0SAM", "call", 40, FRIDAY - timedelta(hours=2))

    seen = _digest(session_factory)

    assert "Top performers: @u0ravi and @u0rita (100 pts)" in seen
    assert "@u0sam (" not in seen


def test_three_tied_for_the_top_read_as_a_list(session_factory) -> None:
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0RITA", "U0RAVI", "U0SAM"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0RITA", "U0RAVI", "U0SAM"], None, FRIDAY)
    for user_id in ("U0RITA", "U0RAVI", "U0SAM"):
        seed.log(user_id, "meeting_booked", 2, FRIDAY - timedelta(hours=3))

    assert "Top performers: @u0ravi, @u0rita and @u0sam (20 pts)" in _digest(session_factory)


def test_below_goal_only_in_weeks_the_goal_applies_to(session_factory) -> None:
    seed = Seeder(session_factory)
    reps = {
        "U0NEW": date(2026, 11, 23),  # week 1
        "U0SOON": date(2027, 1, 4),  # starts next year
        "U0DONE": date(2026, 8, 10),  # week 16: onboarding is over
        "U0MID": date(2026, 10, 12),  # week 7
    }
    seed.person("U0MONA", "America/New_York", FRIDAY)
    for user_id, start in reps.items():
        seed.person(user_id, "America/New_York", FRIDAY)
        seed.team("U0MONA", [user_id], start, FRIDAY)
        seed.log(user_id, "call", 10, FRIDAY - timedelta(hours=3))
    seed.person("U0ANY", "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0ANY"], None, FRIDAY)  # no start date: the goal applies every week
    seed.log("U0ANY", "demo_self_led", 20, FRIDAY - timedelta(hours=3))
    seed.person("U0LOW", "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0LOW"], None, FRIDAY)

    lines = {
        line.split("@", 1)[1].split(" ", 1)[0]: line
        for line in _digest(session_factory).splitlines()
        if " — " in line and "@" in line and "pts" in line
    }

    assert "below goal" in lines["u0mid"] and "below goal" in lines["u0low"]
    for user_id in ("u0new", "u0soon", "u0done"):
        assert "below goal" not in lines[user_id], lines[user_id]
        assert ":small_red_triangle_down:" not in lines[user_id], lines[user_id]
    assert "starts Mon 4 Jan 2027" in lines["u0soon"]
    assert ":white_check_mark:" in lines["u0any"]


def test_digest_ends_in_a_decision_trends_funnels_deals_and_whom_to_coach(
    session_factory,
) -> None:
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0RITA", "U0RAVI"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0RITA", "U0RAVI"], None, FRIDAY)
    for weeks_ago in (1, 2, 3, 4):
        seed.log("U0RAVI", "meeting_booked", 10, FRIDAY - timedelta(weeks=weeks_ago))
        seed.log("U0RAVI", "call", 40, FRIDAY - timedelta(weeks=weeks_ago))
    seed.log("U0RAVI", "call", 40, FRIDAY - timedelta(days=3))  # Tuesday: no meetings
    seed.log("U0RITA", "call", 30, FRIDAY - timedelta(hours=5))
    seed.log("U0RITA", "email", 20, FRIDAY - timedelta(hours=5))
    seed.log("U0RITA", "meeting_booked", 2, FRIDAY - timedelta(hours=4))
    seed.log("U0RITA", "demo_self_led", 1, FRIDAY - timedelta(hours=3))
    with session_factory.begin() as session:
        for amount in ("12500", "7500"):
            log(session, "U0RITA", "closed_won", at=FRIDAY, tz=NEW_YORK, amount=Decimal(amount))

    seen = _digest(session_factory)
    ravi = seen[seen.index("@u0ravi —") :]

    assert "4 weeks `███▃`" in ravi and "last activity Tue 24 Nov" in ravi
    rita = seen[seen.index("@u0rita —") : seen.index("@u0ravi —")]
    assert (
        "calls & emails 50 → DM talks 0 → meetings 2 → discovery & demos 1 → closed-won 2" in rita
    )
    assert "$20,000" in rita
    assert "Closed-won: $20,000 in 2 deals · average deal $10,000" in seen
    coach = seen[seen.index("Who to coach") :]
    assert "@u0ravi — 40 pts vs usually 140; Meeting booked dropped most" in coach
    assert "@u0rita" not in coach  # nothing before this week: no average to fall short of
    assert seen.count("[View]") == 2


def test_a_rep_exactly_at_their_average_is_not_told_to_be_coached(session_factory) -> None:
    """36 points over three weeks is 12 a week: a rep with 12 this week fell short of nothing.
    Averaged per activity in floats (1/3 + 25/3 + 10/3), it came to 12.000000000000002 and the
    digest named them: "12 pts vs usually 12"."""
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0SAM", "U0RAVI"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0SAM", "U0RAVI"], None, FRIDAY)
    for weeks_ago, activity, count in ((1, "call", 1), (2, "email", 25), (3, "meeting_booked", 1)):
        seed.log("U0SAM", activity, count, FRIDAY - timedelta(weeks=weeks_ago))
        seed.log("U0RAVI", "call", 20, FRIDAY - timedelta(weeks=weeks_ago))
    seed.log("U0SAM", "call", 12, FRIDAY - timedelta(hours=5))
    seed.log("U0RAVI", "call", 19, FRIDAY - timedelta(hours=5))

    coach = _digest(session_factory).split("Who to coach", 1)[1]

    assert "@u0ravi — 19 pts vs usually 20; Outbound call dropped most" in coach
    assert "@u0sam" not in coach


def test_a_big_teams_digest_stays_within_slacks_blocks(session_factory) -> None:
    seed = Seeder(session_factory)
    seed.person("U0MONA", "UTC", FRIDAY)
    reps = [f"U0R{n:02d}" for n in range(60)]
    for rep_id in reps:
        seed.person(rep_id, "UTC", FRIDAY)
        seed.log(rep_id, "call", 5, FRIDAY - timedelta(hours=2))
    seed.team("U0MONA", reps, None, FRIDAY)

    with session_factory() as session:
        manager = get_member(session, TEAM, "U0MONA")
        draft = digest_draft(session, RULES, manager, "2026-W48", FRIDAY)

    assert len(draft.blocks) <= 50
    assert block_kit_problem({"text": draft.text, "blocks": draft.blocks}) is None
    seen = as_read({"blocks": draft.blocks}, lambda user_id: user_id.lower())
    assert all(f"@{rep_id.lower()}" in seen for rep_id in reps)
    assert "Team total:" in seen


def test_with_no_week_each_manager_gets_the_week_they_are_in(session_factory) -> None:
    """`tally digest` run on a Sunday evening in New York (Monday in UTC) drafted next week's,
    empty digest for New York's managers: the week was UTC's."""
    sunday_evening = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Sun 29 Nov, 21:00 in New York
    seed = Seeder(session_factory)
    for user_id, tz in (("U0MONA", NEW_YORK), ("U0RITA", NEW_YORK), ("U0LARS", "UTC")):
        seed.person(user_id, tz, sunday_evening)
    seed.person("U0LENA", "UTC", sunday_evening)
    seed.team("U0MONA", ["U0RITA"], None, sunday_evening)
    seed.team("U0LARS", ["U0LENA"], None, sunday_evening)
    seed.log("U0RITA", "demo_self_led", 1, sunday_evening - timedelta(hours=1), tz=NEW_YORK)

    with session_factory() as session:
        drafts = {d.recipient: d for d in digests_for_week(session, RULES, None, sunday_evening)}

    assert (drafts["U0MONA"].period, drafts["U0LARS"].period) == ("2026-W48", "2026-W49")
    assert "@u0rita — 25 / 500 pts" in as_read(
        {"blocks": drafts["U0MONA"].blocks}, lambda user_id: user_id.lower()
    ).replace("*", "")


def test_every_manager_of_a_big_workspace_gets_their_own_teams_digest(session_factory) -> None:
    """Managers are drafted a chunk at a time (on PostgreSQL two read ahead by two sessions
    while the one before is drawn): 230 managers span three chunks, and each digest is the one
    drafted for its manager alone."""
    managers = [f"U0M{n:03d}" for n in range(230)]
    with session_factory.begin() as session:
        for n, manager in enumerate(managers):
            rep = f"U0R{n:03d}"
            person(session, manager, NEW_YORK, FRIDAY)
            person(session, rep, NEW_YORK, FRIDAY)
            team(session, manager, [rep], None, FRIDAY)
            log(session, rep, "call", n + 1, at=FRIDAY - timedelta(hours=2), tz=NEW_YORK)

    with session_factory() as session:
        drafts = list(digests_for_week(session, RULES, "2026-W48", FRIDAY))

    assert sorted(d.recipient for d in drafts) == managers
    for draft in drafts:
        n = int(draft.recipient.removeprefix("U0M"))
        seen = as_read({"blocks": draft.blocks}, lambda user_id: user_id.lower()).replace("*", "")
        assert f"@u0r{n:03d} — {n + 1} / 500 pts" in seen, (draft.recipient, seen)
    by_manager = {d.recipient: d for d in drafts}
    for n in (0, 99, 100, 199, 200, 229):  # each side of each chunk's edge
        assert by_manager[managers[n]].blocks == _digest_blocks(session_factory, managers[n])


def _digest_blocks(session_factory, manager_id: str) -> list:
    with session_factory() as session:
        manager = get_member(session, TEAM, manager_id)
        return digest_draft(session, RULES, manager, "2026-W48", FRIDAY).blocks
