"""`/tally admin`: the settings modal — goal, goal weeks, board and celebration channels,
schedule and the points table — and `/tally admin log`, who changed what.

The form always carries every setting, so a submission says the whole of what the admin wants;
only what differs from TALLY_CONFIG is stored, and a later change to a default still reaches a
team that never touched that setting.
"""

from __future__ import annotations

import re
from dataclasses import replace as with_changes
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from handlers.deps import Deps
from handlers.ids import Callback, SettingsField
from handlers.log_modal import result_view
from handlers.people import confirmed_admin, member_with_profile
from handlers.render import message, say, sections
from handlers.slack_text import storable
from scoring.catalog import words
from scoring.rules import ScoringRules
from scoring.schedule import parse_slot
from scoring.team_settings import SCHEDULED, Defaults, NewActivity, TeamSettings, changes
from scoring.weeks import zone
from storage.team_settings import recent_changes, save_settings, settings_of

MAX_GOAL = 100_000
MAX_POINTS = 1_000
MAX_WEEK = 104
# Each activity is one input; with the rest of the form this keeps the modal under Slack's 100.
MAX_ACTIVITIES = 60
LOG_LINES = 20
_NUMBER = re.compile(r"[0-9]{1,6}")  # ASCII digits only: "²" passes str.isdigit()
_CHANNEL = re.compile(r"[CG][A-Z0-9]{2,20}")
_POINTS_PREFIX = "points:"
_TIME_LABELS = {
    "digest": "Manager digest",
    "leaderboard": "Leaderboard post",
    "reminders": "Account-plan reminders",
    "nudges": "Midweek nudges",
}


def register(app: App) -> None:
    app.view(Callback.SETTINGS_MODAL)(submit_settings)


def open_settings(deps: Deps, client: WebClient, team_id: str, trigger_id: str) -> str | None:
    """Opens the form (the caller is a confirmed admin); says why, if Slack would not."""
    with deps.reads() as session:
        current = settings_of(session, team_id)
    try:
        client.views_open(trigger_id=trigger_id, view=settings_modal(current, deps.defaults))
    except SlackApiError as error:
        return say("admin_settings_unopened", why=error.response.get("error", "no answer"))
    return None


def _points_id(key: str) -> str:
    return f"{_POINTS_PREFIX}{key}"


def _number(block_id: str, label: str, value: int, low: int, high: int) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        element=NumberInputElement(
            action_id=block_id,
            is_decimal_allowed=False,
            initial_value=str(value),
            min_value=str(low),
            max_value=str(high),
        ),
    )


def _text(block_id: str, label: str, *, value: str = "", hint: str = "", **more: Any) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=bool(more.pop("optional", False)),
        hint=hint or None,
        element=PlainTextInputElement(action_id=block_id, initial_value=value or None, **more),
    )


def _channel(block_id: str, label: str, channel: str | None, hint: str) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=True,
        hint=hint,
        element=ConversationSelectElement(
            action_id=block_id,
            placeholder="Pick a channel",
            initial_conversation=channel,
            filter=ConversationFilter(include=["public", "private"]),
        ),
    )


def _celebrated(rules: ScoringRules) -> str:
    labels = [a.label for a in rules.catalog.every if a.key in rules.celebrate]
    return ", ".join(labels) + " entries" if labels else "celebrated entries"


def settings_modal(current: TeamSettings, defaults: Defaults) -> dict[str, Any]:
    """Every setting as it is in force now, a default included."""
    rules = current.rules(defaults.rules)
    first, last = rules.goal_window
    activities = rules.catalog.every
    blocks: list[Any] = [
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Changes apply from the next `/log`: points already earned keep their "
                    "value. `/tally admin log` shows who changed what."
                )
            ]
        ),
        HeaderBlock(text="Goal"),
        _number(SettingsField.GOAL, "Weekly goal (points)", rules.weekly_goal, 1, MAX_GOAL),
        _number(SettingsField.FIRST_WEEK, "Goal applies from onboarding week", first, 1, MAX_WEEK),
        _number(SettingsField.LAST_WEEK, "…through onboarding week", last, 1, MAX_WEEK),
        HeaderBlock(text="Channels and schedule"),
        _channel(
            SettingsField.BOARD_CHANNEL,
            "Leaderboard channel",
            current.leaderboard_channel or defaults.leaderboard_channel,
            "Where the Friday leaderboard is posted; invite Tally to a private channel.",
        ),
        _channel(
            SettingsField.PARTY_CHANNEL,
            "Celebration channel",
            current.celebrate_channel or defaults.celebrate_channel,
            f"Where {_celebrated(rules)} are cheered as they are logged.",
        ),
        *(
            _text(
                f"time:{name}",
                f"{_TIME_LABELS[name]} at",
                value=current.slot(name, defaults.slots[name]).describe(),
                hint="A day and a time in each person's zone, 08:00–18:00: "
                "“Fri 15:00”, or “weekdays 09:00”.",
                max_length=40,
            )
            for name in SCHEDULED
        ),
        HeaderBlock(text="Points table"),
        *(
            _number(_points_id(a.key), f"{a.label} — points", a.points, 1, MAX_POINTS)
            for a in activities
        ),
        InputBlock(
            block_id=SettingsField.RETIRED,
            label="Retired activities",
            optional=True,
            hint="No longer loggable; past entries keep their points and their column.",
            element=StaticMultiSelectElement(
                action_id=SettingsField.RETIRED,
                placeholder="None",
                options=[_option(a.key, a.label) for a in activities],
                initial_options=[_option(a.key, a.label) for a in activities if a.retired] or None,
            ),
        ),
        DividerBlock(),
        HeaderBlock(text="Add an activity"),
        _text(SettingsField.NEW_LABEL, "Name", optional=True, max_length=60),
        _text(SettingsField.NEW_POINTS, "Points", optional=True, max_length=6),
        _text(
            SettingsField.NEW_ALIASES,
            "Other names reps may type",
            optional=True,
            hint="Comma-separated: “webinar, webinars, event”.",
            max_length=500,
        ),
    ]
    return View(
        type="modal",
        callback_id=Callback.SETTINGS_MODAL,
        title="Tally settings",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    ).to_dict()


def _option(key: str, label: str) -> Option:
    return Option(value=key, text=label[:75])


def _value(values: dict[str, Any], block_id: str) -> Any:
    """What the admin left in `block_id`: text, a channel id or a list of option values."""
    state = values.get(block_id, {}).get(block_id, {})
    if not isinstance(state, dict):
        return None
    if state.get("type") == "multi_static_select":
        chosen = state.get("selected_options") or []
        return [o.get("value") for o in chosen if isinstance(o, dict)]
    if state.get("type") == "conversations_select":
        return state.get("selected_conversation")
    value = state.get("value")
    return storable(value).strip() if isinstance(value, str) else ""


def _whole(
    values: dict[str, Any], block_id: str, low: int, high: int, errors: dict[str, str]
) -> int:
    raw = _value(values, block_id)
    number = int(raw) if isinstance(raw, str) and _NUMBER.fullmatch(raw) else 0
    if not low <= number <= high:
        errors[block_id] = f"Enter a whole number from {low:,} to {high:,}."
    return number


def _picked_channel(values: dict[str, Any], block_id: str, errors: dict[str, str]) -> str | None:
    channel = _value(values, block_id)
    if channel is not None and not (isinstance(channel, str) and _CHANNEL.fullmatch(channel)):
        errors[block_id] = "Pick a channel from the list."
        return None
    return channel


def read_settings_form(
    values: dict[str, Any], defaults: Defaults, current: TeamSettings
) -> tuple[TeamSettings | None, dict[str, str]]:
    """The settings the form describes, kept as their differences from TALLY_CONFIG, or an error
    under each input that can't be."""
    errors: dict[str, str] = {}
    base = defaults.rules
    goal = _whole(values, SettingsField.GOAL, 1, MAX_GOAL, errors)
    first = _whole(values, SettingsField.FIRST_WEEK, 1, MAX_WEEK, errors)
    last = _whole(values, SettingsField.LAST_WEEK, 1, MAX_WEEK, errors)
    weeks_read = SettingsField.FIRST_WEEK not in errors and SettingsField.LAST_WEEK not in errors
    if weeks_read and first > last:
        errors[SettingsField.LAST_WEEK] = f"Pick a week from {first} on."
    channel = _picked_channel(values, SettingsField.BOARD_CHANNEL, errors)
    party = _picked_channel(values, SettingsField.PARTY_CHANNEL, errors)
    schedule = {}
    for name in SCHEDULED:
        block_id = f"time:{name}"
        try:
            slot = parse_slot(_value(values, block_id) or "")
        except ValueError as error:
            errors[block_id] = str(error)
            continue
        if slot != defaults.slots[name]:
            schedule[name] = slot
    activities = current.rules(base).catalog.every
    known = {a.key for a in activities}
    points = {a.key: _whole(values, _points_id(a.key), 1, MAX_POINTS, errors) for a in activities}
    retired = frozenset(k for k in _value(values, SettingsField.RETIRED) or [] if k in known)
    if retired == known:
        errors[SettingsField.RETIRED] = "Keep at least one activity reps can log."
    added = tuple(with_changes(a, points=points.get(a.key, a.points)) for a in current.added)
    new = _new_activity(values, known, errors)
    if new is not None:
        added += (new,)
    defaults_by_key = {a.key: a for a in base.catalog.every}
    after = TeamSettings(
        weekly_goal=None if goal == base.weekly_goal else goal,
        goal_weeks=None if (first, last) == base.goal_window else (first, last),
        leaderboard_channel=None if channel == defaults.leaderboard_channel else channel,
        celebrate_channel=None if party == defaults.celebrate_channel else party,
        schedule=schedule,
        points={
            key: value
            for key, value in points.items()
            if key in defaults_by_key and value != defaults_by_key[key].points
        },
        added=added,
        retired=retired,
    )
    if errors:
        return None, errors
    try:
        after.rules(base)
    except ValueError as error:
        errors[SettingsField.NEW_LABEL if new else SettingsField.RETIRED] = str(error)[:150]
        return None, errors
    return after, {}


def _new_activity(
    values: dict[str, Any], known: set[str], errors: dict[str, str]
) -> NewActivity | None:
    label = _value(values, SettingsField.NEW_LABEL) or ""
    raw_points = _value(values, SettingsField.NEW_POINTS) or ""
    raw_aliases = _value(values, SettingsField.NEW_ALIASES) or ""
    if not (label or raw_points or raw_aliases):
        return None
    key = "_".join(words(label))
    if not key:
        errors[SettingsField.NEW_LABEL] = "Name the activity, with at least one letter or digit."
    elif key in known:
        errors[SettingsField.NEW_LABEL] = "There is an activity by that name already."
    elif len(known) >= MAX_ACTIVITIES:
        errors[SettingsField.NEW_LABEL] = f"Tally holds at most {MAX_ACTIVITIES} activities."
    number = int(raw_points) if _NUMBER.fullmatch(raw_points) else 0
    if not 1 <= number <= MAX_POINTS:
        errors[SettingsField.NEW_POINTS] = f"Enter a whole number from 1 to {MAX_POINTS:,}."
    aliases = tuple(dict.fromkeys(a.strip() for a in raw_aliases.split(",") if words(a)))
    if SettingsField.NEW_LABEL in errors or SettingsField.NEW_POINTS in errors:
        return None
    return NewActivity(key=key[:64], label=label, points=number, aliases=aliases)


def submit_settings(
    ack: Ack, view: dict[str, Any], context: BoltContext, client: WebClient, deps: Deps
) -> None:
    """Admin rights are checked again on Save: they may have been taken away meanwhile."""
    team_id, user_id = context.team_id, context.user_id
    caller = member_with_profile(deps, client, team_id, user_id)
    if not confirmed_admin(deps, client, caller):
        ack(response_action="update", view=_answer(say("admin_refused")))
        return
    with deps.reads() as session:
        current = settings_of(session, team_id)
    after, errors = read_settings_form(view["state"]["values"], deps.defaults, current)
    if after is None:
        ack(response_action="errors", errors=errors)
        return
    with deps.sessions.begin() as session:
        lines = save_settings(
            session,
            team_id,
            user_id,
            after,
            lambda before, now: changes(before, now, deps.defaults),
            deps.clock(),
        )
    ack(response_action="update", view=_answer(say("admin_settings_saved", lines=lines)))


def _answer(text: str) -> dict[str, Any]:
    return result_view([b.to_dict() for b in sections(text)], title="Tally settings")


def settings_log(deps: Deps, team_id: str, tz: str) -> dict[str, Any]:
    """The latest changes, newest first, in the reader's own clock."""
    with deps.reads() as session:
        rows = recent_changes(session, team_id, LOG_LINES)
    shown = [(row.changed_at.astimezone(zone(tz)), row) for row in rows]
    return message(say("admin_log", changes=shown, limit=LOG_LINES))
