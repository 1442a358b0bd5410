"""`[team_channels]`: each manager's team gets its own Friday board, posted once by the clock
beside the workspace's, with the same people left out; bad tables are refused in one line."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from bot.app import utc_now, web_client
from bot.delivery import Deliverer
from bot.fakeslack import FakeSlack
from bot.fakeslack.readable import as_read
from bot.jobs import tick
from bot.settings import SettingsError, load_settings
from storage.members import set_switch
from tests.fixtures.seed import TEAM, Seeder
from tests.fixtures.slack import BOT_TOKEN, SIGNING_SECRET

MONA, MIKE = "U0MONA", "U0MIKE"
RITA, RAVI, RAJ = "U0RITA", "U0RAVI", "U0RAJ"
SALES, MONAS, MIKES = "C0SALES", "C0MONAS", "C0MIKES"
MONDAY = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _config(tmp_path: Path, text: str) -> str:
    path = tmp_path / "tally.toml"
    path.write_text(text)
    return str(path)


class _NoSleep:
    def sleep(self, seconds: float) -> None:
        pass

    def monotonic(self) -> float:
        return 0.0


def _boards(slack: FakeSlack, channel: str) -> list[str]:
    return [as_read(m, lambda u: u.lower()).replace("*", "") for m in slack.messages_in(channel)]


def test_each_team_board_goes_to_its_channel_once_beside_the_workspace_board(
    session_factory, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    config = _config(
        tmp_path,
        f'leaderboard_channel = "{SALES}"\n[team_channels]\n"{MONA}" = "{MONAS}"\n'
        f'"{MIKE}" = "{MIKES}"\n"U0ELSEWHERE" = "C0NOBODY"\n',
    )
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    settings = load_settings({**env, "SLACK_API_URL": fake_slack.url, "TALLY_CONFIG": config})
    time = _NoSleep()
    deliverer = Deliverer(
        session_factory, web_client(settings), utc_now, sleep=time.sleep, monotonic=time.monotonic
    )
    seed = Seeder(session_factory)
    for user_id in (MONA, MIKE, RITA, RAVI, RAJ):
        seed.person(user_id, "UTC", MONDAY)
    seed.team(MONA, [RITA], None, MONDAY)
    seed.team(MIKE, [RAVI, RAJ], date(2026, 11, 16), MONDAY)  # W48: onboarding week 2
    seed.log(MONA, "closed_won", 4, MONDAY)  # a manager: on no board
    seed.log(RITA, "demo_self_led", 2, MONDAY)
    seed.log(RAVI, "call", 30, MONDAY)
    seed.log(RAJ, "meeting_booked", 5, MONDAY)
    with session_factory.begin() as session:
        set_switch(session, TEAM, RAJ, "on_boards", False, MONDAY)

    for moment in ("2026-11-27 15:59:00", "2026-11-27 16:01:00", "2026-11-27 16:05:00"):
        with freeze_time(moment):
            tick(settings, session_factory, deliverer, utc_now())

    [everyone] = _boards(fake_slack, SALES)
    [monas] = _boards(fake_slack, MONAS)
    [mikes] = _boards(fake_slack, MIKES)
    assert "1. @u0rita — 50 pts · 450 to goal" in everyone and "2. @u0ravi — 30 pts" in everyone
    assert "@u0mona —" not in everyone and "@u0raj" not in everyone
    assert "@u0mona's team · 2026-W48" in monas and "1. @u0rita — 50 pts" in monas
    assert "@u0ravi" not in monas
    assert "@u0mike's team" in mikes and "1. @u0ravi — 30 pts\n" in mikes + "\n"  # no goal yet
    assert "@u0raj" not in mikes  # a channel post is public
    assert fake_slack.messages_in("C0NOBODY") == []


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ('team_channels = "C0TEAM"', r"\[team_channels\] must be a table"),
        ('[team_channels]\nmona = "C0TEAM"', "'mona': give each manager as their Slack user ID"),
        ('[team_channels]\nU0MONA = "#sales"', "U0MONA = '#sales' isn't a channel ID"),
        ("[team_channels]\nU0MONA = 7", "U0MONA = 7 isn't a channel ID"),
        (
            '[team_channels]\nU0MONA = "C0TEAM"\nU0MIKE = "C0TEAM"',
            "gives C0TEAM to both U0MONA and U0MIKE",
        ),
    ],
)
def test_a_bad_team_channels_table_is_named_in_one_line(
    tmp_path: Path, table: str, said: str
) -> None:
    with pytest.raises(SettingsError, match=said) as error:
        load_settings({"TALLY_CONFIG": _config(tmp_path, table)}, slack=False)

    assert "\n" not in str(error.value) and "TALLY_CONFIG" in str(error.value)
