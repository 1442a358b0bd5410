"""The fake Slack installs an app in several workspaces the way Slack does, over real HTTP."""

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack

REDIRECT = "https://tally.example.com/slack/oauth_redirect"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _consent(fake: FakeSlack, team: str, client_id: str | None = None) -> dict[str, str]:
    """GET the consent page as a browser would; the query Slack sends the installer back with."""
    query = urlencode(
        {
            "client_id": client_id or fake.client_id,
            "scope": "commands,chat:write",
            "state": "st-1",
            "redirect_uri": REDIRECT,
            "team": team,
        }
    )
    opener = urllib.request.build_opener(_NoRedirects)
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(f"{fake.base_url}/oauth/v2/authorize?{query}", timeout=5)
    assert redirected.value.code == 302
    location = redirected.value.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _access(fake: FakeSlack, code: str, secret: str | None = None) -> dict:
    client = WebClient(base_url=fake.url)
    return client.oauth_v2_access(
        client_id=fake.client_id,
        client_secret=secret or fake.client_secret,
        code=code,
        redirect_uri=REDIRECT,
    ).data


@pytest.fixture
def fake() -> FakeSlack:
    with FakeSlack() as slack:
        slack.add_workspace("T0ACME", name="Acme")
        slack.add_workspace("T0GLOBEX", name="Globex")
        slack.add_user("U0ANNA", "anna", is_admin=True, team_id="T0ACME")
        slack.add_user("U0GARY", "gary", team_id="T0GLOBEX")
        yield slack


def test_each_workspace_s_install_mints_a_token_that_acts_on_it_alone(fake: FakeSlack) -> None:
    acme = _access(fake, _consent(fake, "T0ACME")["code"])
    globex = _access(fake, _consent(fake, "T0GLOBEX")["code"])

    assert acme["team"] == {"id": "T0ACME", "name": "Acme"}
    assert acme["authed_user"] == {"id": "U0ANNA"}
    assert acme["scope"] == "commands,chat:write"
    assert WebClient(base_url=fake.url, token=acme["access_token"]).auth_test()["team_id"] == (
        "T0ACME"
    )
    WebClient(base_url=fake.url, token=globex["access_token"]).chat_postMessage(
        channel="C0GLOBEX", text="hello Globex"
    )
    assert [m["text"] for m in fake.messages_of("T0GLOBEX")] == ["hello Globex"]
    assert fake.messages_of("T0ACME") == [] and fake.messages == []
    [post] = fake.calls_to("chat.postMessage")
    assert (post.token, post.team_id) == (globex["access_token"], "T0GLOBEX")
    with pytest.raises(SlackApiError, match="user_not_found"):
        WebClient(base_url=fake.url, token=acme["access_token"]).users_info(user="U0GARY")


def test_bad_credentials_a_reused_code_and_another_redirect_are_refused(fake: FakeSlack) -> None:
    code = _consent(fake, "T0ACME")["code"]
    with pytest.raises(SlackApiError, match="bad_client_secret"):
        _access(fake, code, secret="guess")
    assert _access(fake, code)["ok"]
    with pytest.raises(SlackApiError, match="invalid_code"):
        _access(fake, code)
    other = _consent(fake, "T0ACME")["code"]
    with pytest.raises(SlackApiError, match="bad_redirect_uri"):
        WebClient(base_url=fake.url).oauth_v2_access(
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            code=other,
            redirect_uri="https://evil.example.com/",
        )
    assert _consent(fake, "T0ACME", client_id="9.9")["error"] == "invalid_client_id"


def test_uninstalling_revokes_the_workspace_s_tokens(fake: FakeSlack) -> None:
    token = _access(fake, _consent(fake, "T0ACME")["code"])["access_token"]
    fake.uninstall("T0ACME")

    with pytest.raises(SlackApiError, match="token_revoked"):
        WebClient(base_url=fake.url, token=token).auth_test()


def test_with_rotation_tokens_expire_and_a_refresh_token_gives_a_new_one_once(
    fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.rotation_enabled = True
    fake.token_lifetime_s = 3600
    first = _access(fake, _consent(fake, "T0ACME")["code"])
    assert first["access_token"].startswith("xoxe.xoxb-") and first["expires_in"] == 3600

    import bot.fakeslack.oauth as oauth
    import bot.fakeslack.web_api as web_api

    later = oauth.wall_clock() + 3601
    monkeypatch.setattr(web_api, "wall_clock", lambda: later)
    monkeypatch.setattr(oauth, "wall_clock", lambda: later)
    with pytest.raises(SlackApiError, match="token_expired"):
        WebClient(base_url=fake.url, token=first["access_token"]).auth_test()
    client = WebClient(base_url=fake.url)
    refreshed = client.oauth_v2_access(
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        grant_type="refresh_token",
        refresh_token=first["refresh_token"],
    ).data
    assert WebClient(base_url=fake.url, token=refreshed["access_token"]).auth_test()["ok"]
    with pytest.raises(SlackApiError, match="invalid_refresh_token"):
        client.oauth_v2_access(
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            grant_type="refresh_token",
            refresh_token=first["refresh_token"],
        )


def test_any_other_bot_token_still_acts_on_the_default_workspace(fake: FakeSlack) -> None:
    WebClient(base_url=fake.url, token="xoxb-test").chat_postMessage(channel="C0X", text="hi")

    assert [m["text"] for m in fake.messages] == ["hi"]
    assert fake.calls_to("chat.postMessage")[0].team_id == fake.team_id
