"""App Home: the rep's week at a glance every time they open Tally."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from slack_sdk.models.views import View

from handlers.deps import Deps
from handlers.ids import Action
from handlers.people import member_with_profile
from handlers.render import say, sections
from handlers.reports import week_report


def register(app: App) -> None:
    app.event("app_home_opened")(publish_home)


def publish_home(
    event: dict[str, Any], context: dict[str, Any], client: WebClient, deps: Deps
) -> None:
    """Slack retries an event not answered in 3 s: answer first, publish after."""
    if event.get("tab", "home") == "home":
        team_id, user_id = context["team_id"], event["user"]
        deps.defer(lambda: _publish(deps, client, team_id, user_id))


def _publish(deps: Deps, client: WebClient, team_id: str, user_id: str) -> None:
    member = member_with_profile(deps, client, team_id, user_id)
    with deps.reads() as session:
        rules = deps.rules_in(session, team_id)
        report = week_report(session, rules, member, deps.clock())
    blocks = sections(say("week", report=report, whose=None, window=rules.goal_window))
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(text="Log activity", action_id=Action.OPEN_LOG_MODAL, style="primary")
            ]
        )
    )
    blocks += sections(say("tally_help"))
    client.views_publish(user_id=user_id, view=View(type="home", blocks=blocks).to_dict())
