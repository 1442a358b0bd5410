"""The activity API's answers: a CRM, Zapier or a dialer logs for reps and reads weeks back.

HTTP is bot/api_http.py's; here the same rules as `/log` apply — the team's catalog, the 7-day
rule, the note and count limits, one entry per external id — and the same receipt goes to the
rep's DM. Every answer is (status, JSON body); a refusal is an ApiError, and changes nothing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.orm import Session

from handlers.deps import Deps
from handlers.home import home_changed
from handlers.ids import LARGEST_ROW_ID
from handlers.leaderboard import week_goals
from handlers.people import NotAPerson, SlackSilent, in_one_transaction, named_person
from handlers.recording import Logged, logged_message, record_entry
from scoring.catalog import Catalog
from scoring.deal_amounts import CODES, DealAmount, parse_amount
from scoring.parser import (
    MAX_COUNT,
    MAX_NOTE_LENGTH,
    LogParseError,
    ParsedLog,
    activity_named,
    check_day,
)
from scoring.rules import ScoringRules
from scoring.tally import rank_totals
from scoring.weeks import iso_week_label, local_date, parse_iso_week
from storage.activities import api_entries, week_totals
from storage.members import members_among
from storage.models import Activity, ApiKey, Member
from storage.outbox import Draft, enqueue

SOURCE = "api"
RECEIPT = "receipt"  # the outbox kind of a receipt DMed for an entry the API logged
FIELDS = ("user", "activity", "count", "happened_at", "note", "amount", "currency", "external_id")
EXTERNAL_ID_LIMIT = 200
TEXT_LIMIT = 200  # user and activity: far over any email or activity name
PAGE_LIMIT = 500
CLOCK_SKEW = timedelta(minutes=5)  # a CRM's clock a little ahead of ours is not "the future"
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,30}")
_EXTERNAL = "api:x:"  # idempotency keys: an external id's, and a request's own
_OWN = "api:r:"
WEEK_PATTERN = "2[0-9]{3}-W[0-9]{2}"  # the years Tally holds, written one way
AFTER_LIMIT = LARGEST_ROW_ID  # past the id column's range PostgreSQL refuses the query


class ApiError(Exception):
    """A refusal the client reads: HTTP status, a stable code, and a sentence for a person."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = list(headers)  # e.g. Retry-After

    def body(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message}
        return {"error": error | ({"field": self.field} if self.field else {})}


@dataclass(frozen=True)
class Asked:
    """A POST body, checked for shape; what needs the rep's zone or catalog is checked later."""

    user: str
    activity: str
    count: int
    at: datetime | None  # an exact moment
    day: date | None  # or a day, read in the rep's zone
    note: str
    amount: Decimal | None
    currency: str | None
    external_id: str | None


def log_activity(deps: Deps, client: WebClient, key: ApiKey, body: Any) -> tuple[int, dict]:
    """POST /api/v1/activities: 201 with the new entry; 200 with the first one when its
    external id was logged before with the same content; 409 when the content differs."""
    asked = read_body(body)
    rep = person(deps, client, key.team_id, asked.user)
    if asked.external_id is None:
        idempotency = _OWN + uuid.uuid4().hex
    else:
        idempotency = _EXTERNAL + asked.external_id

    def store(session: Session, member: Member, rules: ScoringRules) -> Logged:
        parsed, at = _parsed(deps, asked, member, rules.catalog)
        logged = record_entry(
            deps,
            session,
            member,
            rules,
            parsed,
            source=SOURCE,
            key=idempotency,
            logged_by=key.prefix,
            at=at,
        )
        if not logged.created:
            _same_or_conflict(logged.entry, member, parsed, at)
            return logged
        if key.receipts:
            logged.to_send.append(_queue_receipt(deps, session, logged, key.name))
        return logged

    member, logged = in_one_transaction(deps, client, key.team_id, rep.user_id, store)
    if logged.to_send:
        deps.send_now(logged.to_send)
    if logged.created:
        home_changed(deps, client, member)
    return (201 if logged.created else 200), entry_json(logged.rules.catalog, logged.entry)


def list_activities(
    deps: Deps, client: WebClient, key: ApiKey, query: dict[str, list[str]]
) -> tuple[int, dict]:
    """GET /api/v1/activities: a week's live entries, oldest first, a page at a time."""
    _only(query, ("week", "user", "limit", "after"))
    asked_week, user = _one(query, "week"), _one(query, "user")
    week = iso_week_label(deps.clock().date()) if asked_week is None else _week(asked_week, "week")
    limit = _whole(query, "limit", 1, PAGE_LIMIT, default=100)
    after = _whole(query, "after", 0, AFTER_LIMIT, default=0)
    user_id = None if user is None else person(deps, client, key.team_id, user.strip()).user_id
    with deps.reads() as session:
        rules = deps.rules_in(session, key.team_id)
        rows = api_entries(session, key.team_id, week, user_id, after, limit)
    entries = [entry_json(rules.catalog, entry) for entry in rows]
    more = rows[-1].id if len(rows) == limit else None
    return 200, {"week": week, "activities": entries, "next_after": more}


def week_summary(deps: Deps, key: ApiKey, label: str) -> tuple[int, dict]:
    """GET /api/v1/weeks/{week}: everyone's counted points, ranked, with their goal."""
    week = _week(label, "week", status=404)
    with deps.reads() as session:
        rules = deps.rules_in(session, key.team_id)
        standings = rank_totals(week_totals(session, key.team_id, week))
        people = members_among(session, key.team_id, [s.user_id for s in standings])
        goals = week_goals(session, rules, key.team_id, week, people, standings)
    reps = [
        {
            "user": s.user_id,
            "name": people[s.user_id].display_name if s.user_id in people else "",
            "rank": s.rank,
            "points": s.points,
            "goal": goals.get(s.user_id),
            "manager": people[s.user_id].manager_id if s.user_id in people else None,
        }
        for s in standings
    ]
    return 200, {"week": week, "reps": reps}


def read_body(body: Any) -> Asked:
    """The POST body's fields, each of the right type and within its limits."""
    if not isinstance(body, dict):
        raise ApiError(422, "invalid", 'Send a JSON object, e.g. {"user": …, "activity": …}.')
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        shown = ", ".join(repr(name)[:40] for name in unknown[:5])
        raise ApiError(
            422, "invalid", f"Unknown field {shown}; the fields are {', '.join(FIELDS)}."
        )
    count = body.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ApiError(422, "invalid", f"count is a whole number from 1 to {MAX_COUNT}.", "count")
    amount = _amount(body.get("amount"), body.get("currency"))
    at, day = _moment(body.get("happened_at"))
    external = body.get("external_id")
    return Asked(
        user=_text(body.get("user"), "user", TEXT_LIMIT, required=True).strip(),
        activity=_text(body.get("activity"), "activity", TEXT_LIMIT, required=True),
        count=count,
        at=at,
        day=day,
        note=_text(body.get("note", ""), "note", MAX_NOTE_LENGTH).strip(),
        amount=amount.value if amount else None,
        currency=amount.currency if amount else None,
        external_id=None
        if external is None
        else _text(external, "external_id", EXTERNAL_ID_LIMIT, required=True),
    )


def person(deps: Deps, client: WebClient, team_id: str, user: str) -> Member:
    """The rep a request names, by Slack id or email, as Slack knows them: never a guess."""
    if _SLACK_ID.fullmatch(user):
        user_id = user
    elif "@" in user:
        try:
            user_id = client.users_lookupByEmail(email=user)["user"]["id"]
        except SlackApiError as error:
            if error.response.get("error") in ("users_not_found", "invalid_email"):
                raise ApiError(
                    422, "unknown_user", f"No one in Slack has {user}.", "user"
                ) from None
            raise _slack_down() from error
        except SlackRequestError as error:
            raise _slack_down() from error
    else:
        raise ApiError(422, "invalid", "user is a Slack user id (U…) or an email.", "user")
    try:
        return named_person(deps, client, team_id, user_id)
    except NotAPerson as error:
        raise ApiError(422, "unknown_user", f"{user} is {error.why} in Slack.", "user") from None
    except SlackSilent as error:
        raise _slack_down() from error


def entry_json(catalog: Catalog, entry: Activity) -> dict[str, Any]:
    activity = catalog.get(entry.activity_key)
    external = entry.idempotency_key
    return {
        "id": entry.id,
        "user": entry.user_id,
        "activity": entry.activity_key,
        "activity_label": activity.label if activity else entry.activity_key,
        "count": entry.count,
        "points": entry.points,
        "happened_at": _utc(entry.happened_at),
        "day": entry.local_day.isoformat(),
        "week": entry.week,
        "note": entry.note,
        "amount": None if entry.amount is None else float(entry.amount),
        "currency": entry.currency,
        "status": "undone" if entry.deleted_at is not None else entry.status,
        "source": entry.source,
        "external_id": external[len(_EXTERNAL) :] if external.startswith(_EXTERNAL) else None,
        "logged_at": _utc(entry.created_at),
    }


def _parsed(
    deps: Deps, asked: Asked, member: Member, catalog: Catalog
) -> tuple[ParsedLog, datetime | None]:
    """The request in the rep's terms: their catalog's activity, their day, their week."""
    try:
        activity = activity_named(asked.activity, catalog)
    except LogParseError as error:
        raise ApiError(422, "unknown_activity", error.message, "activity") from None
    now = deps.clock()
    at = asked.at
    if at is not None and now < at <= now + CLOCK_SKEW:
        at = now
    day = asked.day if at is None else local_date(at, member.tz)
    if at is not None and at > now:
        why = "happened_at is in the future — log it once it's happened."
        raise ApiError(422, "invalid_day", why, "happened_at")
    if day is not None and (why := check_day(day, local_date(now, member.tz))):
        raise ApiError(422, "invalid_day", why, "happened_at")
    amount = DealAmount(asked.amount, asked.currency) if asked.amount is not None else None
    return ParsedLog(activity, asked.count, asked.note, amount, asked.day), at


def _same_or_conflict(
    first: Activity, member: Member, parsed: ParsedLog, at: datetime | None
) -> None:
    """A replayed external id answers with its first entry only if it asks for the same."""
    same = (
        first.user_id == member.user_id
        and first.activity_key == parsed.activity.key
        and first.count == parsed.count
        and first.note == parsed.note
        and (parsed.amount.value if parsed.amount else None) == first.amount
        and (parsed.amount.currency if parsed.amount else None) == first.currency
        and (at is None or at == first.happened_at)
        and (parsed.day is None or parsed.day == first.local_day)
    )
    if not same:
        raise ApiError(
            409,
            "conflict",
            f"external_id was first used for entry {first.id}, with other content; an entry"
            " is never changed through the API: send a new external_id.",
            "external_id",
        )


def _queue_receipt(deps: Deps, session: Session, logged: Logged, via: str) -> tuple[str, str]:
    """The rep's receipt, DMed: in the entry's transaction, so it goes once or not at all."""
    draft = Draft(
        team_id=logged.member.team_id,
        kind=RECEIPT,
        recipient=logged.member.user_id,
        period=f"entry-{logged.entry.id}",
        **logged_message(deps, logged, via=via),
    )
    enqueue(session, draft, logged.now)
    return draft.team_id, draft.key


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ApiError(
            422, "invalid", f"{field} is {'required, ' if required else ''}a string.", field
        )
    if len(value) > limit:
        raise ApiError(422, "invalid", f"{field} is up to {limit:,} characters.", field)
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape
        raise ApiError(422, "invalid", f"{field} isn't valid Unicode.", field) from None
    if "\x00" in value:  # PostgreSQL's text can't hold it
        raise ApiError(422, "invalid", f"{field} holds a NUL character.", field)
    return value


def _amount(value: Any, currency: Any) -> DealAmount | None:
    if value is None:
        if currency is not None:
            raise ApiError(422, "invalid", "currency goes with an amount.", "currency")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ApiError(422, "invalid", "amount is a number, e.g. 12500 or 12500.50.", "amount")
    if currency is not None and currency not in CODES:
        raise ApiError(422, "invalid", f"currency is one of {', '.join(CODES)}.", "currency")
    try:
        amount = parse_amount(format(Decimal(repr(value)), "f"))
    except LogParseError as error:
        raise ApiError(422, "invalid", error.message, "amount") from None
    return DealAmount(amount.value, currency or amount.currency)


def _moment(value: Any) -> tuple[datetime | None, date | None]:
    """An ISO 8601 moment with its UTC offset, or a date (a day in the rep's zone)."""
    if value is None:
        return None, None
    problem = "happened_at is ISO 8601 with its offset (2026-12-04T15:30:00Z) or a date."
    if not isinstance(value, str) or len(value) > 40:
        raise ApiError(422, "invalid", problem, "happened_at")
    try:
        if len(value) == 10:
            return None, date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(422, "invalid", problem, "happened_at") from None
    if moment.utcoffset() is None:
        raise ApiError(422, "invalid", problem, "happened_at")
    return moment, None


def _week(label: str, field: str, status: int = 422) -> str:
    if not re.fullmatch(WEEK_PATTERN, label):
        raise ApiError(status, "invalid_week", "Write the week like 2026-W48.", field)
    try:
        return iso_week_label(parse_iso_week(label))
    except ValueError as error:
        raise ApiError(status, "invalid_week", str(error), field) from None


def _only(query: dict[str, list[str]], known: tuple[str, ...]) -> None:
    unknown = sorted(set(query) - set(known))
    if unknown:
        shown = ", ".join(repr(name)[:40] for name in unknown[:5])
        raise ApiError(422, "invalid", f"Unknown parameter {shown}; they are {', '.join(known)}.")


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(422, "invalid", f"Give {name} once.", name)
    return _text(values[0], name, TEXT_LIMIT)


def _whole(query: dict[str, list[str]], name: str, low: int, high: int, *, default: int) -> int:
    text = _one(query, name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and low <= int(text) <= high):
        raise ApiError(422, "invalid", f"{name} is a whole number from {low} to {high}.", name)
    return int(text)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _slack_down() -> ApiError:
    retry = ("Retry-After", "30")
    return ApiError(503, "slack_unavailable", "Slack didn't answer; try again.", headers=(retry,))
