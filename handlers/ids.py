"""Callback and action IDs Slack sends back to us; one place so listeners and views agree."""

from enum import StrEnum


class Callback(StrEnum):
    LOG_MODAL = "log_modal"
    LOG_SHORTCUT = "log_activity"


class Action(StrEnum):
    UNDO = "undo_activity"
    OPEN_LOG_MODAL = "open_log_modal"
    PLAN_REVIEWED = "plan_reviewed"
    PLAN_SNOOZE = "plan_snooze"
    TEAM_INVITE_ACCEPT = "team_invite_accept"
    TEAM_INVITE_DECLINE = "team_invite_decline"


class Field(StrEnum):
    """The log modal's inputs: each block and its one element share the id."""

    ACTIVITY = "activity"
    COUNT = "count"
    DAY = "day"
    NOTE = "note"
    AMOUNT = "amount"
