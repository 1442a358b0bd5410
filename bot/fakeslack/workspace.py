"""The fake workspace's state, and the Web API methods Tally calls, answered in Slack's shapes.

Not thread-safe by itself: `FakeSlack` serialises calls with its lock.
"""

import base64
import copy
import secrets
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.fakeslack.block_kit import block_kit_problem
from bot.fakeslack.blocks import with_generated_ids

APP_ID = "A0TALLY"
TEAM_DOMAIN = "tally-demo"


class SlackError(Exception):
    """A method's `{"ok": false, "error": ...}` answer."""


def wall_clock() -> float:
    """Now, looked up on each call so freezegun's patched `time.time` is honoured."""
    return time.time()


class Workspace:
    """Users, channel messages and views of one team, changed only through Web API methods."""

    def __init__(self, team_id: str, bot_user_id: str):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id.removeprefix("U")
        self._last_ts_micros = 0
        self._users: dict[str, dict[str, Any]] = {}
        self.messages: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self._current_views: dict[str, dict[str, Any]] = {}
        self._view_users: dict[str, str] = {}
        self._home_view_ids: dict[str, str] = {}
        self._triggers: dict[str, str] = {}
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.push": self._views_push,
            "views.publish": self._views_publish,
        }

    def add_user(self, user: dict[str, Any]) -> None:
        """Register a member; `user` holds id, name, real_name, tz, is_admin, is_owner and
        optionally deleted, is_bot and email."""
        self._users[user["id"]] = user

    def first_admin(self) -> str | None:
        """Who approves an install unless a test names someone."""
        admins = [u["id"] for u in self._users.values() if u.get("is_admin")]
        return (admins or list(self._users) or [None])[0]

    def user_name(self, user_id: str) -> str | None:
        """The member's handle, for payloads that carry it."""
        user = self._users.get(user_id)
        return user["name"] if user else None

    def new_trigger_id(self, user_id: str) -> str:
        """Issue a trigger_id, remembering whose interaction it came from for views.open."""
        trigger_id = f"{secrets.randbelow(10**12)}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = user_id
        return trigger_id

    def new_ts(self) -> str:
        """A message timestamp from the clock, strictly increasing so each ts names one message."""
        micros = max(int(wall_clock() * 1_000_000), self._last_ts_micros + 100)
        self._last_ts_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def call(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Answer one Web API call as Slack would (HTTP 200 in every case)."""
        answer = self._methods.get(method)
        if answer is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        try:
            return {"ok": True} | answer(args)
        except SlackError as error:
            return {"ok": False, "error": str(error)}

    # --- auth and users -------------------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Tally Demo",
            "user": "tally",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user", "")
        if user_id == self.bot_user_id:
            return {"user": self._bot_user()}
        if user_id not in self._users:
            raise SlackError("user_not_found")
        return {"user": self._render_user(self._users[user_id])}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = [self._render_user(user) for user in self._users.values()]
        return {
            "members": [*members, self._bot_user()],
            "cache_ts": int(wall_clock()),
            "response_metadata": {"next_cursor": ""},
        }

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        """Slack matches the address regardless of case, deactivated accounts included."""
        email = _required(args, "email", "invalid_email").strip().casefold()
        for user in self._users.values():
            if (user.get("email") or "").casefold() == email:
                return {"user": self._render_user(user)}
        raise SlackError("users_not_found")

    def _render_user(self, user: dict[str, Any]) -> dict[str, Any]:
        zone_now = datetime.fromtimestamp(wall_clock(), ZoneInfo(user["tz"]))
        offset = zone_now.utcoffset()
        return {
            "id": user["id"],
            "team_id": self.team_id,
            "name": user["name"],
            "deleted": user.get("deleted", False),
            "real_name": user["real_name"],
            "tz": user["tz"],
            "tz_label": zone_now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "is_admin": user["is_admin"],
            "is_owner": user["is_owner"],
            "is_bot": user.get("is_bot", False),
            "is_app_user": False,
            "profile": {
                "real_name": user["real_name"],
                "display_name": user["name"],
                "team": self.team_id,
            }
            | ({"email": user["email"]} if user.get("email") else {}),
        }

    def _bot_user(self) -> dict[str, Any]:
        """Slack lists the app's own bot user among members; apps must skip `is_bot` users."""
        return {
            "id": self.bot_user_id,
            "team_id": self.team_id,
            "name": "tally",
            "deleted": False,
            "real_name": "Tally",
            "is_admin": False,
            "is_owner": False,
            "is_bot": True,
            "is_app_user": False,
            "profile": {
                "real_name": "Tally",
                "display_name": "",
                "bot_id": self.bot_id,
                "api_app_id": APP_ID,
                "team": self.team_id,
            },
        }

    # --- conversations and messages -------------------------------------------------------

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = [user for user in str(args.get("users", "")).split(",") if user]
        if len(users) != 1:  # group DMs are beyond what Tally needs
            raise SlackError("users_list_not_supplied" if not users else "not_implemented")
        return {"no_op": False, "already_open": False, "channel": {"id": _dm_channel(users[0])}}

    def _conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _required(args, "channel", "channel_not_found")
        inclusive = _truthy(args.get("inclusive"))
        oldest = Decimal(str(args.get("oldest") or 0))
        newest = Decimal(str(args["latest"])) if args.get("latest") else None
        if cursor := args.get("cursor"):
            newest = Decimal(base64.b64decode(cursor).decode().removeprefix("next_ts:"))
            inclusive = True
        found = [
            record
            for record in reversed(self.messages)
            if record["channel"] == channel
            and record["thread_ts"] in (None, record["ts"])
            and _within(Decimal(record["ts"]), oldest, newest, inclusive)
        ]
        limit = min(int(args.get("limit") or 100), 999)
        page, rest = found[:limit], found[limit:]
        with_metadata = _truthy(args.get("include_all_metadata"))
        next_cursor = base64.b64encode(f"next_ts:{rest[0]['ts']}".encode()).decode() if rest else ""
        return {
            "messages": [self._render_message(record, with_metadata) for record in page],
            "has_more": bool(rest),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = _dm_channel(_required(args, "channel", "channel_not_found"))
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise SlackError("no_text")
        _valid_blocks(args)
        record = {
            "channel": channel,
            "ts": self.new_ts(),
            "text": args.get("text", ""),
            "blocks": args.get("blocks"),
            "metadata": args.get("metadata"),
            "thread_ts": args.get("thread_ts"),
        }
        self.messages.append(record)
        return {
            "channel": channel,
            "ts": record["ts"],
            "message": self._render_message(record, with_metadata=True),
        }

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        record = self._find_message(args)
        _valid_blocks(args)
        for field in ("text", "blocks", "metadata"):
            if field in args:
                record[field] = args[field]
        message = self._render_message(record, with_metadata=True)
        return {
            "channel": record["channel"],
            "ts": record["ts"],
            "text": record["text"],
            "message": message,
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        record = self._find_message(args)
        self.messages.remove(record)
        return {"channel": record["channel"], "ts": record["ts"]}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        _required(args, "channel", "channel_not_found")
        _required(args, "user", "user_not_in_channel")
        if not (args.get("text") or args.get("blocks") or args.get("attachments")):
            raise SlackError("no_text")
        return {"message_ts": self.new_ts()}

    def _find_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        for record in self.messages:
            if record["channel"] == channel and record["ts"] == ts:
                return record
        raise SlackError("message_not_found")

    def _render_message(self, record: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": record["text"],
            "ts": record["ts"],
        }
        if record["blocks"]:
            message["blocks"] = copy.deepcopy(record["blocks"])
        if record["thread_ts"]:
            message["thread_ts"] = record["thread_ts"]
        if with_metadata and record["metadata"]:
            message["metadata"] = copy.deepcopy(record["metadata"])
        return message

    # --- views ----------------------------------------------------------------------------

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._trigger_user(args)
        return {"view": self._store_view("views.open", user_id, _view_arg(args))}

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._trigger_user(args)
        return {"view": self._store_view("views.push", user_id, _view_arg(args))}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or next(
            (
                vid
                for vid, view in self._current_views.items()
                if args.get("external_id") and view.get("external_id") == args.get("external_id")
            ),
            None,
        )
        current = self._current_views.get(view_id or "")
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        user_id = self._view_users[current["id"]]
        return {"view": self._store_view("views.update", user_id, _view_arg(args), current["id"])}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = _required(args, "user_id", "invalid_arguments")
        view_id = self._home_view_ids.get(user_id)
        view = self._store_view("views.publish", user_id, _view_arg(args), view_id)
        self._home_view_ids[user_id] = view["id"]
        return {"view": view}

    def _trigger_user(self, args: dict[str, Any]) -> str:
        trigger_id = _required(args, "trigger_id", "invalid_arguments")
        if trigger_id not in self._triggers:
            raise SlackError("invalid_trigger_id")
        return self._triggers[trigger_id]

    def _store_view(
        self, method: str, user_id: str, view: dict[str, Any], view_id: str | None = None
    ) -> dict[str, Any]:
        """Render `view` as Slack returns it and record it; an update keeps the view's id."""
        view_id = view_id or "V" + secrets.token_hex(5).upper()
        rendered = copy.deepcopy(view) | {
            "id": view_id,
            "team_id": self.team_id,
            "blocks": with_generated_ids(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{self.new_ts()}.{secrets.token_hex(4)}",
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": APP_ID,
            "bot_id": self.bot_id,
        }
        self._current_views[view_id] = rendered
        self._view_users[view_id] = user_id
        self.views.append(
            {"method": method, "user_id": user_id, "view": rendered, "view_id": view_id}
        )
        return copy.deepcopy(rendered)


def _required(args: dict[str, Any], name: str, error: str) -> str:
    value = args.get(name)
    if not value:
        raise SlackError(error)
    return str(value)


def _valid_blocks(payload: dict[str, Any], *, view: bool = False) -> None:
    if block_kit_problem(payload, view=view) is not None:
        raise SlackError("invalid_blocks")


def _view_arg(args: dict[str, Any]) -> dict[str, Any]:
    view = args.get("view")
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    _valid_blocks(view, view=True)
    return view


def _dm_channel(channel: str) -> str:
    """Slack lets a bot post to a user id and delivers to (and answers with) their DM channel."""
    return "D" + channel if channel[:1] in ("U", "W") else channel


def _truthy(value: object) -> bool:
    """Form bodies carry booleans as strings; JSON bodies carry them as booleans."""
    return value in (True, 1, "1", "true", "True")


def _within(ts: Decimal, oldest: Decimal, newest: Decimal | None, inclusive: bool) -> bool:
    """Whether `ts` lies between oldest and latest (no latest: up to now), as Slack filters."""
    if inclusive:
        return oldest <= ts and (newest is None or ts <= newest)
    return oldest < ts and (newest is None or ts < newest)
