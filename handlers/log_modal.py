"""The log form: opened by `/log`, the "Log as activity" message shortcut and App Home."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
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
from handlers.home import home_changed
from handlers.ids import Action, Callback, Field
from handlers.people import member_with_profile
from handlers.recording import idempotency_key, logged_message, record_entry
from handlers.slack_text import shortened, storable, to_plain
from scoring.catalog import ActivityType, Catalog
from scoring.parser import (
    MAX_COUNT,
    MAX_NOTE_LENGTH,
    DealAmount,
    LogParseError,
    ParsedLog,
    check_day,
    check_note,
    guess_from_message,
    parse_amount,
)
from scoring.weeks import local_date

SOURCES = frozenset({"modal", "shortcut"})
_COUNT = re.compile(r"[0-9]{1,3}")  # ASCII digits only: "²" and "٣" pass str.isdigit()
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
    count: int = 1,
    amount: DealAmount | None = None,
    day: date | None = None,
    edit: int | None = None,
) -> dict[str, Any]:
    """The form, prefilled with what is already known (from a message, for the shortcut; the
    entry itself, for `edit`, whose id the form carries back)."""
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
                initial_value=str(count),
                min_value="1",
                max_value=str(MAX_COUNT),
            ),
        ),
        InputBlock(
            block_id=Field.DAY,
            label="When",
            element=DatePickerElement(action_id=Field.DAY, initial_date=(day or today).isoformat()),
            hint="Up to 7 days back.",
        ),
        InputBlock(
            block_id=Field.NOTE,
            label="Note",
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.NOTE,
                multiline=True,
                max_length=MAX_NOTE_LENGTH,
                initial_value=shortened(note, MAX_NOTE_LENGTH) or None,
                placeholder="Account, who you spoke to…",
            ),
        ),
        InputBlock(
            block_id=Field.AMOUNT,
            label="Deal amount",
            optional=True,
            element=PlainTextInputElement(
                action_id=Field.AMOUNT,
                placeholder="$12,500",
                initial_value=str(amount) if amount else None,
            ),
            hint="For closed-won deals: $12,500, €9k, 9,000 GBP.",
        ),
    ]
    where: dict[str, Any] = {"source": source, "channel": channel_id}
    if edit is not None:
        where["edit"] = str(edit)
    view = View(
        type="modal",
        callback_id=Callback.EDIT_MODAL if edit is not None else Callback.LOG_MODAL,
        title="Edit entry" if edit is not None else "Log activity",
        submit="Save" if edit is not None else "Log it",
        close="Cancel",
        private_metadata=json.dumps(where),
        blocks=blocks,
    )
    return view.to_dict()


def open_from_message(ack: Ack, shortcut: dict[str, Any], client: WebClient, deps: Deps) -> None:
    ack()
    text = to_plain(shortcut.get("message", {}).get("text", ""))
    member = member_with_profile(deps, client, shortcut["team"]["id"], shortcut["user"]["id"])
    today = local_date(deps.clock(), member.tz)
    with deps.reads() as session:
        catalog = deps.rules_in(session, member.team_id).catalog
    guess = guess_from_message(text, catalog)
    client.views_open(
        trigger_id=shortcut["trigger_id"],
        view=log_modal(
            catalog,
            today,
            channel_id=shortcut.get("channel", {}).get("id"),
            source="shortcut",
            note=text,
            guess=guess.activity,
            count=guess.count or 1,
            amount=guess.amount,
            day=today - timedelta(days=1) if guess.yesterday else None,
        ),
    )


def open_from_home(
    ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    ack()
    member = member_with_profile(deps, client, context.team_id, context.user_id)
    with deps.reads() as session:
        catalog = deps.rules_in(session, member.team_id).catalog
    client.views_open(
        trigger_id=body["trigger_id"],
        view=log_modal(catalog, local_date(deps.clock(), member.tz)),
    )


def _value(values: dict[str, Any], field: Field) -> str:
    """What the person entered in `field`, as text ("" when empty or not text at all)."""
    state = values.get(field, {}).get(field, {})
    if state.get("type") == "static_select":
        value = (state.get("selected_option") or {}).get("value")
    elif state.get("type") == "datepicker":
        value = state.get("selected_date")
    else:
        value = state.get("value")
    return storable(value).strip() if isinstance(value, str) else ""


def read_form(
    values: dict[str, Any], catalog: Catalog, today: date
) -> tuple[ParsedLog | None, dict[str, str]]:
    """Validate each field on its own so Slack can show the error under the right input."""
    errors: dict[str, str] = {}
    activity = catalog.get(_value(values, Field.ACTIVITY))
    if activity is None:
        errors[Field.ACTIVITY] = "Pick an activity from the list."
    raw_count = _value(values, Field.COUNT)
    count = int(raw_count) if _COUNT.fullmatch(raw_count) else 0
    if not 1 <= count <= MAX_COUNT:
        errors[Field.COUNT] = f"Enter a whole number from 1 to {MAX_COUNT}."
    day, problem = _form_day(_value(values, Field.DAY), today)
    if problem:
        errors[Field.DAY] = problem
    note = _value(values, Field.NOTE)
    if problem := check_note(note):
        errors[Field.NOTE] = problem
    amount = None
    if raw_amount := _value(values, Field.AMOUNT):
        try:
            amount = parse_amount(raw_amount)
        except LogParseError as error:
            errors[Field.AMOUNT] = error.message
    if errors or activity is None:
        return None, errors
    return ParsedLog(
        activity=activity,
        count=count,
        note=note,
        amount=amount,
        day=None if day == today else day,
    ), {}


def _form_day(raw: str, today: date) -> tuple[date, str | None]:
    """The picked day and why it can't be logged, if it can't (a forged or garbled value
    included: the date picker itself only sends YYYY-MM-DD)."""
    if not raw:
        return today, None
    try:
        day = date.fromisoformat(raw) if _ISO_DAY.fullmatch(raw) else None
    except ValueError:
        day = None
    if day is None:
        return today, "Pick a day from the calendar."
    return day, check_day(day, today)


def form_metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _source(view: dict[str, Any]) -> str:
    """Which surface opened the form, from its private_metadata; "modal" if that is unreadable."""
    source = form_metadata(view).get("source")
    return source if source in SOURCES else "modal"


def submit_log(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    team_id, user_id = context.team_id, context.user_id
    member = member_with_profile(deps, client, team_id, user_id)
    today = local_date(deps.clock(), member.tz)
    with deps.reads() as session:
        rules = deps.rules_in(session, team_id)
    parsed, errors = read_form(view["state"]["values"], rules.catalog, today)
    if parsed is None:
        ack(response_action="errors", errors=errors)
        return
    with deps.sessions.begin() as session:
        logged = record_entry(
            deps,
            session,
            member,
            rules,
            parsed,
            source=_source(view),
            key=idempotency_key("view", user_id, view["id"]),
            logged_by=user_id,
        )
    ack(response_action="update", view=result_view(logged_message(deps, logged)["blocks"]))
    if logged.to_send:
        deps.send_now(logged.to_send)
    home_changed(deps, client, member)


def result_view(blocks: list[dict[str, Any]], title: str = "Logged") -> dict[str, Any]:
    """The form turns into its own receipt, Undo included, so nothing else needs posting."""
    return View(type="modal", title=title, close="Done", blocks=blocks).to_dict()
