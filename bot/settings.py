"""Settings come from the environment once, at start, and fail fast with a human sentence."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from scoring.catalog import DEFAULT_CATALOG, catalog_from_config
from scoring.rules import ScoringRules

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///tally.db"


class SettingsError(ValueError):
    """A missing or bad setting; the message is one line meant for an operator."""


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    port: int
    web_workers: int
    web_threads: int
    rules: ScoringRules
    leaderboard_channel: str | None
    admins: frozenset[str]


def load_settings(env: Mapping[str, str], *, slack: bool = True) -> Settings:
    """Read every setting; `slack=False` is for commands that only touch the database."""
    token = env.get("SLACK_BOT_TOKEN", "").strip()
    secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    if slack:
        if not token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…)."
            )
        if not token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'.")
        if not secret:
            raise SettingsError("SLACK_SIGNING_SECRET is not set: copy it from Basic Information.")
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'.")
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}.")
    rules, channel = _read_config(env.get("TALLY_CONFIG", "").strip())
    return Settings(
        slack_bot_token=token,
        slack_signing_secret=secret,
        slack_app_token=app_token,
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL,
        port=_port(env.get("PORT", "").strip() or "3000"),
        web_workers=_positive("WEB_CONCURRENCY", env.get("WEB_CONCURRENCY", "").strip() or "2"),
        web_threads=_positive("WEB_THREADS", env.get("WEB_THREADS", "").strip() or "8"),
        rules=rules,
        leaderboard_channel=channel,
        admins=frozenset(u.strip() for u in env.get("TALLY_ADMINS", "").split(",") if u.strip()),
    )


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"PORT must be a number from 1 to 65535, got {raw!r}.")
    return int(raw)


def _positive(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, got {raw!r}.")
    return int(raw)


def _read_config(path: str) -> tuple[ScoringRules, str | None]:
    if not path:
        return ScoringRules(catalog=DEFAULT_CATALOG), None
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"TALLY_CONFIG points to {path}, which does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"TALLY_CONFIG {path} is not valid TOML: {exc}.") from None
    try:
        catalog = catalog_from_config(
            data.get("activities", []), replace=bool(data.get("replace_activities", False))
        )
        rules = ScoringRules.from_config(catalog, data)
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"TALLY_CONFIG {path}: {exc}") from None
    channel = data.get("leaderboard_channel")
    if channel is not None and not isinstance(channel, str):
        raise SettingsError(
            f"TALLY_CONFIG {path}: leaderboard_channel must be a channel ID string."
        )
    return rules, channel
