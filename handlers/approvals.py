"""Claims a manager approves first: the ask in the approver's DM, its Approve and Reject
buttons, the reason modal, and the word back to the rep.

An entry of an activity in `needs_approval` is stored pending and counts only once approved.
The ask and the answer are queued in the outbox in the transaction that stores the entry or
settles it, so neither is lost to a crash nor sent twice; `Deps.send_now` sends them right
after the reply (the clock sends whatever it could not).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import ButtonElement, InputBlock, PlainTextInputElement, SectionBlock
from slack_sdk.models.views import View
from sqlalchemy.orm import Session

from handlers.celebrations import celebrate
from handlers.deps import Deps
from handlers.digest_changes import digest_changed
from handlers.entry_words import NOTE_SHOWN, day_text, deal_text, describe
from handlers.ids import Action, Callback, row_id
from handlers.people import confirmed_admin, member_with_profile
from handlers.render import message, say
from handlers.slack_text import one_line
from storage.activities import PENDING, pending_entry, review
from storage.members import get_member, workspace_admins
from storage.models import Activity, Member
from storage.outbox import Draft, enqueue
from storage.recent import team_entry

log = logging.getLogger(__name__)

ASK, ANSWER = "approval", "approved"  # outbox kinds: to the approver, back to the rep
REASON_LIMIT = 500
_REASON = "reason"


def register(app: App) -> None:
    app.action(Action.APPROVE)(approve)
    app.action(Action.REJECT)(ask_reason)
    app.view(Callback.REJECT_MODAL)(reject)


def approver_of(deps: Deps, session: Session, rep: Member) -> str | None:
    """The rep's manager; without one, an admin (TALLY_ADMINS first, then a workspace admin
    Tally knows); None when there is nobody to ask."""
    if rep.manager_id is not None:
        return rep.manager_id
    if deps.admins:
        return min(deps.admins)
    admins = [a for a in workspace_admins(session, rep.team_id) if a != rep.user_id]
    return admins[0] if admins else None


def ask_approval(
    deps: Deps, session: Session, rep: Member, entry: Activity, now: datetime
) -> tuple[str, str] | None:
    """Queue the ask for `entry` in the caller's transaction; the (team, key) to send now."""
    approver = approver_of(deps, session, rep)
    if approver is None:
        return None
    text = say(
        "approval_ask",
        rep_id=rep.user_id,
        what=describe(deps.rules_in(session, entry.team_id).catalog, entry),
        points=entry.points,
        day=day_text(entry),
        note=one_line(entry.note, NOTE_SHOWN),
        amount=deal_text(entry),
    )
    buttons = [
        ButtonElement(
            text="Approve", action_id=Action.APPROVE, value=str(entry.id), style="primary"
        ),
        ButtonElement(text="Reject", action_id=Action.REJECT, value=str(entry.id), style="danger"),
    ]
    return _queue(session, rep.team_id, ASK, approver, entry, message(text, buttons=buttons), now)


def approve(
    ack: Ack,
    action: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    client: WebClient,
    deps: Deps,
) -> None:
    ack()
    entry_id = row_id(action.get("value"))
    outcome = _settle(deps, client, context.team_id, context.user_id, entry_id, True, None)
    respond(replace_original=outcome.replaces, response_type="ephemeral", **outcome.reply)


def ask_reason(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    client: WebClient,
    deps: Deps,
) -> None:
    """Reject asks why first (optional), so the rep learns what to fix."""
    ack()
    entry_id = row_id(action.get("value"))
    refusal = _refusal(deps, client, context.team_id, context.user_id, entry_id)
    if refusal is not None:
        respond(replace_original=refusal.replaces, response_type="ephemeral", **refusal.reply)
        return
    container = body.get("container", {})
    where = {
        "entry": entry_id,
        "channel": container.get("channel_id"),
        "ts": container.get("message_ts"),
    }
    client.views_open(trigger_id=body["trigger_id"], view=_reason_modal(where))


def reject(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    where = _metadata(view)
    state = view.get("state", {}).get("values", {}).get(_REASON, {}).get(_REASON, {})
    reason = " ".join(str(state.get("value") or "").split())[:REASON_LIMIT] or None
    entry_id = row_id(str(where.get("entry")))
    outcome = _settle(deps, client, context.team_id, context.user_id, entry_id, False, reason)
    if not outcome.replaces:
        ack(response_action="errors", errors={_REASON: _plain(outcome.reply["text"])})
        return
    ack()
    channel, ts = where.get("channel"), where.get("ts")
    if isinstance(channel, str) and isinstance(ts, str):
        deps.defer(lambda: _replace(client, channel, ts, outcome.reply))


class _Outcome:
    """What the person who pressed sees; `replaces` when it takes the ask's place."""

    def __init__(self, reply: dict[str, Any], replaces: bool):
        self.reply, self.replaces = reply, replaces


def _refusal(
    deps: Deps, client: WebClient, team_id: str, user_id: str, entry_id: int | None
) -> _Outcome | None:
    """Why this person can't review this entry now, or None when they can."""
    with deps.reads() as session:
        entry = team_entry(session, team_id, entry_id) if entry_id is not None else None
        rep = get_member(session, team_id, entry.user_id) if entry else None
        if entry is None or rep is None:
            return _Outcome(message(say("approval_refused", why="gone")), False)
        if not _may_review(deps, client, rep, user_id):
            return _Outcome(
                message(say("approval_refused", why="not_yours", rep_id=rep.user_id)), False
            )
        if entry.status != PENDING or entry.deleted_at is not None:
            return _Outcome(_settled_reply(deps, session, entry), True)
    return None


def _settle(
    deps: Deps,
    client: WebClient,
    team_id: str,
    user_id: str,
    entry_id: int | None,
    approve: bool,
    reason: str | None,
) -> _Outcome:
    refusal = _refusal(deps, client, team_id, user_id, entry_id)
    if refusal is not None:
        return refusal
    now = deps.clock()
    with deps.sessions.begin() as session:
        entry = pending_entry(session, team_id, entry_id or 0)
        rep = get_member(session, team_id, entry.user_id) if entry else None
        if entry is None or rep is None:
            return _Outcome(message(say("approval_refused", why="gone")), False)
        if not review(session, entry, approve, user_id, reason, now):
            return _Outcome(_settled_reply(deps, session, entry), True)
        rules = deps.rules_in(session, entry.team_id)
        cheer = None
        if approve:
            digest_changed(session, rep, entry.week, now)
            cheer = celebrate(deps, session, rules, rep, entry, now)
        told = say(
            "approval_told",
            approved=approve,
            by=user_id,
            what=describe(rules.catalog, entry),
            points=entry.points,
            day=day_text(entry),
            reason=reason,
        )
        send = _queue(session, team_id, ANSWER, rep.user_id, entry, message(told), now)
        reply = _settled_reply(deps, session, entry)
    deps.send_now([send, cheer] if cheer else [send])
    return _Outcome(reply, True)


def _may_review(deps: Deps, client: WebClient, rep: Member, user_id: str) -> bool:
    """Only the rep's manager or an admin; never the rep about their own claim."""
    if user_id == rep.user_id:
        return False
    if user_id == rep.manager_id:
        return True
    return confirmed_admin(deps, client, member_with_profile(deps, client, rep.team_id, user_id))


def _settled_reply(deps: Deps, session: Session, entry: Activity) -> dict[str, Any]:
    text = say(
        "approval_settled",
        status=entry.status,
        undone=entry.deleted_at is not None,
        by=entry.reviewed_by,
        rep_id=entry.user_id,
        what=describe(deps.rules_in(session, entry.team_id).catalog, entry),
        points=entry.points,
        day=day_text(entry),
        reason=entry.review_reason,
    )
    return message(text)


def _queue(
    session: Session,
    team_id: str,
    kind: str,
    recipient: str,
    entry: Activity,
    payload: dict[str, Any],
    now: datetime,
) -> tuple[str, str]:
    draft = Draft(
        team_id=team_id,
        kind=kind,
        recipient=recipient,
        period=f"entry-{entry.id}",
        text=payload["text"],
        blocks=payload["blocks"],
    )
    enqueue(session, draft, now)
    return team_id, draft.key


def _reason_modal(where: dict[str, Any]) -> dict[str, Any]:
    return View(
        type="modal",
        callback_id=Callback.REJECT_MODAL,
        title="Reject claim",
        submit="Reject",
        close="Cancel",
        private_metadata=json.dumps(where),
        blocks=[
            SectionBlock(text="The rep gets a DM that it won't count, with your reason."),
            InputBlock(
                block_id=_REASON,
                label="Reason",
                optional=True,
                element=PlainTextInputElement(
                    action_id=_REASON,
                    multiline=True,
                    max_length=REASON_LIMIT,
                    placeholder="Not closed yet: no signed order form",
                ),
            ),
        ],
    ).to_dict()


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _plain(text: str) -> str:
    return text.replace("*", "").replace("_", "")


def _replace(client: WebClient, channel: str, ts: str, payload: dict[str, Any]) -> None:
    """The ask becomes its outcome, so its buttons can't be pressed again."""
    try:
        client.chat_update(channel=channel, ts=ts, **payload)
    except (SlackApiError, SlackRequestError):
        log.warning("could not update the approval ask %s/%s", channel, ts, exc_info=True)
