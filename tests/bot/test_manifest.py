"""manifest.yml is what Slack will accept, and it points Slack at the routes Tally serves."""

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from bot.installations import REDIRECT_PATH
from bot.settings import DEFAULT_SCOPES

ROOT = Path(__file__).resolve().parents[2]
# Slack's published schema, vendored (MIT) so a fresh clone tests offline and on its own.
SCHEMA_DIR = Path(__file__).resolve().parent / "slack_manifest_schema"


def _local_schema(uri: str) -> Resource:
    """The selector schema $refs per-version schemas on GitHub; serve the vendored copy."""
    return Resource.from_contents(json.loads((SCHEMA_DIR / "schemas" / Path(uri).name).read_text()))


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    schema = json.loads((SCHEMA_DIR / "manifest.schema.json").read_text())
    return Draft7Validator(schema, registry=Registry(retrieve=_local_schema))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_matches_slack_schema(validator: Draft7Validator, manifest: dict[str, Any]):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(manifest)]
    assert errors == []


def test_schema_check_catches_a_broken_manifest(
    validator: Draft7Validator, manifest: dict[str, Any]
):
    broken = json.loads(json.dumps(manifest))
    del broken["features"]["shortcuts"][0]["description"]
    assert not validator.is_valid(broken)


def test_both_commands_escape_and_share_the_events_route(manifest: dict[str, Any]):
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {"/log", "/tally"}
    assert all(command["should_escape"] for command in commands.values())
    assert commands["/log"]["usage_hint"] == "demo self-led | 12 calls | undo | help"
    assert commands["/tally"]["usage_hint"] == "[board | team | @rep | help]"
    settings = manifest["settings"]
    urls = [command["url"] for command in commands.values()]
    urls.append(settings["interactivity"]["request_url"])
    urls.append(settings["event_subscriptions"]["request_url"])
    assert {urlsplit(url).path for url in urls} == {"/slack/events"}
    assert settings["interactivity"]["is_enabled"] is True


def test_message_shortcut_logs_an_activity(manifest: dict[str, Any]):
    [shortcut] = manifest["features"]["shortcuts"]
    assert shortcut["type"] == "message"
    assert shortcut["callback_id"] == "log_activity"
    assert shortcut["name"] == "Log as activity"


def test_home_tab_and_only_the_scopes_tally_uses(manifest: dict[str, Any]):
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    ]
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "commands",
            "chat:write",
            "users:read",
            "users:read.email",  # the activity API names reps by email
            "im:write",
            "files:write",
            "im:history",
            "channels:history",
            "groups:history",
        ]
    )
    # An OAuth install asks for exactly what the manifest declares, unless SLACK_SCOPES says.
    assert list(DEFAULT_SCOPES) == manifest["oauth_config"]["scopes"]["bot"]


def test_oauth_installs_come_back_to_tallys_redirect_path(manifest: dict[str, Any]):
    [redirect] = manifest["oauth_config"]["redirect_urls"]
    assert urlsplit(redirect).path == REDIRECT_PATH
    assert manifest["settings"]["socket_mode_enabled"] is False
