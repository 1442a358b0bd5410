"""The *Mark reviewed* and *Snooze 7 days* buttons of a plan reminder.

A click changes only the plan's own line in the reminder, so the owner sees what they did and
can keep working through the rest of the list.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from handlers.deps import Deps
from handlers.digest_changes import plans_changed
from handlers.home import home_changed, refresh_home
from handlers.ids import Action, row_id
from handlers.people import member_with_profile
from handlers.plans import day_label, plan_view
from handlers.reminders import HEADER_BLOCK, plan_actions_block_id, plan_block_id
from handlers.render import say
from scoring.plans import SNOOZE_DAYS
from scoring.weeks import local_date
from storage.plans import get_plan, mark_reviewed, snooze

ALL_DONE = ":tada: *All caught up* — every plan in this reminder is reviewed or snoozed."


def register(app: App) -> None:
    app.action(Action.PLAN_REVIEWED)(_button("reviewed"))
    app.action(Action.PLAN_SNOOZE)(_button("snoozed"))


def _button(change: str) -> Callable[..., None]:
    """The listener for one of the reminder's two buttons; both update the reminder in place."""

    def press(
        ack: Ack,
        body: dict[str, Any],
        action: dict[str, Any],
        context: BoltContext,
        respond: Respond,
        client: WebClient,
        deps: Deps,
    ) -> None:
        ack()
        _change_plan(body, action, context, respond, client, deps, change)

    press.__name__ = f"plan_{change}"
    return press


def _change_plan(
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    client: WebClient,
    deps: Deps,
    what: str,
) -> None:
    team_id, user_id = context.team_id, context.user_id
    plan_id = row_id(action.get("value"))
    on_home = (body.get("view") or {}).get("type") == "home"
    with deps.reads() as session:
        plan = get_plan(session, team_id, user_id, plan_id) if plan_id is not None else None
    if plan is None or plan_id is None:
        # The same words whether the plan is someone else's, another team's or gone.
        refused = say("plan_action_refused")
        if on_home:
            deps.defer(lambda: refresh_home(deps, client, team_id, user_id, refused))
            return
        respond(text=refused, response_type="ephemeral", replace_original=False)
        return
    line = say("plan_action_done", what="gone")
    owner = member_with_profile(deps, client, team_id, user_id)
    today = local_date(deps.clock(), owner.tz)
    with deps.sessions.begin() as session:
        if what == "reviewed":
            changed = mark_reviewed(session, team_id, user_id, plan.id, today)
            day = "today"
        else:
            until = today + timedelta(days=SNOOZE_DAYS)
            changed = snooze(session, team_id, user_id, plan.id, until)
            day = day_label(until)
        if changed is not None:
            plans_changed(session, owner, deps.clock())
            view = plan_view(changed, today)
            line = say("plan_action_done", what=what, account=view.account, day=day, due=view.due)
    if on_home:
        deps.defer(lambda: refresh_home(deps, client, team_id, user_id, line))
        return
    home_changed(deps, client, owner)
    original = body.get("message")
    if not original:
        respond(text=line, response_type="ephemeral", replace_original=False)
        return
    respond(
        text=original.get("text") or line,
        blocks=updated_blocks(original.get("blocks") or [], plan_id, line),
        replace_original=True,
    )


def updated_blocks(blocks: list[dict[str, Any]], plan_id: int, line: str) -> list[dict[str, Any]]:
    """The reminder with this plan's buttons gone and its line saying what happened."""
    done = SectionBlock(block_id=plan_block_id(plan_id), text=MarkdownTextObject(text=line))
    result, replaced = [], False
    for block in blocks:
        block_id = block.get("block_id")
        if block_id == plan_block_id(plan_id):
            result.append(done.to_dict())
            replaced = True
        elif block_id != plan_actions_block_id(plan_id):
            result.append(copy.deepcopy(block))
    if not replaced:
        result.append(done.to_dict())
    if not any(b.get("type") == "actions" for b in result):
        for block in result:
            if block.get("block_id") == HEADER_BLOCK:
                block["text"] = {"type": "mrkdwn", "text": ALL_DONE}
    return result
