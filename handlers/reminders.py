"""Overdue account plans: the owner's weekday-morning DM and the list in a manager's digest.

Nothing here sends anything: it drafts messages for the outbox, whose key (kind, owner, local
day) makes a reminder go out at most once per owner per day however often the clock runs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from datetime import date, datetime, time
from itertools import groupby
from typing import NamedTuple

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.ids import Action
from handlers.plans import plan_view
from handlers.render import literal, say
from scoring.plans import SNOOZE_DAYS, is_overdue, next_due
from scoring.schedule import WORK_STARTS, Slot, due_today
from scoring.weeks import zone
from storage.digest_rows import chunk_plans
from storage.models import AccountPlan, Member
from storage.outbox import Draft, queued_keys
from storage.plans import all_plans, cadence_of
from storage.team_settings import slots_of

KIND = "plan_reminder"
REMINDER_SLOT = Slot(weekday=None, at=time(9))  # weekdays 09:00 in the owner's zone
# Slack allows 50 blocks; each plan takes two (its line and its buttons), plus header and footer.
MAX_PLANS_SHOWN = 20
HEADER_BLOCK = "plan_reminder_header"
FALLBACK_LIMIT = 3000


class OverduePlan(NamedTuple):
    owner_id: str
    account: str
    due: date


def plan_block_id(plan_id: int) -> str:
    return f"plan_{plan_id}"


def plan_actions_block_id(plan_id: int) -> str:
    return f"plan_{plan_id}_actions"


def reminder_drafts(
    session: Session,
    slot: Slot | None,
    now: datetime,
    team_id: str | None = None,
    *,
    day: date | None = None,
) -> list[Draft]:
    """One DM per owner with overdue plans whose `slot` (weekdays 09:00) has come today.

    With `slot` None (an operator's "send now") every owner with overdue plans gets one, even
    if already sent, so the summary counts it; on the clock, a reminder already queued today
    is not drafted again every tick. Snoozed plans stay out until their snooze ends. `day`
    (an operator's --as-of) drafts that day's reminder for every owner instead of their own
    today; an owner whose `day` hasn't begun yet gets it queued for that morning.
    """
    plans = all_plans(session, team_id)
    owners = {(p.team_id, p.owner_id) for p in plans}
    zones = _zones_of(session, owners)
    queued: set[tuple[str, str]] = set()
    if slot is not None:
        days = {now.astimezone(zone(tz)).date().isoformat() for tz in zones.values()}
        queued = queued_keys(session, {t for t, _ in owners}, KIND, days | {now.date().isoformat()})
    drafts = []
    slot_of = slots_of(session, "reminders", slot) if slot is not None else None
    for (team, owner_id), owned in groupby(plans, key=lambda p: (p.team_id, p.owner_id)):
        local = now.astimezone(zone(zones.get((team, owner_id))))
        if slot_of is not None and due_today(slot_of(team), local) is None:
            continue
        today = day or local.date()
        if (team, f"{KIND}:{owner_id}:{today.isoformat()}") in queued:
            continue
        overdue = [
            p for p in owned if is_overdue(p.last_reviewed, cadence_of(p), today, p.snoozed_until)
        ]
        if overdue:
            draft = reminder_draft(team, owner_id, overdue, today)
            if today > local.date():
                morning = datetime.combine(today, WORK_STARTS, tzinfo=local.tzinfo)
                draft = replace(draft, not_before=morning)
            drafts.append(draft)
    return drafts


def reminder_draft(team_id: str, owner_id: str, overdue: list[AccountPlan], today: date) -> Draft:
    """The DM for one owner: most overdue first, each plan with its two buttons."""
    ordered = sorted(
        overdue, key=lambda p: (next_due(p.last_reviewed, cadence_of(p)), p.account_key, p.id)
    )
    shown, hidden = ordered[:MAX_PLANS_SHOWN], len(ordered) - MAX_PLANS_SHOWN
    count = f"{len(ordered)} account plan{'s are' if len(ordered) > 1 else ' is'}"
    blocks: list[Block] = [
        SectionBlock(
            block_id=HEADER_BLOCK,
            text=MarkdownTextObject(text=f":spiral_note_pad: *{count} overdue for review*"),
        )
    ]
    for plan in shown:
        view = plan_view(plan, today)
        line = say(
            "plan_reminder_line",
            account=view.account,
            due=view.due,
            cadence=view.cadence,
            reviewed=view.reviewed,
        )
        blocks.append(
            SectionBlock(block_id=plan_block_id(plan.id), text=MarkdownTextObject(text=line))
        )
        blocks.append(
            ActionsBlock(
                block_id=plan_actions_block_id(plan.id),
                elements=[
                    ButtonElement(
                        text="Mark reviewed",
                        action_id=Action.PLAN_REVIEWED.value,
                        value=str(plan.id),
                        style="primary",
                    ),
                    ButtonElement(
                        text=f"Snooze {SNOOZE_DAYS} days",
                        action_id=Action.PLAN_SNOOZE.value,
                        value=str(plan.id),
                    ),
                ],
            )
        )
    if hidden > 0:
        more = f"…and {hidden} more overdue. See them all with `/tally plan list`."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    names = ", ".join(literal(p.account) for p in ordered)
    text = f"{count} overdue for review: {names}"
    return Draft(
        team_id=team_id,
        kind=KIND,
        recipient=owner_id,
        period=today.isoformat(),
        text=_clip(text, FALLBACK_LIMIT),
        blocks=[block.to_dict() for block in blocks],
    )


def overdue_for_team(
    session: Session,
    team_id: str,
    manager_ids: Collection[str],
    now: datetime,
    *,
    include_snoozed: bool = True,
) -> list[OverduePlan]:
    """The overdue plans of the managers' reps, for their digests, by rep, most overdue first.

    A snooze quiets the rep's own reminder but, by default, not the manager's view: the plan
    is still past due.
    """
    found = []
    for plan in chunk_plans(session, team_id, manager_ids):
        today = now.astimezone(zone(plan.tz)).date()
        cadence = cadence_of(plan)
        snoozed = None if include_snoozed else plan.snoozed_until
        if is_overdue(plan.last_reviewed, cadence, today, snoozed):
            found.append(
                OverduePlan(plan.owner_id, plan.account, next_due(plan.last_reviewed, cadence))
            )
    found.sort(key=lambda o: (o.owner_id, o.due, o.account.casefold()))
    return found


def _zones_of(session: Session, owners: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Each owner's Slack time zone in one query; owners Tally never profiled are left out."""
    wanted = set(owners)
    if not wanted:
        return {}
    rows = session.execute(
        select(Member.team_id, Member.user_id, Member.tz).where(
            Member.team_id.in_(sorted({team for team, _ in wanted})),
            Member.user_id.in_(sorted({user for _, user in wanted})),
        )
    )
    return {(team, user): tz for team, user, tz in rows if (team, user) in wanted}


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
