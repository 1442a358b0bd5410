"""Who someone is: their cached Slack profile (zone, admin flag) and mentions in command text."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.orm import Session

from handlers.deps import Deps
from storage.members import ensure_member, get_member, save_profile
from storage.models import Member

log = logging.getLogger(__name__)

PROFILE_MAX_AGE = timedelta(days=1)
Result = TypeVar("Result")
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_PLAIN_NAME = re.compile(r"(?<![<\w])@([\w.\-]+)")


@dataclass(frozen=True)
class Mentions:
    user_ids: tuple[str, ...]
    unresolved: tuple[str, ...]  # plain "@name" words Slack did not turn into mentions
    rest: str  # the text with every mention removed


def parse_mentions(text: str) -> Mentions:
    """Slack escapes mentions as `<@U123|name>` (or `<@U123>`); a typed `@name` stays plain text."""
    ids = tuple(dict.fromkeys(_MENTION.findall(text)))
    without_ids = _MENTION.sub(" ", text)
    names = tuple(dict.fromkeys(_PLAIN_NAME.findall(without_ids)))
    rest = " ".join(_PLAIN_NAME.sub(" ", without_ids).split())
    return Mentions(user_ids=ids, unresolved=names, rest=rest)


def resolve_names(client: WebClient, names: tuple[str, ...]) -> tuple[dict[str, str], list[str]]:
    """Match plain @names against handles and display names; return (found, missing)."""
    wanted = {n.lower(): n for n in names}
    found: dict[str, str] = {}
    cursor = None
    try:
        while wanted.keys() - {k.lower() for k in found}:
            page = client.users_list(limit=200, cursor=cursor)
            for user in page.get("members", []):
                if user.get("deleted") or user.get("is_bot"):
                    continue
                profile = user.get("profile", {})
                for handle in (
                    user.get("name"),
                    profile.get("display_name"),
                    profile.get("real_name"),
                ):
                    if handle and handle.lower() in wanted:
                        found.setdefault(wanted[handle.lower()], user["id"])
            cursor = page.get("response_metadata", {}).get("next_cursor")
            if not cursor:
                break
    except (SlackApiError, SlackRequestError):
        log.warning("users.list failed while resolving %s", names, exc_info=True)
    return found, [n for n in names if n not in found]


def fetch_profile(deps: Deps, client: WebClient, team_id: str, user_id: str) -> Member:
    """Ask Slack for the user's zone and admin flag and cache them; on failure use UTC, uncached."""
    try:
        user = client.users_info(user=user_id)["user"]
    except (SlackApiError, SlackRequestError):
        log.warning("users.info failed for %s; using UTC for now", user_id, exc_info=True)
        with deps.sessions.begin() as session:
            return ensure_member(session, team_id, user_id, deps.clock())
    profile = user.get("profile", {})
    with deps.sessions.begin() as session:
        return save_profile(
            session,
            team_id,
            user_id,
            display_name=profile.get("display_name")
            or user.get("real_name")
            or user.get("name", ""),
            tz=user.get("tz") or "UTC",
            is_workspace_admin=bool(user.get("is_admin") or user.get("is_owner")),
            now=deps.clock(),
        )


def member_with_profile(deps: Deps, client: WebClient, team_id: str, user_id: str) -> Member:
    """The cached member; Slack is asked only the first time (the common case costs one SELECT)."""
    with deps.reads() as session:
        member = get_member(session, team_id, user_id)
    if member is not None and member.tz_checked_at is not None:
        return member
    return fetch_profile(deps, client, team_id, user_id)


def in_one_transaction(
    deps: Deps,
    client: WebClient,
    team_id: str,
    user_id: str,
    work: Callable[[Session, Member], Result],
) -> tuple[Member, Result]:
    """Read the member and do `work` in one write transaction (the /log hot path); only a
    person Tally has never profiled costs a users.info call and a second transaction."""
    with deps.sessions.begin() as session:
        member = get_member(session, team_id, user_id)
        if member is not None and member.tz_checked_at is not None:
            return member, work(session, member)
    member = fetch_profile(deps, client, team_id, user_id)
    with deps.sessions.begin() as session:
        return member, work(session, member)


def profile_is_stale(deps: Deps, member: Member) -> bool:
    return member.tz_checked_at is None or deps.clock() - member.tz_checked_at > PROFILE_MAX_AGE


def is_admin(deps: Deps, member: Member) -> bool:
    return member.user_id in deps.admins or member.is_workspace_admin
