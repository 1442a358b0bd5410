"""Who someone is: their cached Slack profile (zone, admin flag) and mentions in command text."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.render import say
from scoring.rules import ScoringRules
from storage.db import joined_write
from storage.members import ensure_member, get_member, save_profile
from storage.models import Member
from storage.team_settings import member_and_rules

log = logging.getLogger(__name__)

PROFILE_MAX_AGE = timedelta(days=1)
ADMIN_MAX_AGE = timedelta(minutes=10)
_NO_SUCH_USER = frozenset({"user_not_found", "user_not_visible"})
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


def user_id_in(value: object) -> str | None:
    """A button's user id, as we wrote it; anything else (forged, garbled) names no one."""
    if not isinstance(value, str):
        return None
    return value if parse_mentions(f"<@{value}>").user_ids == (value,) else None


def mentioned_people(client: WebClient, mentions: Mentions) -> tuple[list[str], str | None]:
    """Everyone the text names — Slack's mentions, then typed @names matched in the workspace —
    or, when a typed name matches no one, the reply that says so."""
    ids = list(mentions.user_ids)
    if mentions.unresolved:
        found, missing = resolve_names(client, mentions.unresolved)
        if missing:
            return [], say("not_found", names=missing)
        ids.extend(i for i in found.values() if i not in ids)
    return ids, None


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


class NotAPerson(Exception):
    """Slack says this id is no one Tally should count: unknown, deactivated, or a bot."""

    def __init__(self, user_id: str, why: str):
        super().__init__(f"{user_id} is {why}")
        self.user_id, self.why = user_id, why


class SlackSilent(Exception):
    """users.info failed in a way that may pass (Slack down, rate limited); nothing was stored."""

    def __init__(self, user_id: str):
        super().__init__(f"users.info failed for {user_id}")
        self.user_id = user_id


def _slack_user(client: WebClient, user_id: str) -> dict[str, Any]:
    """users.info, refusing ids that are no person: a guessed or mistyped id must never count."""
    try:
        user: dict[str, Any] = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        if error.response.get("error") in _NO_SUCH_USER:
            raise NotAPerson(user_id, "unknown") from error
        raise
    if user.get("deleted"):
        raise NotAPerson(user_id, "deactivated")
    if user.get("is_bot") or user_id == "USLACKBOT":
        raise NotAPerson(user_id, "a bot")
    return user


def fetch_profile(
    deps: Deps, client: WebClient, team_id: str, user_id: str, *, fallback: bool = True
) -> Member:
    """Ask Slack for the user's zone and admin flag and cache them.

    An id that is no person raises NotAPerson and stores nothing. Other failures may pass: with
    `fallback` (the caller's own profile) use UTC, uncached; without it raise SlackSilent.
    """
    try:
        user = _slack_user(client, user_id)
    except (SlackApiError, SlackRequestError) as error:
        if not fallback:
            raise SlackSilent(user_id) from error
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


def named_person(
    deps: Deps, client: WebClient, team_id: str, user_id: str, *, fresh: bool = False
) -> Member:
    """Someone the caller named: their cached member, or Slack's word on them, never a guess.

    `fresh` asks Slack even when the profile is cached (before anyone joins a team).
    Raises NotAPerson or SlackSilent.
    """
    member = None if fresh else _profiled(deps, team_id, user_id)
    return member or fetch_profile(deps, client, team_id, user_id, fallback=False)


def rep_for(deps: Deps, client: WebClient, caller: Member, rep_id: str) -> Member | str:
    """Someone else `caller` may look at — a rep they manage, or anyone for an admin — with a
    fresh profile; else the refusal, which says nothing about them beyond the mention."""
    with deps.reads() as session:
        rep = get_member(session, caller.team_id, rep_id)
    manages = rep is not None and rep.manager_id == caller.user_id
    if not (manages or confirmed_admin(deps, client, caller)):
        return say("week_refused", rep_id=rep_id)
    try:
        return named_person(deps, client, caller.team_id, rep_id)
    except (NotAPerson, SlackSilent) as error:
        return why_not_counted(error)


def why_not_counted(error: NotAPerson | SlackSilent) -> str:
    """The reply when a named person is no one Tally counts, or Slack could not say."""
    if isinstance(error, SlackSilent):
        return say("slack_silent", user_id=error.user_id)
    return say("not_a_person", user_id=error.user_id, why=error.why)


def member_with_profile(deps: Deps, client: WebClient, team_id: str, user_id: str) -> Member:
    """The cached member; Slack is asked only the first time (the common case costs one SELECT)."""
    return _profiled(deps, team_id, user_id) or fetch_profile(deps, client, team_id, user_id)


def _profiled(deps: Deps, team_id: str, user_id: str) -> Member | None:
    """The member if Slack has told us about them before, else None."""
    with deps.reads() as session:
        member = get_member(session, team_id, user_id)
    return member if member is not None and member.tz_checked_at is not None else None


def in_one_transaction(
    deps: Deps,
    client: WebClient,
    team_id: str,
    user_id: str,
    work: Callable[[Session, Member, ScoringRules], Result],
) -> tuple[Member, Result]:
    """Read the member with their team's rules and do `work` in one write transaction (the
    /log hot path); only a person Tally has never profiled costs a users.info call and a
    second transaction."""
    with joined_write(deps.sessions) as session:
        found = member_and_rules(session, deps.rules, team_id, user_id)
        if found is not None and found[0].tz_checked_at is not None:
            return found[0], work(session, *found)
    fetch_profile(deps, client, team_id, user_id)
    with joined_write(deps.sessions) as session:
        found = member_and_rules(session, deps.rules, team_id, user_id)
        assert found is not None, "fetch_profile stores the member or raises"
        return found[0], work(session, *found)


def profile_is_stale(deps: Deps, member: Member) -> bool:
    return member.tz_checked_at is None or deps.clock() - member.tz_checked_at > PROFILE_MAX_AGE


def is_admin(deps: Deps, member: Member) -> bool:
    """Admin rights as last read from Slack; privileged actions use `confirmed_admin`."""
    return member.user_id in deps.admins or member.is_workspace_admin


def confirmed_admin(deps: Deps, client: WebClient, member: Member) -> bool:
    """Admin rights for a privileged action: Slack's flag is read again once it is over ten
    minutes old, so a demoted admin loses their rights within minutes; unsure means no."""
    if member.user_id in deps.admins:
        return True
    checked = member.tz_checked_at
    if checked is not None and deps.clock() - checked <= ADMIN_MAX_AGE:
        return is_admin(deps, member)
    try:
        fresh = fetch_profile(deps, client, member.team_id, member.user_id, fallback=False)
    except (NotAPerson, SlackSilent):
        return False
    return fresh.is_workspace_admin
