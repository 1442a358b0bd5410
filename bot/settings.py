"""Settings come from the environment once, at start, and fail fast with a human sentence."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from cryptography.fernet import Fernet

from bot.rate_limits import API_PACE, Pace
from scoring.catalog import DEFAULT_CATALOG, catalog_from_config
from scoring.rules import ScoringRules
from scoring.schedule import Slot, parse_slot
from scoring.weeks import zone

DEFAULT_API_URL = "https://slack.com/api/"
# The manifest's bot scopes (tests/bot/test_manifest.py holds them equal): what an OAuth
# install asks a workspace for unless SLACK_SCOPES says otherwise.
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "users:read",
    "users:read.email",
    "im:write",
    "files:write",
    "im:history",
    "channels:history",
    "groups:history",
)
_SCOPE = re.compile(r"[a-z]+(?:[.:][a-z_]+)*")
DEFAULT_DATABASE_URL = "sqlite:///tally.db"


FRIDAY_AFTERNOON = Slot(weekday=4, at=time(15))
FRIDAY_LATER = Slot(weekday=4, at=time(16))
WEEKDAY_MORNINGS = Slot(weekday=None, at=time(9))
WEDNESDAY_NOON = Slot(weekday=2, at=time(12))


@dataclass(frozen=True)
class Schedules:
    """When each scheduled message goes out, in its recipient's zone (the channel's for boards)."""

    digest: Slot = FRIDAY_AFTERNOON
    leaderboard: Slot = FRIDAY_LATER
    reminders: Slot = WEEKDAY_MORNINGS
    nudges: Slot = WEDNESDAY_NOON
    leaderboard_tz: str = "UTC"


class SettingsError(ValueError):
    """A missing or bad setting; the message is one line meant for an operator."""


@dataclass(frozen=True)
class OAuth:
    """Multi-workspace install (Slack's OAuth v2): each workspace's token comes from its
    installation, not from SLACK_BOT_TOKEN."""

    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    secret_keys: tuple[str, ...]  # TALLY_SECRET_KEY's Fernet keys, newest first; () = plain


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str  # "" in OAuth mode
    slack_signing_secret: str
    slack_app_token: str | None
    slack_api_url: str
    database_url: str
    port: int
    web_workers: int
    web_threads: int
    tick_seconds: int
    rules: ScoringRules
    leaderboard_channel: str | None
    celebrate_channel: str | None
    schedules: Schedules
    admins: frozenset[str]
    team_channels: Mapping[str, str]  # a manager's user id -> their team's board channel
    digest_chart: bool
    public_url: str | None  # where Slack reaches `tally serve` for images (App Home's chart)
    oauth: OAuth | None = None
    api_pace: Pace = API_PACE  # the activity API's requests per key (TALLY_API_RATE)


def load_settings(env: Mapping[str, str], *, slack: bool = True) -> Settings:
    """Read every setting; `slack=False` is for commands that only touch the database."""
    token = env.get("SLACK_BOT_TOKEN", "").strip()
    secret = env.get("SLACK_SIGNING_SECRET", "").strip()
    oauth = _oauth(env, token)
    if slack:
        if oauth is None and not token:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…), or set "
                "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install Tally in many workspaces."
            )
        if oauth is None and not token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must be a bot token starting with 'xoxb-'.")
        if not secret:
            raise SettingsError("SLACK_SIGNING_SECRET is not set: copy it from Basic Information.")
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN must be an app-level token starting with 'xapp-'.")
    api_url = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL, got {api_url!r}.")
    config = _read_config(env.get("TALLY_CONFIG", "").strip())
    rules, channels, schedules = config.rules, config.channels, config.schedules
    database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    workers, threads = serving_defaults(database_url)
    return Settings(
        slack_bot_token=token,
        slack_signing_secret=secret,
        slack_app_token=app_token,
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=database_url,
        port=_port(env.get("PORT", "").strip() or "3000"),
        web_workers=_positive("WEB_CONCURRENCY", env.get("WEB_CONCURRENCY", "").strip() or workers),
        web_threads=_positive("WEB_THREADS", env.get("WEB_THREADS", "").strip() or threads),
        tick_seconds=_positive(
            "TALLY_TICK_SECONDS", env.get("TALLY_TICK_SECONDS", "").strip() or "30"
        ),
        rules=rules,
        leaderboard_channel=channels.get("leaderboard_channel"),
        celebrate_channel=channels.get("celebrate_channel"),
        schedules=schedules,
        admins=frozenset(u.strip() for u in env.get("TALLY_ADMINS", "").split(",") if u.strip()),
        team_channels=config.team_channels,
        digest_chart=config.digest_chart,
        public_url=_public_url(env.get("TALLY_PUBLIC_URL", "").strip()),
        oauth=oauth,
        api_pace=_api_pace(env.get("TALLY_API_RATE", "").strip()),
    )


def _api_pace(raw: str) -> Pace:
    """TALLY_API_RATE: `10/50` is 10 requests a second per key, up to 50 back to back."""
    if not raw:
        return API_PACE
    rate, _, burst = raw.partition("/")
    try:
        pace = Pace(float(rate), burst=int(burst or rate.split(".")[0]))
    except ValueError:
        pace = None
    if pace is None or not (0 < pace.per_second <= 100_000 and 1 <= pace.burst <= 100_000):
        raise SettingsError(
            f"TALLY_API_RATE must be requests a second and a burst, like 10/50; got {raw!r}."
        )
    return pace


def _oauth(env: Mapping[str, str], token: str) -> OAuth | None:
    """OAuth mode's settings when SLACK_CLIENT_ID or SLACK_CLIENT_SECRET is set, else None."""
    client_id = env.get("SLACK_CLIENT_ID", "").strip()
    client_secret = env.get("SLACK_CLIENT_SECRET", "").strip()
    if not client_id and not client_secret:
        return None
    if not client_id or not client_secret:
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise SettingsError(
            f"{missing} is not set: OAuth install needs both, from the app's Basic Information."
        )
    if token:
        raise SettingsError(
            "Set SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
            "(installed by OAuth in many), not both."
        )
    raw_scopes = env.get("SLACK_SCOPES", "").strip()
    scopes = tuple(s.strip() for s in raw_scopes.split(",") if s.strip()) or DEFAULT_SCOPES
    if bad := [scope for scope in scopes if not _SCOPE.fullmatch(scope)]:
        raise SettingsError(
            f"SLACK_SCOPES has {bad[0]!r}, which isn't a scope: give names like "
            "chat:write,commands separated by commas."
        )
    return OAuth(client_id, client_secret, scopes, _secret_keys(env))


def _secret_keys(env: Mapping[str, str]) -> tuple[str, ...]:
    """TALLY_SECRET_KEY: Fernet keys, comma-separated, the newest first (older ones only open
    tokens sealed before a key change)."""
    keys = tuple(k.strip() for k in env.get("TALLY_SECRET_KEY", "").split(",") if k.strip())
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise SettingsError(
                "TALLY_SECRET_KEY must be Fernet keys (32 url-safe base64 bytes each); make one "
                'with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None
    return keys


def serving_defaults(database_url: str) -> tuple[str, str]:
    """gunicorn's (workers, threads) unless WEB_CONCURRENCY / WEB_THREADS say otherwise.

    SQLite takes one writer at a time: Tally's writers in two processes hand its lock over
    through a file lock, which wakes them in no fair order (p99 at 32 connections 146–390 ms in
    bench section 1), while one process's threads queue for it in turn (84–114 ms at the same
    throughput). PostgreSQL writes in parallel, so it gets a process per core.
    """
    return ("1", "16") if database_url.startswith("sqlite") else ("2", "8")


def _public_url(raw: str) -> str | None:
    if raw and not raw.startswith(("https://", "http://")):
        raise SettingsError(f"TALLY_PUBLIC_URL must be an http(s) URL, got {raw!r}.")
    return raw.rstrip("/") or None


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SettingsError(f"PORT must be a number from 1 to 65535, got {raw!r}.")
    return int(raw)


def _positive(name: str, raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name} must be a whole number of at least 1, got {raw!r}.")
    return int(raw)


CHANNELS = ("leaderboard_channel", "celebrate_channel")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,20}")


@dataclass(frozen=True)
class _Config:
    rules: ScoringRules
    channels: dict[str, str]
    schedules: Schedules
    team_channels: dict[str, str]
    digest_chart: bool = True  # a team chart follows each manager's digest


def _read_config(path: str) -> _Config:
    if not path:
        return _Config(ScoringRules(catalog=DEFAULT_CATALOG), {}, Schedules(), {})
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
        schedules = _schedules(data.get("schedule", {}), data.get("leaderboard_tz", "UTC"))
        team_channels = _team_channels(data.get("team_channels", {}))
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"TALLY_CONFIG {path}: {exc}") from None
    channels = {name: data[name] for name in CHANNELS if data.get(name) is not None}
    for name, channel in channels.items():
        if not isinstance(channel, str):
            raise SettingsError(f"TALLY_CONFIG {path}: {name} must be a channel ID string.")
    chart = data.get("digest_chart", True)
    if not isinstance(chart, bool):
        raise SettingsError(f"TALLY_CONFIG {path}: digest_chart must be true or false.")
    return _Config(rules, channels, schedules, team_channels, chart)


def _team_channels(table: object) -> dict[str, str]:
    """`[team_channels]`, `"U0MANAGER" = "C0TEAM"`: where each manager's team board is posted.
    One team per channel, so a channel gets one team board a week."""
    if not isinstance(table, dict):
        raise ValueError(
            '[team_channels] must be a table of manager IDs to channel IDs: "U0123" = "C0456".'
        )
    owner: dict[str, str] = {}
    for manager, channel in table.items():
        if not _USER_ID.fullmatch(manager):
            raise ValueError(
                f"[team_channels] names {manager!r}: give each manager as their Slack user ID "
                "(U… or W…, from their profile's “Copy member ID”)."
            )
        if not isinstance(channel, str) or not _CHANNEL_ID.fullmatch(channel):
            raise ValueError(
                f"[team_channels] {manager} = {channel!r} isn't a channel ID: use one like "
                "C0123456789 (the channel's details show it)."
            )
        if channel in owner:
            raise ValueError(
                f"[team_channels] gives {channel} to both {owner[channel]} and {manager}: "
                "each team board needs its own channel."
            )
        owner[channel] = manager
    return dict(table)


def _schedules(table: object, leaderboard_tz: object) -> Schedules:
    if not isinstance(table, dict):
        raise ValueError("[schedule] must be a table of names to times like 'fri 15:00'.")
    unknown = set(table) - {"digest", "leaderboard", "reminders", "nudges"}
    if unknown:
        raise ValueError(f"[schedule] has unknown entries: {', '.join(sorted(unknown))}.")
    if not isinstance(leaderboard_tz, str) or zone(leaderboard_tz).key != leaderboard_tz:
        raise ValueError("leaderboard_tz must be an IANA zone like 'America/New_York'.")
    slots = {name: parse_slot(str(value)) for name, value in table.items()}
    return Schedules(**slots, leaderboard_tz=leaderboard_tz)
