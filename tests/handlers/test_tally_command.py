"""`/tally`: a rep's week, the board, and managers with their teams."""

from tests.fixtures.server import ADMIN, MANAGER, OTHER_REP, REP, RunningTally


def _team_add(tally: RunningTally, text: str) -> str:
    ack = tally.command(MANAGER, "/tally", text)
    assert ack.status == 200
    return tally.read(tally.later_reply())


def test_tally_shows_total_breakdown_and_pace(tally: RunningTally) -> None:
    tally.command(REP, "/log", "12 calls")
    tally.command(REP, "/log", "demo self-led")

    seen = tally.read(tally.command(REP, "/tally").json())

    assert "37 / 500 pts" in seen
    assert "Demo – self-led × 1 — 25 pts" in seen
    assert "Outbound call × 12 — 12 pts" in seen
    assert "would get you there" in seen or "pace" in seen.lower()


def test_board_ranks_this_weeks_points(tally: RunningTally) -> None:
    tally.command(REP, "/log", "demo self-led")
    tally.command(OTHER_REP, "/log", "closed won Initech")
    tally.command(OTHER_REP, "/log", "call")

    seen = tally.read(tally.command(REP, "/tally", "board").json())

    assert seen.index("1. @ravi — 26 pts") < seen.index("2. @rita — 25 pts")


def test_manager_adds_reps_and_sees_the_team(tally: RunningTally) -> None:
    added = _team_add(tally, f"team add <@{REP}|rita> <@{OTHER_REP}> start 2026-10-05")
    assert "Added @rita, @ravi" in added

    tally.command(REP, "/log", "demo self-led")
    seen = tally.read(tally.command(MANAGER, "/tally", "team").json())

    assert "@rita — 25 pts" in seen.replace("*", "") and "@ravi — 0 pts" in seen.replace("*", "")
    assert "Team total: 25 pts" in seen.replace("*", "")


def test_plain_names_resolve_or_get_a_helpful_error(tally: RunningTally) -> None:
    assert "Added @rita" in _team_add(tally, "team add @rita")
    assert "couldn't find @nobody" in _team_add(tally, "team add @nobody")


def test_manager_sees_a_rep_and_others_are_refused(tally: RunningTally) -> None:
    _team_add(tally, f"team add <@{REP}|rita>")
    tally.command(REP, "/log", "meeting booked")

    managers_view = tally.read(tally.command(MANAGER, "/tally", f"<@{REP}|rita>").json())
    peers_view = tally.read(tally.command(OTHER_REP, "/tally", f"<@{REP}|rita>").json())
    admins_view = tally.read(tally.command(ADMIN, "/tally", f"<@{REP}>").json())

    assert "@rita's week" in managers_view and "10 / 500 pts" in managers_view
    assert "Only @rita's manager or a Tally admin" in peers_view and "10 / 500" not in peers_view
    assert "10 / 500 pts" in admins_view


def test_remove_takes_the_rep_off_the_team(tally: RunningTally) -> None:
    _team_add(tally, f"team add <@{REP}|rita> <@{OTHER_REP}|ravi>")

    assert "Removed @rita" in _team_add(tally, f"team remove <@{REP}|rita>")

    seen = tally.read(tally.command(MANAGER, "/tally", "team").json())
    assert "@ravi" in seen and "@rita" not in seen


def test_a_rep_on_another_team_is_not_taken_over(tally: RunningTally) -> None:
    _team_add(tally, f"team add <@{REP}|rita>")

    tally.command(OTHER_REP, "/tally", f"team add <@{REP}|rita>")

    assert "@mona's team" in tally.read(tally.later_reply())


def test_bad_start_date_is_refused(tally: RunningTally) -> None:
    assert "YYYY-MM-DD" in _team_add(tally, f"team add <@{REP}|rita> start next-monday")
    assert "@rita" not in tally.read(tally.command(MANAGER, "/tally", "team").json())


def test_unknown_subcommand_shows_help(tally: RunningTally) -> None:
    seen = tally.read(tally.command(REP, "/tally", "&lt;!here&gt;").json())

    assert "don't know" in seen and "/tally board" in seen


def test_board_for_other_periods_and_a_friendly_error(tally: RunningTally) -> None:
    tally.command(REP, "/log", "demo self-led")
    tally.command(OTHER_REP, "/log", "closed won Initech")
    tally.command(OTHER_REP, "/log", "undo")

    month = tally.read(tally.command(REP, "/tally", "board month").json())
    last_week = tally.read(tally.command(REP, "/tally", "board last week").json())
    junk = tally.read(tally.command(REP, "/tally", "board someday").json())

    assert "1. @rita — 25 pts" in month and "@ravi" not in month
    assert "Nothing logged for this period yet" in last_week
    assert "last week" in junk and "someday" in junk


def test_nudges_can_be_switched_off_and_on(tally: RunningTally) -> None:
    off = tally.read(tally.command(REP, "/tally", "nudges off").json())
    on = tally.read(tally.command(REP, "/tally", "nudges on").json())

    assert "off" in off and "/tally nudges on" in off
    assert "on" in on


def test_plan_commands_answer_after_the_ack(tally: RunningTally) -> None:
    ack = tally.command(REP, "/tally", "plan add Acme Corp quarterly")
    added = tally.read(tally.later_reply())

    assert ack.status == 200
    assert "Acme Corp" in added
    tally.command(REP, "/tally", "plan list")
    assert "Acme Corp" in tally.read(tally.later_reply())
