"""The Accept and Decline buttons of a team invitation, and the DMs around it.

A manager sees a rep's week only after the rep accepted, so nobody is put on a team unasked.
Only the invited rep can answer; the invitation message is updated in place with the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import ButtonElement
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.ids import Action, row_id
from handlers.render import message, say
from storage.invites import ACCEPTED, DECLINED, PENDING, WITHDRAWN, invite_for_rep, settle
from storage.members import get_member, managers_above, set_manager
from storage.models import TeamInvite

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.action(Action.TEAM_INVITE_ACCEPT)(_answer_with(accept=True))
    app.action(Action.TEAM_INVITE_DECLINE)(_answer_with(accept=False))


def send_dm(client: WebClient, user_id: str, payload: dict[str, Any]) -> bool:
    """Open the DM and post, as the outbox does; False (and logged) when Slack won't."""
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, **payload)
    except (SlackApiError, SlackRequestError):
        log.warning("could not DM %s", user_id, exc_info=True)
        return False
    return True


def invitation(
    invite_id: int, manager_id: str, start: date | None, current_manager: str | None
) -> dict[str, Any]:
    """The DM a rep answers: who asks, what they would see, and the two buttons."""
    text = say(
        "team_invite",
        manager_id=manager_id,
        start=f"{start:%-d %b %Y}" if start else None,
        current_manager=current_manager,
    )
    buttons = [
        ButtonElement(
            text="Accept",
            action_id=Action.TEAM_INVITE_ACCEPT,
            value=str(invite_id),
            style="primary",
        ),
        ButtonElement(text="Decline", action_id=Action.TEAM_INVITE_DECLINE, value=str(invite_id)),
    ]
    return message(text, buttons=buttons)


def _answer_with(accept: bool) -> Callable[..., None]:
    """The listener of one of the invitation's two buttons; both settle it the same way."""

    def press(
        ack: Ack,
        action: dict[str, Any],
        context: BoltContext,
        respond: Respond,
        client: WebClient,
        deps: Deps,
    ) -> None:
        ack()
        _answer(action, context, respond, client, deps, accept=accept)

    press.__name__ = "accept_invite" if accept else "decline_invite"
    return press


def _answer(
    action: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    client: WebClient,
    deps: Deps,
    accept: bool,
) -> None:
    team_id, rep_id = context.team_id, context.user_id
    invite_id = row_id(action.get("value"))
    with deps.sessions.begin() as session:
        invite = invite_for_rep(session, team_id, invite_id, rep_id) if invite_id else None
        if invite is not None:
            outcome, left = _settle(session, deps, invite, accept)
            manager_id = invite.manager_id
    if invite is None:
        refusal = say("team_invite_not_yours")
        respond(text=refusal, response_type="ephemeral", replace_original=False)
        return
    answered = say("team_invite_answered", outcome=outcome, manager_id=manager_id, left=left)
    respond(replace_original=True, **message(answered))
    if outcome in (ACCEPTED, DECLINED, "cycle"):
        deps.defer(lambda: _tell_managers(client, rep_id, manager_id, outcome, left))


def _settle(
    session: Session, deps: Deps, invite: TeamInvite, accept: bool
) -> tuple[str, str | None]:
    """(what happened, the manager the rep left); the chain is checked again on accept, as it
    may have changed while the invitation waited."""
    now = deps.clock()
    if invite.status != PENDING:
        return f"already {invite.status}", None
    if accept and invite.rep_id in managers_above(session, invite.team_id, invite.manager_id):
        settle(session, invite, WITHDRAWN, now)
        return "cycle", None
    if not settle(session, invite, ACCEPTED if accept else DECLINED, now):
        return f"already {invite.status}", None
    if not accept:
        return DECLINED, None
    rep = get_member(session, invite.team_id, invite.rep_id)
    left = rep.manager_id if rep is not None and rep.manager_id != invite.manager_id else None
    set_manager(
        session, invite.team_id, invite.rep_id, invite.manager_id, invite.onboarding_start, now
    )
    return ACCEPTED, left


def _tell_managers(
    client: WebClient, rep_id: str, manager_id: str, outcome: str, left: str | None
) -> None:
    """The asking manager hears the answer; a manager the rep left hears where they went."""
    send_dm(client, manager_id, message(say("team_invite_outcome", rep_id=rep_id, outcome=outcome)))
    if left:
        send_dm(client, left, message(say("team_rep_moved", rep_id=rep_id, manager_id=manager_id)))
