"""The activity API's OpenAPI 3.0 document, served at /api/v1/openapi.json.

3.0 rather than 3.1 because Salesforce External Services, the likeliest client, reads 3.0. The
limits come from the code that enforces them, so the document can't drift from the checks.
"""

from __future__ import annotations

from typing import Any

from handlers.activity_api import (
    AFTER_LIMIT,
    EXTERNAL_ID_LIMIT,
    PAGE_LIMIT,
    TEXT_LIMIT,
    WEEK_PATTERN,
)
from scoring.deal_amounts import CODES, MAX_AMOUNT
from scoring.parser import MAX_COUNT, MAX_NOTE_LENGTH

WEEK = {"type": "string", "pattern": f"^{WEEK_PATTERN}$", "example": "2026-W48"}
USER = {
    "type": "string",
    "minLength": 1,
    "maxLength": TEXT_LIMIT,
    "description": "The rep's Slack user id (U…) or the email of their Slack account.",
    "example": "U024BE7LH",
}


def openapi_document() -> dict[str, Any]:
    refusals = {
        "401": _refusal("No key, or one Tally did not make."),
        "403": _refusal("The key was revoked, or Tally was uninstalled from its workspace."),
        "422": _refusal("A field or parameter is wrong; `error.field` names it."),
        "429": _refusal("Over the key's pace; `Retry-After` says when to try again.", retry=True),
        "503": _refusal("Slack or the database didn't answer; try again.", retry=True),
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Tally activity API",
            "version": "1.0.0",
            "description": (
                "Log activities for reps from a CRM, Zapier or a dialer, and read weeks back. "
                "Keys are per workspace: an admin makes one with "
                '`/tally admin api-key new "Salesforce"`.'
            ),
        },
        "security": [{"apiKey": []}],
        "paths": {
            "/api/v1/activities": {
                "post": {
                    "operationId": "logActivity",
                    "summary": "Log an activity for a rep, as `/log` does",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("NewActivity")}},
                    },
                    "responses": {
                        "201": _answer("Logged.", "Activity"),
                        "200": _answer(
                            "This external_id was logged before with the same content: the"
                            " first entry, unchanged.",
                            "Activity",
                        ),
                        "400": _refusal("The body isn't JSON."),
                        "409": _refusal("This external_id was logged with other content."),
                        "413": _refusal("The body is over 64 KiB."),
                        "415": _refusal("The body isn't application/json."),
                        **refusals,
                    },
                },
                "get": {
                    "operationId": "listActivities",
                    "summary": "A week's entries, oldest first, a page at a time",
                    "parameters": [
                        _query("week", WEEK | {"description": "Default: this week (UTC)."}),
                        _query("user", USER),
                        _query("limit", {"type": "integer", "minimum": 1, "maximum": PAGE_LIMIT}),
                        _query(
                            "after",
                            {
                                "type": "integer",
                                "minimum": 0,
                                "maximum": AFTER_LIMIT,
                                "description": "Entries with ids over this: `next_after`.",
                            },
                        ),
                    ],
                    "responses": {"200": _answer("The page.", "ActivityPage"), **refusals},
                },
            },
            "/api/v1/weeks/{week}": {
                "get": {
                    "operationId": "weekTotals",
                    "summary": "Everyone's counted points in a week, ranked, with their goal",
                    "parameters": [
                        {"name": "week", "in": "path", "required": True, "schema": WEEK}
                    ],
                    "responses": {
                        "200": _answer("The week.", "WeekSummary"),
                        "404": _refusal("No such week."),
                        **{code: refusals[code] for code in ("401", "403", "429", "503")},
                    },
                },
            },
            "/api/v1/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": {
                            "description": "OpenAPI 3.0.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        }
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "tally_…"}
            },
            "schemas": _schemas(),
        },
    }


def _schemas() -> dict[str, Any]:
    text = {"type": "string"}
    nullable_text = {"type": "string", "nullable": True}
    new_activity = {
        "type": "object",
        "required": ["user", "activity"],
        "additionalProperties": False,
        "properties": {
            "user": USER,
            "activity": text
            | {
                "minLength": 1,
                "maxLength": TEXT_LIMIT,
                "description": "An activity's key or any name `/log` knows it by.",
                "example": "demo self-led",
            },
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_COUNT, "default": 1},
            "happened_at": text
            | {
                "maxLength": 40,
                "description": (
                    "ISO 8601 with its offset (2026-12-04T15:30:00Z), or a date (the rep's own"
                    " day). At most 7 days back, never ahead; default: now."
                ),
            },
            "note": text | {"maxLength": MAX_NOTE_LENGTH},
            "amount": {
                "type": "number",
                "minimum": 0,
                "exclusiveMinimum": True,
                "maximum": float(MAX_AMOUNT),
                "description": "A deal amount, in whole cents.",
            },
            "currency": {"type": "string", "enum": list(CODES), "default": "USD"},
            "external_id": text
            | {
                "minLength": 1,
                "maxLength": EXTERNAL_ID_LIMIT,
                "description": "Your record's id: sent again, it logs nothing twice.",
            },
        },
    }
    activity = {
        "type": "object",
        "required": ["id", "user", "activity", "count", "points", "status", "week"],
        "properties": {
            "id": {"type": "integer"},
            "user": text,
            "activity": text,
            "activity_label": text,
            "count": {"type": "integer"},
            "points": {"type": "integer"},
            "happened_at": text | {"format": "date-time"},
            "day": text | {"format": "date"},
            "week": text,
            "note": text,
            "amount": {"type": "number", "nullable": True},
            "currency": nullable_text,
            "status": {"type": "string", "enum": ["counted", "pending", "rejected", "undone"]},
            "source": text,
            "external_id": nullable_text,
            "logged_at": text | {"format": "date-time"},
        },
    }
    page = {
        "type": "object",
        "required": ["week", "activities", "next_after"],
        "properties": {
            "week": text,
            "activities": {"type": "array", "items": _ref("Activity")},
            "next_after": {"type": "integer", "nullable": True},
        },
    }
    rep = {
        "type": "object",
        "required": ["user", "rank", "points"],
        "properties": {
            "user": text,
            "name": text,
            "rank": {"type": "integer"},
            "points": {"type": "integer"},
            "goal": {"type": "integer", "nullable": True},
            "manager": nullable_text,
        },
    }
    week = {
        "type": "object",
        "required": ["week", "reps"],
        "properties": {"week": text, "reps": {"type": "array", "items": rep}},
    }
    error = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": text, "message": text, "field": text},
            }
        },
    }
    return {
        "NewActivity": new_activity,
        "Activity": activity,
        "ActivityPage": page,
        "WeekSummary": week,
        "Error": error,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _refusal(description: str, *, retry: bool = False) -> dict[str, Any]:
    answer = _answer(description, "Error")
    if retry:
        answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return answer


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}
