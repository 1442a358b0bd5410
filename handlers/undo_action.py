"""The Undo button on a log receipt, in a message or in the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.home import home_changed, refresh_home
from handlers.ids import Action, row_id
from handlers.log_modal import result_view
from handlers.recording import entry_undone, undone_message
from handlers.render import message, say
from handlers.reports import week_report
from storage.activities import undo_activity
from storage.members import get_member


def register(app: App) -> None:
    app.action(Action.UNDO)(undo_entry)


def undo_entry(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    client: WebClient,
    deps: Deps,
) -> None:
    ack()
    team_id, user_id = context.team_id, context.user_id
    now = deps.clock()
    reply, sends, undone = message(say("undo_gone")), [], False
    if (entry_id := row_id(action.get("value"))) is not None:
        with deps.sessions.begin() as session:
            entry = undo_activity(session, team_id, user_id, entry_id, now)
            member = get_member(session, team_id, user_id)
            if entry is not None and member is not None:
                rules = deps.rules_in(session, team_id)
                reply = undone_message(rules, entry, week_report(session, rules, member, now))
                sends, undone = entry_undone(session, member, entry, now), True
    if sends:
        deps.send_now(sends)
    view = body.get("view") or {}
    if view.get("type") == "home":
        deps.defer(lambda: refresh_home(deps, client, team_id, user_id, reply["text"]))
        return
    if undone:
        home_changed(deps, client, member)
    if body.get("container", {}).get("type") == "view":
        client.views_update(view_id=view["id"], view=result_view(reply["blocks"], "Undone"))
    else:
        respond(replace_original=True, response_type="ephemeral", **reply)
