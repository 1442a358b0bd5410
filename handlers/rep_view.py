"""The **View** button beside a rep on a manager's Home or digest: that rep's week in a modal,
behind the same check as `/tally @rep`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers.deps import Deps
from handlers.ids import Action
from handlers.log_modal import result_view
from handlers.people import member_with_profile, user_id_in
from handlers.render import say, sections
from handlers.tally_command import rep_week


def register(app: App) -> None:
    app.action(Action.VIEW_REP)(view_rep)


def view_rep(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    deps: Deps,
) -> None:
    ack()
    caller = member_with_profile(deps, client, context.team_id, context.user_id)
    rep_id = user_id_in(action.get("value"))
    text = rep_week(deps, client, caller, rep_id) if rep_id else say("week_gone")
    blocks = [b.to_dict() for b in sections(text)]
    client.views_open(trigger_id=body["trigger_id"], view=result_view(blocks, title="Rep's week"))
