"""Cheering an entry in the team's celebration channel as it is logged, and taking the cheer back
when the entry is undone.

The post is queued in the outbox in the entry's own transaction (its key names the entry), so a
crash never loses it and a retried request never posts it twice; `Deps.send_now` sends it right
after the reply. Undone within a day, the post is deleted; later, people have seen it and it
stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.entry_words import NOTE_SHOWN, deal_text, describe
from handlers.render import message, say
from handlers.slack_text import one_line
from scoring.catalog import CLOSED_WON
from scoring.rules import ScoringRules
from storage.models import Activity, Member
from storage.outbox import Draft, Key, enqueue, retract
from storage.team_settings import settings_of

KIND = "celebration"
TAKE_BACK_WITHIN = timedelta(days=1)


def celebration_channel(deps: Deps, session: Session, team_id: str) -> str | None:
    return settings_of(session, team_id).celebrate_channel or deps.celebrate_channel


def celebrate(
    deps: Deps, session: Session, rules: ScoringRules, rep: Member, entry: Activity, now: datetime
) -> Key | None:
    """Queue the cheer for a counted entry of a celebrated activity, unless the rep opted out
    or the team has no celebration channel."""
    if entry.activity_key not in rules.celebrate or not rep.celebrate:
        return None
    channel = celebration_channel(deps, session, rep.team_id)
    if channel is None:
        return None
    text = say(
        "celebration",
        rep_id=rep.user_id,
        closed=entry.activity_key == CLOSED_WON,
        what=describe(rules.catalog, entry),
        note=one_line(entry.note, NOTE_SHOWN),
        amount=deal_text(entry),
    )
    draft = Draft(
        team_id=rep.team_id,
        kind=KIND,
        recipient=channel,
        period=_period(entry),
        editable_until=now + TAKE_BACK_WITHIN,
        **message(text),
    )
    enqueue(session, draft, now)
    return rep.team_id, draft.key


def take_back(session: Session, entry: Activity, now: datetime) -> list[Key]:
    """The entry was undone: its cheer, queued or posted, goes too."""
    return retract(session, entry.team_id, KIND, _period(entry), now)


def _period(entry: Activity) -> str:
    return f"entry-{entry.id}"
