"""`/tally <text>` without Slack: every text gets one reply, and mentions parse safely."""

import re

from hypothesis import given
from hypothesis import strategies as st

from handlers.people import parse_mentions
from handlers.tally_text import COMMANDS, Ask, closest_commands, route_tally

# Pieces people (and Slack's encoding) put in a /tally text, mixed with anything at all.
_PIECES = st.sampled_from(
    [
        "team", "add", "remove", "board", "plan", "nudges", "on", "off", "help", "start",
        "@", "@rita", "<@", "<@>", "<@U0RAVI", "<@U0RAVI>", "<@U0RAVI|ravi>", "<@u0ravi>",
        "<@W0LARA>", "<!channel>", "<!here>", "&lt;", "&amp;", "2026-13-01", "for", " ", "\n",
    ]
)  # fmt: skip
_TEXTS = st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=8).map(" ".join)
_USER_ID = re.compile(r"[UW][A-Z0-9]+")


@given(_TEXTS)
def test_every_text_gets_exactly_one_known_reply(text: str) -> None:
    route = route_tally(text)

    assert route.ask in Ask
    if route.ask is Ask.UNKNOWN:
        assert route.rest and route.rest.split()[0] == text.split()[0]
    if route.ask is Ask.WEEKS:
        assert route.rest.startswith(("<@", "@"))
    if not text.split():
        assert route.ask is Ask.OWN_WEEK


@given(st.sampled_from(["board", "plan", "nudges", "help"]), _TEXTS)
def test_a_command_word_routes_there_whatever_follows(word: str, tail: str) -> None:
    route = route_tally(f"{word.upper()} {tail}")

    assert route.ask == Ask(word)
    assert route.rest == tail.strip()


@given(_TEXTS)
def test_mentions_are_only_well_formed_user_ids(text: str) -> None:
    mentions = parse_mentions(text)

    assert all(_USER_ID.fullmatch(user_id) for user_id in mentions.user_ids)
    assert len(set(mentions.user_ids)) == len(mentions.user_ids)
    # every complete mention was taken out (an unterminated "<@U…" is only text)
    assert not any(f"<@{user_id}>" in mentions.rest for user_id in mentions.user_ids)
    assert all(name and "@" not in name for name in mentions.unresolved)


def test_broken_mentions_find_nobody() -> None:
    for text in ("@", "<@>", "<@U0RAVI", "<@u0ravi>"):
        mentions = parse_mentions(text)
        assert (mentions.user_ids, mentions.unresolved) == ((), ()), text
        assert route_tally(text).ask is Ask.WEEKS


@given(st.sampled_from(COMMANDS))
def test_a_small_typo_suggests_the_command(command: str) -> None:
    typo = command[:-1] + ("x" if command[-1] != "x" else "y")

    assert command in closest_commands(typo)
