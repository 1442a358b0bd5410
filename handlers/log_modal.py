"""The log form: opened by `/log`, the "Log as activity" message shortcut and App Home."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    DatePickerElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from handlers.deps import Deps
from handlers.digest import refresh_sent_digest
from handlers.ids import Action, Callback, Field
from handlers.people import member_with_profile
from handlers.recording import logged_message, record_entry
from handlers.slack_text import to_plain
from scoring.catalog import ActivityType, Catalog
from scoring.parser import LogParseError, ParsedLog, check_day, guess_activity, parse_amount
from scoring.weeks import local_date

NOTE_LIMIT = 3000
MAX_COUNT = 500


def register(app: App) -> None:
    app.view(Callback.LOG_MODAL)(submit_log)
    app.shortcut(Callback.LOG_SHORTCUT)(open_from_message)
    app.action(Action.OPEN_LOG_MODAL)(open_from_home)


def _option(activity: ActivityType) -> Option:
    return Option(value=activity.key, text=f"{activity.label} ({activity.points} pts)")


def log_modal(
    catalog: Catalog,
    today: date,
    *,
    channel_id: str | None = None,
    source: str = "modal",
    note: str = "",
    guess: ActivityType | None = None,
) -> dict[str, Any]:
    options = [_option(a) for a in catalog]
    blocks = [
        InputBlock(
            block_id=Field.ACTIVITY,
            label="Activity",
            element=StaticSelectElement(
                action_id=Field.ACTIVITY,
                placeholder="What did you do?",
                options=options[:100],
                initial_option=_option(guess) if guess else None,
            ),
        ),
        InputBlock(
            block_id=Field.COUNT,
            label="How many",
            element=NumberInputElement(
                action_id=Field.COUNT,
                is_decimal_allowed=False,
                initial_value="1",
                min_value="1",
                max_value=str(MAX_COUNT),
            ),
        ),
        InputBlock(
            block_id=Field.DAY,
            label="When",
            element=DatePickerElement(action_id=Field.DAY, initial_date=today.isoformat()),
            hint="Up to 7 days back.",
        ),
        InputBlock(
            block_id=Field.NOTE,
            label="Note",
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.NOTE,
                multiline=True,
                max_length=NOTE_LIMIT,
                initial_value=note[:NOTE_LIMIT] or None,
                placeholder="Account, who you spoke to…",
            ),
        ),
        InputBlock(
            block_id=Field.AMOUNT,
            label="Deal amount",
            optional=True,
            element=PlainTextInputElement(action_id=Field.AMOUNT, placeholder="$12,500"),
            hint="For closed-won deals.",
        ),
    ]
    view = View(
        type="modal",
        callback_id=Callback.LOG_MODAL,
        title="Log activity",
        submit="Log it",
        close="Cancel",
        private_metadata=json.dumps({"source": source, "channel": channel_id}),
        blocks=blocks,
    )
    return view.to_dict()


def open_from_message(ack: Ack, shortcut: dict[str, Any], client: WebClient, deps: Deps) -> None:
    ack()
    text = to_plain(shortcut.get("message", {}).get("text", ""))
    member = member_with_profile(deps, client, shortcut["team"]["id"], shortcut["user"]["id"])
    client.views_open(
        trigger_id=shortcut["trigger_id"],
        view=log_modal(
            deps.rules.catalog,
            local_date(deps.clock(), member.tz),
            channel_id=shortcut.get("channel", {}).get("id"),
            source="shortcut",
            note=text,
            guess=guess_activity(text, deps.rules.catalog),
        ),
    )


def open_from_home(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    member = member_with_profile(deps, client, context.team_id, context.user_id)
    client.views_open(
        trigger_id=body["trigger_id"],
        view=log_modal(deps.rules.catalog, local_date(deps.clock(), member.tz)),
    )


def _value(values: dict[str, Any], field: Field) -> Any:
    state = values.get(field, {}).get(field, {})
    if state.get("type") == "static_select":
        option = state.get("selected_option")
        return option["value"] if option else None
    if state.get("type") == "datepicker":
        return state.get("selected_date")
    return state.get("value")


def read_form(
    values: dict[str, Any], catalog: Catalog, today: date
) -> tuple[ParsedLog | None, dict[str, str]]:
    """Validate each field on its own so Slack can show the error under the right input."""
    errors: dict[str, str] = {}
    activity = catalog.get(_value(values, Field.ACTIVITY) or "")
    if activity is None:
        errors[Field.ACTIVITY] = "Pick an activity from the list."
    raw_count = (_value(values, Field.COUNT) or "").strip()
    count = int(raw_count) if raw_count.isdigit() else 0
    if not 1 <= count <= MAX_COUNT:
        errors[Field.COUNT] = f"Enter a whole number from 1 to {MAX_COUNT}."
    raw_day = _value(values, Field.DAY)
    day = date.fromisoformat(raw_day) if raw_day else today
    if problem := check_day(day, today):
        errors[Field.DAY] = problem
    amount = None
    raw_amount = (_value(values, Field.AMOUNT) or "").strip()
    if raw_amount:
        try:
            amount = parse_amount(raw_amount)
        except LogParseError as error:
            errors[Field.AMOUNT] = error.message
    if errors or activity is None:
        return None, errors
    note = (_value(values, Field.NOTE) or "").strip()
    return ParsedLog(
        activity=activity,
        count=count,
        note=note,
        amount=amount,
        day=None if day == today else day,
    ), {}


def submit_log(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    team_id, user_id = context.team_id, context.user_id
    member = member_with_profile(deps, client, team_id, user_id)
    today = local_date(deps.clock(), member.tz)
    parsed, errors = read_form(view["state"]["values"], deps.rules.catalog, today)
    if parsed is None:
        ack(response_action="errors", errors=errors)
        return
    source = json.loads(view.get("private_metadata") or "{}").get("source", "modal")
    with deps.sessions.begin() as session:
        logged = record_entry(
            deps,
            session,
            member,
            parsed,
            source=source,
            key=f"view:{view['id']}",
            logged_by=user_id,
        )
    ack(response_action="update", view=result_view(logged_message(deps, logged)["blocks"]))
    deps.defer(lambda: refresh_sent_digest(deps, team_id, user_id, logged.entry.week))


def result_view(blocks: list[dict[str, Any]], title: str = "Logged") -> dict[str, Any]:
    """The form turns into its own receipt, Undo included, so nothing else needs posting."""
    return View(type="modal", title=title, close="Done", blocks=blocks).to_dict()
