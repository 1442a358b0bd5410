"""What a manager reads in the Friday digest."""

from datetime import UTC, date, datetime, timedelta

from bot.fakeslack.block_kit import block_kit_problem
from bot.fakeslack.readable import as_read
from handlers.digest import digest_draft
from scoring.catalog import DEFAULT_CATALOG
from scoring.plans import parse_cadence
from scoring.rules import ScoringRules
from storage.members import get_member
from storage.plans import add_plan
from tests.fixtures.seed import TEAM, Seeder

RULES = ScoringRules(catalog=DEFAULT_CATALOG)
FRIDAY = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 15:00 in New York
LAST_WEEK = FRIDAY - timedelta(days=7)


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
    assert "Team total: 625 pts" in seen
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
    assert "Initech" not in seen


def test_a_manager_without_reps_is_told_how_to_add_them(session_factory) -> None:
    seed = Seeder(session_factory)
    seed.person("U0MONA", "UTC", FRIDAY)

    assert "/tally team add @rep" in _digest(session_factory)
