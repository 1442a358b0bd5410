"""OAuth mode's settings: what an operator sets instead of SLACK_BOT_TOKEN, checked at start."""

import pytest
from cryptography.fernet import Fernet

from bot.settings import DEFAULT_SCOPES, SettingsError, load_settings

OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "shh", "SLACK_SIGNING_SECRET": "s"}


def test_client_id_and_secret_instead_of_a_bot_token_turn_oauth_on() -> None:
    settings = load_settings(OAUTH)

    assert settings.oauth is not None
    assert settings.slack_bot_token == ""
    assert (settings.oauth.client_id, settings.oauth.client_secret) == ("1111.2222", "shh")
    assert settings.oauth.scopes == DEFAULT_SCOPES
    assert settings.oauth.secret_keys == ()


def test_a_bot_token_alone_keeps_single_workspace_mode() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"})

    assert settings.oauth is None
    assert settings.slack_bot_token == "xoxb-1"


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SLACK_CLIENT_SECRET": ""}, "SLACK_CLIENT_SECRET is not set"),
        ({"SLACK_CLIENT_ID": " "}, "SLACK_CLIENT_ID is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "not both"),
        ({"SLACK_SCOPES": "chat:write, commands,<b>"}, "'<b>', which isn't a scope"),
        ({"TALLY_SECRET_KEY": "hunter2"}, "TALLY_SECRET_KEY must be Fernet keys"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET is not set"),
    ],
)
def test_a_half_set_or_bad_oauth_setting_stops_the_start_with_one_sentence(
    env: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError, match=says):
        load_settings(OAUTH | env)


def test_scopes_and_several_secret_keys_are_read_in_order() -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = load_settings(
        OAUTH | {"SLACK_SCOPES": "commands, chat:write", "TALLY_SECRET_KEY": f"{new}, {old}"}
    )

    assert settings.oauth is not None
    assert settings.oauth.scopes == ("commands", "chat:write")
    assert settings.oauth.secret_keys == (new, old)
