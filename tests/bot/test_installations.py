"""OAuth mode's stores on Tally's database: slack-sdk's tables, tokens sealed at rest."""

import time
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, func, select

from bot.installations import BotTokens, InstallationStore, StateStore
from bot.settings import DEFAULT_SCOPES, OAuth
from storage.models import TOKEN, slack_bots, slack_installations, slack_oauth_states

KEY = Fernet.generate_key().decode()
TOKEN_COLUMNS = {"bot_token", "bot_refresh_token", "user_token", "user_refresh_token"}


def _oauth(*keys: str) -> OAuth:
    return OAuth("1111.2222", "shh", DEFAULT_SCOPES, keys)


def _installation(
    team_id: str = "T0ACME", token: str = "xoxb-acme-1", **more: object
) -> Installation:
    return Installation(
        app_id="A0TALLY",
        team_id=team_id,
        team_name="Acme",
        bot_token=token,
        bot_id="B0TALLY",
        bot_user_id="U0TALLYBOT",
        bot_scopes=",".join(DEFAULT_SCOPES),
        user_id="U0ADMIN",
        **more,
    )


def _stored_token(engine: Engine, team_id: str) -> str:
    with engine.connect() as connection:
        query = select(slack_bots.c.bot_token).where(slack_bots.c.team_id == team_id)
        return connection.execute(query).scalar_one()


def test_tally_declares_slack_sdk_s_tables_column_for_column() -> None:
    metadata = MetaData()
    theirs = {
        "slack_installations": SQLAlchemyInstallationStore.build_installations_table(
            metadata, "slack_installations"
        ),
        "slack_bots": SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots"),
        "slack_oauth_states": SQLAlchemyOAuthStateStore.build_oauth_states_table(
            metadata, "slack_oauth_states"
        ),
    }
    for ours in (slack_installations, slack_bots, slack_oauth_states):
        table = theirs[ours.name]
        assert [c.name for c in ours.columns] == [c.name for c in table.columns], ours.name
        for column in table.columns:
            mine = ours.c[column.name]
            assert (mine.nullable, mine.primary_key) == (column.nullable, column.primary_key)
            if column.name in TOKEN_COLUMNS:
                assert mine.type.length == TOKEN.length > column.type.length  # Fernet text fits
            else:
                assert repr(mine.type) == repr(column.type), f"{ours.name}.{column.name}"


def test_a_token_is_sealed_at_rest_with_a_key_and_found_in_the_clear(engine: Engine) -> None:
    store = InstallationStore(_oauth(KEY), engine)
    store.save(_installation())

    assert _stored_token(engine, "T0ACME").startswith("gAAAAA")
    assert "xoxb-acme-1" not in _stored_token(engine, "T0ACME")
    bot = store.find_bot(enterprise_id=None, team_id="T0ACME")
    assert bot is not None and bot.bot_token == "xoxb-acme-1"
    found = store.find_installation(enterprise_id=None, team_id="T0ACME")
    assert found is not None and found.bot_token == "xoxb-acme-1"


def test_without_a_key_tokens_are_kept_as_slack_gave_them(engine: Engine) -> None:
    InstallationStore(_oauth(), engine).save(_installation())

    assert _stored_token(engine, "T0ACME") == "xoxb-acme-1"


def test_setting_a_key_later_or_changing_it_keeps_every_workspace_installed(engine: Engine) -> None:
    InstallationStore(_oauth(), engine).save(_installation("T0PLAIN", "xoxb-plain"))
    InstallationStore(_oauth(KEY), engine).save(_installation("T0OLD", "xoxb-old"))
    new_key = Fernet.generate_key().decode()

    rotated = InstallationStore(_oauth(new_key, KEY), engine)

    assert rotated.bot_of_team("T0PLAIN").bot_token == "xoxb-plain"
    assert rotated.bot_of_team("T0OLD").bot_token == "xoxb-old"
    rotated.save(_installation("T0NEW", "xoxb-new"))
    assert InstallationStore(_oauth(new_key), engine).bot_of_team("T0NEW").bot_token == "xoxb-new"


def test_a_key_that_does_not_open_a_token_finds_no_installation(engine: Engine) -> None:
    InstallationStore(_oauth(KEY), engine).save(_installation())

    assert (
        BotTokens(
            InstallationStore(_oauth(Fernet.generate_key().decode()), engine),
            _oauth(),
            WebClient(),
        )("T0ACME")
        is None
    )
    assert InstallationStore(_oauth(), engine).bot_of_team("T0ACME") is None


def test_a_grid_workspace_s_token_is_found_by_its_team_alone(engine: Engine) -> None:
    store = InstallationStore(_oauth(KEY), engine)
    store.save(_installation("T0GRID", "xoxb-grid", enterprise_id="E0ORG", enterprise_name="Org"))

    assert BotTokens(store, _oauth(KEY), WebClient())("T0GRID") == "xoxb-grid"
    assert BotTokens(store, _oauth(KEY), WebClient())("T0OTHER") is None


def test_the_newest_install_of_a_workspace_wins_and_forgetting_it_removes_all(
    engine: Engine,
) -> None:
    store = InstallationStore(_oauth(KEY), engine)
    store.save(_installation(token="xoxb-first", installed_at=time.time() - 60))
    store.save(_installation(token="xoxb-again"))

    assert store.bot_of_team("T0ACME").bot_token == "xoxb-again"
    assert store.forget_team("T0ACME") == 4
    assert store.bot_of_team("T0ACME") is None


def test_states_nobody_came_back_with_are_cleared_as_new_ones_are_issued(engine: Engine) -> None:
    states = StateStore(expiration_seconds=600, engine=engine)
    old = states.issue()
    with engine.begin() as connection:
        an_hour_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        connection.execute(slack_oauth_states.update().values(expire_at=an_hour_ago))

    fresh = states.issue()

    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(slack_oauth_states)) == 1
    assert not states.consume(old)
    assert states.consume(fresh)
