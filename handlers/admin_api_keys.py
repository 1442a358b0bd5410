"""`/tally admin api-key …`: admins make, list and revoke the activity API's keys."""

from __future__ import annotations

import shlex
from typing import Any

from handlers.deps import Deps
from handlers.render import WORD_JOINER, Mrkdwn, message, say
from storage.api_keys import keys_of, make_key, revoke_key
from storage.models import ApiKey

NAME_LIMIT = 80
NO_RECEIPTS = "no-receipts"


def answer_api_keys(deps: Deps, team_id: str, admin_id: str, rest: str) -> dict[str, Any]:
    """The reply to `rest` (what followed `api-key`); the caller checked they are an admin."""
    try:
        words = shlex.split(rest)
    except ValueError:  # an unclosed quote
        words = []
    asked = words[0].lower() if words else ""
    if asked == "new" and len(words) > 1:
        return _new(deps, team_id, admin_id, words[1:])
    if asked == "list":
        with deps.reads() as session:
            keys = [_shown(key) for key in keys_of(session, team_id)]
        return message(say("api_keys", mode="list", keys=keys))
    if asked == "revoke" and len(words) == 2:
        prefix = words[1].replace(WORD_JOINER, "").removesuffix("…")
        with deps.sessions.begin() as session:
            named = [
                _shown(k) for k in revoke_key(session, team_id, prefix, admin_id, deps.clock())
            ]
        if len(named) == 1:
            return message(say("api_keys", mode="revoked", **named[0]))
        mode = "ambiguous" if named else "unknown"
        return message(say("api_keys", mode=mode, prefix=prefix[:40], count=len(named)))
    return message(say("api_keys", mode="help"))


def _new(deps: Deps, team_id: str, admin_id: str, words: list[str]) -> dict[str, Any]:
    receipts = NO_RECEIPTS not in (word.lower() for word in words)
    name = " ".join(word for word in words if word.lower() != NO_RECEIPTS).strip()
    if not name or len(name) > NAME_LIMIT:
        return message(say("api_keys", mode="help"))
    with deps.sessions.begin() as session:
        key, secret = make_key(session, team_id, name, admin_id, deps.clock(), receipts=receipts)
        shown = _shown(key)
    return message(say("api_keys", mode="made", secret=Mrkdwn(f"`{secret}`"), **shown))


def _shown(key: ApiKey) -> dict[str, Any]:
    """A key as the templates show it. Its prefix and secret are [A-Za-z0-9_-] and sit in code
    spans, so they go in as they are: `literal` would put word joiners around each `_`, and a
    copied key would then not work."""
    return {
        "name": key.name,
        "prefix": Mrkdwn(key.prefix),
        "created_by": key.created_by,
        "created_at": key.created_at,
        "receipts": key.receipts,
    }
