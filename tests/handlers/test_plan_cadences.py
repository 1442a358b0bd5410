"""`/tally plan add` reads every cadence Tally itself prints, end to end over signed HTTP."""

from tests.fixtures.server import REP, RunningTally


def _plan(tally: RunningTally, text: str) -> str:
    assert tally.command(REP, "/tally", f"plan {text}").status == 200
    return tally.read(tally.later_reply())


def test_a_yearly_plan_keeps_its_name_and_its_cadence(tally: RunningTally) -> None:
    added = _plan(tally, "add Globex yearly")

    assert "Added Globex, reviewed yearly" in added.replace("*", "")
    listed = _plan(tally, "list")
    assert "Globex — due" in listed.replace("*", "") and "yearly" in listed
    assert "Globex yearly" not in listed.replace("*", "")


def test_two_cadences_are_refused_not_filed_under_the_name(tally: RunningTally) -> None:
    refused = _plan(tally, "add Globex monthly annually")

    assert "one review cadence" in refused
    assert "No account plans yet" in _plan(tally, "list")
