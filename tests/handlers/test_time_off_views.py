"""Days off and holidays in what a manager reads: the digest and the export hold each rep to
the goal of the days they work."""

from datetime import UTC, date, datetime, timedelta

from bot.fakeslack.readable import as_read
from handlers.digest import digest_draft
from handlers.export import gather
from handlers.leaderboard import board_for
from handlers.nudges import nudge_draft
from scoring.catalog import DEFAULT_CATALOG
from scoring.rules import ScoringRules
from storage.members import get_member
from storage.sheet_rows import members_for
from storage.time_off import mark_days_off
from tests.fixtures.seed import TEAM, Seeder

FRIDAY = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 15:00 in New York, 2026-W48
MONDAY = date(2026, 11, 23)
RULES = ScoringRules(catalog=DEFAULT_CATALOG, holidays=frozenset({date(2026, 11, 26)}))


def _team(session_factory) -> None:
    seed = Seeder(session_factory)
    for user_id in ("U0MONA", "U0RITA", "U0RAVI", "U0NINA"):
        seed.person(user_id, "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0RITA", "U0RAVI", "U0NINA"], None, FRIDAY)
    seed.log("U0RITA", "call", 310, FRIDAY - timedelta(hours=3))
    seed.log("U0RAVI", "call", 390, FRIDAY - timedelta(hours=3))
    with session_factory.begin() as session:
        mark_days_off(session, TEAM, "U0RITA", [MONDAY], FRIDAY)  # + Thanksgiving: 3 days left
        mark_days_off(session, TEAM, "U0NINA", [MONDAY + timedelta(n) for n in range(5)], FRIDAY)


def test_the_digest_pro_rates_each_reps_goal(session_factory) -> None:
    _team(session_factory)
    with session_factory() as session:
        manager = get_member(session, TEAM, "U0MONA")
        draft = digest_draft(session, RULES, manager, "2026-W48", FRIDAY)
    lines = {
        line.split(" — ", 1)[0].split("@")[-1]: line
        for line in as_read({"blocks": draft.blocks}, str.lower).replace("*", "").splitlines()
        if " — " in line
    }

    assert "310 / 300 pts" in lines["u0rita"] and "below goal" not in lines["u0rita"]
    assert "390 / 400 pts" in lines["u0ravi"] and "below goal" in lines["u0ravi"]
    assert "away all week" in lines["u0nina"] and "below goal" not in lines["u0nina"]


def test_the_export_holds_the_same_goals(session_factory) -> None:
    _team(session_factory)
    with session_factory() as session:
        members = members_for(session, TEAM, ["2026-W47", "2026-W48"], manager_id="U0MONA")
        rows = gather(session, RULES, TEAM, ["2026-W47", "2026-W48"], members)

    goals = {(row.rep.user_id, row.week): (row.goal, row.goal_met) for row in rows}
    assert goals[("U0RITA", "2026-W48")] == (300, True)
    assert goals[("U0RAVI", "2026-W48")] == (400, False)
    assert goals[("U0NINA", "2026-W48")] == (None, None)
    assert goals[("U0NINA", "2026-W47")] == (500, False)


def test_no_nudge_on_a_day_off_and_pace_of_the_days_worked(session_factory) -> None:
    wednesday_noon = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    seed = Seeder(session_factory)
    seed.person("U0MONA", "America/New_York", FRIDAY)
    seed.person("U0ALEX", "America/New_York", FRIDAY)
    seed.team("U0MONA", ["U0ALEX"], date(2026, 10, 12), FRIDAY)  # week 7: the goal applies
    with session_factory() as session:
        alex = get_member(session, TEAM, "U0ALEX")
    wednesday, monday_tuesday = [date(2026, 11, 25)], [MONDAY, MONDAY + timedelta(days=1)]

    at_work = nudge_draft(RULES, alex, 0, wednesday_noon)
    away = nudge_draft(RULES, alex, 0, wednesday_noon, days_off=wednesday)
    back_today = nudge_draft(RULES, alex, 0, wednesday_noon, days_off=monday_tuesday)
    holiday = nudge_draft(RULES, alex, 0, datetime(2026, 11, 26, 17, 0, tzinfo=UTC))

    assert at_work is not None and "0 / 400 pts" in at_work.text
    assert away is None and holiday is None
    assert back_today is None  # half a day into the only days worked: not behind yet


def test_the_board_counts_down_to_each_reps_own_goal(session_factory) -> None:
    _team(session_factory)
    with session_factory() as session:
        board = board_for(session, RULES, TEAM, "2026-W48", date(2026, 11, 27))

    assert "@U0RITA> — 310 pts :white_check_mark: goal met" in board
    assert "@U0RAVI> — 390 pts · 10 to goal" in board
