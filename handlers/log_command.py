"""`/log`: the two-second path from "I just did a demo" to points on the board."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.entry_edits import latest_form
from handlers.home import home_changed
from handlers.log_modal import log_modal
from handlers.people import (
    fetch_profile,
    in_one_transaction,
    member_with_profile,
    profile_is_stale,
)
from handlers.recording import (
    Logged,
    entry_undone,
    idempotency_key,
    logged_message,
    record_entry,
    undone_message,
)
from handlers.render import message, say
from handlers.reports import week_report
from handlers.slack_text import to_plain
from scoring.parser import LogParseError, parse_log_text
from scoring.rules import ScoringRules
from scoring.weeks import local_date
from storage.activities import undo_latest
from storage.models import Member


def register(app: App) -> None:
    app.command("/log")(answer_log)


def answer_log(ack: Ack, command: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """Everything the rep reads comes back in the ack itself: no Web API call on the common path."""
    text = to_plain(command.get("text", "")).strip()
    team_id, user_id = command["team_id"], command["user_id"]
    word = text.lower()
    if word == "help":
        with deps.reads() as session:
            rules = deps.rules_in(session, team_id)
        catalog, goal = rules.catalog, rules.weekly_goal
        ack(response_type="ephemeral", **message(say("log_help", catalog=catalog, goal=goal)))
        return
    if word not in ("", "undo", "edit"):
        key = idempotency_key("cmd", user_id, command["trigger_id"])
        member, logged = in_one_transaction(
            deps, client, team_id, user_id, lambda s, m, r: _log_text(deps, s, m, r, text, key)
        )
        if isinstance(logged, Logged):  # the receipt is drawn once the entry has committed
            ack(response_type="ephemeral", **logged_message(deps, logged))
            if logged.to_send:
                deps.send_now(logged.to_send)
            home_changed(deps, client, member)
        else:
            ack(response_type="ephemeral", **message(logged))
        if profile_is_stale(deps, member):
            deps.defer(lambda: fetch_profile(deps, client, team_id, user_id))
        return
    if word == "undo":
        member, (reply, sends) = in_one_transaction(
            deps, client, team_id, user_id, lambda s, m, r: _undo_latest(deps, s, m, r)
        )
        ack(response_type="ephemeral", **reply)
        if sends:
            deps.send_now(sends)
        home_changed(deps, client, member)
        return
    member = member_with_profile(deps, client, team_id, user_id)
    if word == "edit":
        form = latest_form(deps, member)
        if isinstance(form, str):
            ack(response_type="ephemeral", **message(form))
            return
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=form)
        return
    if not text:
        ack()
        today = local_date(deps.clock(), member.tz)
        with deps.reads() as session:
            catalog = deps.rules_in(session, team_id).catalog
        client.views_open(
            trigger_id=command["trigger_id"],
            view=log_modal(catalog, today, channel_id=command.get("channel_id")),
        )
        return


def _log_text(
    deps: Deps, session: Session, member: Member, rules: ScoringRules, text: str, key: str
) -> Logged | str:
    """What was logged (its receipt and follow-ups come once the transaction commits), or why
    the text logs nothing."""
    try:
        parsed = parse_log_text(text, rules.catalog, local_date(deps.clock(), member.tz))
    except LogParseError as error:
        return say("parse_error", message=error.message)
    return record_entry(
        deps, session, member, rules, parsed, source="slash", key=key, logged_by=member.user_id
    )


def _undo_latest(
    deps: Deps, session: Session, member: Member, rules: ScoringRules
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    now = deps.clock()
    entry = undo_latest(session, member.team_id, member.user_id, now)
    if entry is None:
        return message(say("nothing_to_undo")), []
    report = week_report(session, rules, member, now)
    return undone_message(rules, entry, report), entry_undone(session, member, entry, now)
