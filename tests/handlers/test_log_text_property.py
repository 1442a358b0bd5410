"""Any `/log` text, sent to the running server as Slack sends it, gets a 200 and a readable reply.

A few dozen examples against one server on SQLite: each is a real signed HTTP request, so this
is the slow companion of tests/scoring/test_parser_properties.py.
"""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from handlers.slack_text import to_plain
from tests.fixtures.server import REP, RunningTally

PIECES = st.sampled_from(
    [
        "12 calls", "demo", "demos", "closed won", "1e3", "tomorrow", "last friday", "11/30",
        "Nov 30", "€9,000", "$" + "9" * 40, "$0.001", "&lt;!channel&gt;", "<@U0RAVI|ravi>",
        "\x00", "\x1b", "\t", "\n", "🎉", "—", "?", "x" * 5000,
    ]
)  # fmt: skip
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=200),  # a form can't carry Cs
    st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=8).map(" ".join),
)
_NOT_LOGGED = {"", "help", "undo"}  # these open the form, show help or undo: other tests


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXT)
@example(text="5 ?")
@example(text="call \x00 note")
@example(text="closed won Acme $1,000,000,000,000")
def test_every_text_gets_a_200_and_a_readable_reply(tally: RunningTally, text: str) -> None:
    if to_plain(text).strip().lower() in _NOT_LOGGED:
        return
    reply = tally.command(REP, "/log", text)

    assert reply.status == 200, reply.body[:300]
    seen = tally.read(reply.json())
    assert seen.strip()
    assert "Something went wrong" not in seen
