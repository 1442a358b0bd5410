"""Editing an entry: `/log edit` (the newest one) or **Edit** beside it on the Home opens it in the
log form; saving replaces it.

A replacement is an undo and a new entry in one transaction, so every total, the week it falls
in and the manager's digest follow the same arithmetic as logging and undoing do. Only its
author, their manager or an admin may edit an entry; the check runs again on Save.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.home import home_changed
from handlers.ids import Action, Callback, row_id
from handlers.log_modal import form_metadata, log_modal, read_form, result_view
from handlers.people import confirmed_admin, member_with_profile
from handlers.recording import entry_undone, idempotency_key, logged_message, record_entry
from handlers.render import message, say
from scoring.deal_amounts import DealAmount
from scoring.weeks import local_date
from storage.activities import undo_activity
from storage.members import get_member
from storage.models import Activity, Member
from storage.recent import entry_by_key, recent_entries, team_entry


def register(app: App) -> None:
    app.action(Action.EDIT_ENTRY)(edit_from_home)
    app.view(Callback.EDIT_MODAL)(save_edit)


def edit_form(deps: Deps, session: Session, member: Member, entry: Activity) -> dict[str, Any]:
    catalog = deps.rules_in(session, member.team_id).catalog
    amount = DealAmount(entry.amount, entry.currency or "") if entry.amount is not None else None
    return log_modal(
        catalog,
        local_date(deps.clock(), member.tz),
        guess=catalog.get(entry.activity_key),
        count=entry.count,
        note=entry.note,
        amount=amount,
        day=entry.local_day,
        edit=entry.id,
    )


def latest_form(deps: Deps, member: Member) -> dict[str, Any] | str:
    """`/log edit`: the form holding their newest entry, or why there is nothing to edit."""
    with deps.reads() as session:
        latest = recent_entries(session, member.team_id, member.user_id, 1)
        return edit_form(deps, session, member, latest[0]) if latest else say("nothing_to_edit")


def edit_from_home(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    deps: Deps,
) -> None:
    ack()
    member = member_with_profile(deps, client, context.team_id, context.user_id)
    entry_id = row_id(action.get("value"))
    with deps.reads() as session:
        entry = team_entry(session, member.team_id, entry_id) if entry_id is not None else None
        if entry is None or entry.deleted_at is not None or entry.user_id != member.user_id:
            view = result_view(message(say("edit_refused"))["blocks"], "Edit entry")
        else:
            view = edit_form(deps, session, member, entry)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def save_edit(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    team_id, user_id = context.team_id, context.user_id
    caller = member_with_profile(deps, client, team_id, user_id)
    entry_id = row_id(form_metadata(view).get("edit"))
    with deps.reads() as session:
        entry = team_entry(session, team_id, entry_id) if entry_id is not None else None
        author = get_member(session, team_id, entry.user_id) if entry is not None else None
        rules = deps.rules_in(session, team_id)
    if entry is None or author is None or not _may_edit(deps, client, caller, author):
        ack(response_action="update", view=_answer(say("edit_refused")))
        return
    parsed, errors = read_form(
        view["state"]["values"], rules.catalog, local_date(deps.clock(), author.tz)
    )
    if parsed is None:
        ack(response_action="errors", errors=errors)
        return
    key = idempotency_key("edit", user_id, view["id"])
    now = deps.clock()
    sends: list[tuple[str, str]] = []
    with deps.sessions.begin() as session:
        old = undo_activity(session, team_id, author.user_id, entry.id, now)
        if old is None and entry_by_key(session, team_id, key) is None:
            ack(response_action="update", view=_answer(say("edit_refused")))
            return  # undone meanwhile: there is nothing left to replace
        if old is not None:
            sends += entry_undone(session, author, old, now)
        logged = record_entry(
            deps, session, author, rules, parsed, source="edit", key=key, logged_by=user_id
        )
        sends += logged.to_send
        receipt = logged_message(deps, logged)
    ack(response_action="update", view=result_view(receipt["blocks"], "Saved"))
    if sends:
        deps.send_now(sends)
    home_changed(deps, client, author)


def _may_edit(deps: Deps, client: WebClient, caller: Member, author: Member) -> bool:
    if caller.user_id in (author.user_id, author.manager_id):
        return True
    return confirmed_admin(deps, client, caller)


def _answer(text: str) -> dict[str, Any]:
    return result_view(message(text)["blocks"], "Edit entry")
