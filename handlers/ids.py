"""Callback and action IDs Slack sends back to us; one place so listeners and views agree."""

import re
from enum import StrEnum

_ROW_ID = re.compile(r"[0-9]{1,10}")
LARGEST_ROW_ID = 2**31 - 1  # PostgreSQL's INTEGER: a larger id can't name a row, only fail


class Callback(StrEnum):
    LOG_MODAL = "log_modal"
    LOG_SHORTCUT = "log_activity"
    REJECT_MODAL = "reject_claim"
    SETTINGS_MODAL = "team_settings"
    EDIT_MODAL = "edit_entry"


class Action(StrEnum):
    UNDO = "undo_activity"
    OPEN_LOG_MODAL = "open_log_modal"
    PLAN_REVIEWED = "plan_reviewed"
    PLAN_SNOOZE = "plan_snooze"
    TEAM_INVITE_ACCEPT = "team_invite_accept"
    TEAM_INVITE_DECLINE = "team_invite_decline"
    APPROVE = "approve_claim"
    REJECT = "reject_claim"
    FORGET_CONFIRM = "forget_confirm"
    FORGET_CANCEL = "forget_cancel"
    QUICK_LOG = "quick_log"  # one per activity on the Home: quick_log:<key>
    VIEW_REP = "view_rep"
    EDIT_ENTRY = "edit_entry"


class Field(StrEnum):
    """The log modal's inputs: each block and its one element share the id."""

    ACTIVITY = "activity"
    COUNT = "count"
    DAY = "day"
    NOTE = "note"
    AMOUNT = "amount"


class SettingsField(StrEnum):
    """The settings modal's fixed inputs (each activity's points and each time add their own)."""

    GOAL = "weekly_goal"
    FIRST_WEEK = "goal_first_week"
    LAST_WEEK = "goal_last_week"
    BOARD_CHANNEL = "leaderboard_channel"
    PARTY_CHANNEL = "celebrate_channel"
    RETIRED = "retired"
    NEW_LABEL = "new_activity_label"
    NEW_POINTS = "new_activity_points"
    NEW_ALIASES = "new_activity_aliases"


def row_id(value: object) -> int | None:
    """The row a button's value names, or None: every button carries ids we wrote, so anything
    else (not ASCII digits — "²" passes str.isdigit — or past the column's range) names nothing."""
    if not isinstance(value, str) or not _ROW_ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= LARGEST_ROW_ID else None
