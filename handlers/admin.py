"""`/tally admin …`: what only admins do from Slack — the settings form and its log, and
forgetting a person after they saw what goes and pressed **Forget** (as `tally forget` does)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import ButtonElement

from handlers.admin_api_keys import answer_api_keys
from handlers.admin_settings import open_settings, settings_log
from handlers.deps import Deps
from handlers.ids import Action
from handlers.people import confirmed_admin, member_with_profile, parse_mentions, user_id_in
from handlers.render import message, say
from storage.forget import footprint, forget


def register(app: App) -> None:
    app.action(Action.FORGET_CONFIRM)(confirm_forget)
    app.action(Action.FORGET_CANCEL)(cancel_forget)


def answer_admin(
    deps: Deps, client: WebClient, team_id: str, user_id: str, rest: str, trigger_id: str = ""
) -> dict[str, Any] | None:
    """Admins get what they asked for; everyone else one refusal, whatever they typed. None:
    the settings form opened, and nothing more needs saying."""
    caller = member_with_profile(deps, client, team_id, user_id)
    if not confirmed_admin(deps, client, caller):
        return message(say("admin_refused"))
    words = rest.split()
    asked = [word.lower() for word in words[:2]]
    if asked in ([], ["settings"]):
        problem = open_settings(deps, client, team_id, trigger_id)
        return message(problem) if problem else None
    if asked == ["log"]:
        return settings_log(deps, team_id, caller.tz)
    if asked[0] == "api-key":
        return answer_api_keys(
            deps, team_id, user_id, rest.split(None, 1)[1] if len(words) > 1 else ""
        )
    if asked[0] != "forget":
        return message(say("admin_help", asked_forget=False))
    mentions = parse_mentions(" ".join(words[1:]))
    if len(mentions.user_ids) != 1 or mentions.unresolved or mentions.rest:
        return message(say("admin_help", asked_forget=True))
    [whom] = mentions.user_ids
    with deps.reads() as session:
        found = footprint(session, team_id, whom)
    if found.empty:
        return message(say("admin_forget", whom=whom, what=None))
    buttons = [
        ButtonElement(text="Forget", action_id=Action.FORGET_CONFIRM, value=whom, style="danger"),
        ButtonElement(text="Cancel", action_id=Action.FORGET_CANCEL, value=whom),
    ]
    return message(say("admin_forget", whom=whom, what=found.describe()), buttons=buttons)


def confirm_forget(
    ack: Ack,
    action: dict[str, Any],
    context: BoltContext,
    respond: Respond,
    client: WebClient,
    deps: Deps,
) -> None:
    """Admin rights are checked again on the press: the question may have been forwarded."""
    ack()
    team_id = context.team_id
    caller = member_with_profile(deps, client, team_id, context.user_id)
    if not confirmed_admin(deps, client, caller):
        respond(replace_original=False, response_type="ephemeral", **message(say("admin_refused")))
        return
    whom = user_id_in(action.get("value"))
    what = "nothing"
    if whom is not None:
        with deps.sessions.begin() as session:
            what = forget(session, team_id, whom).describe()
    respond(replace_original=True, **message(say("admin_forgot", whom=whom, what=what)))


def cancel_forget(ack: Ack, action: dict[str, Any], respond: Respond) -> None:
    ack()
    whom = user_id_in(action.get("value"))
    respond(replace_original=True, **message(say("admin_forgot", whom=whom, what=None)))
