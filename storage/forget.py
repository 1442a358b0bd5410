"""Forgetting a person: what an admin removes when someone asks to be erased or leaves.

Their entries go for real (not the soft delete of an undo), with their plans, invitations,
days off, membership and the messages still queued for them or about their entries (an approval
ask, a celebration). Their reps stay, without a manager.
Messages already in Slack are Slack's to delete; their outbox rows are kept so a re-run of the
same period cannot post them twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, Table, and_, cast, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from storage.models import (
    AccountPlan,
    Activity,
    Base,
    Member,
    OrgWorkspace,
    OutboxMessage,
    TeamInvite,
    TimeOff,
    slack_bots,
)


@dataclass(frozen=True)
class Footprint:
    """What Tally holds about one person, by kind."""

    member: bool
    entries: int
    plans: int
    invites: int
    queued: int
    reps: int  # people whose manager they are
    days_off: int = 0

    @property
    def empty(self) -> bool:
        return not (
            self.member
            or self.entries
            or self.plans
            or self.invites
            or self.queued
            or self.reps
            or self.days_off
        )

    def describe(self) -> str:
        """'12 entries, 2 account plans, 1 team invitation, 1 queued message, their membership;
        3 reps lose their manager' — only what there is; the CLI and Slack both say it."""
        parts = [
            _counted(self.entries, "entry", "entries"),
            _counted(self.plans, "account plan", "account plans"),
            _counted(self.invites, "team invitation", "team invitations"),
            _counted(self.queued, "queued message", "queued messages"),
            _counted(self.days_off, "day off", "days off"),
        ]
        what = ", ".join(part for part in parts if part)
        if self.member:
            what = f"{what}, their membership" if what else "their membership"
        if self.reps:
            what += f"; {_counted(self.reps, 'rep loses', 'reps lose')} their manager"
        return what or "nothing"


def _counted(count: int, one: str, many: str) -> str:
    return "" if not count else f"1 {one}" if count == 1 else f"{count} {many}"


def footprint(session: Session, team_id: str, user_id: str) -> Footprint:
    """What `forget` would remove, to show before anyone confirms."""

    def count(model: type, *where: object) -> int:
        query = select(func.count()).select_from(model).where(model.team_id == team_id, *where)
        return int(session.scalar(query) or 0)

    return Footprint(
        member=count(Member, Member.user_id == user_id) > 0,
        entries=count(Activity, Activity.user_id == user_id),
        plans=count(AccountPlan, AccountPlan.owner_id == user_id),
        invites=count(TeamInvite, _invite_involves(user_id)),
        queued=count(OutboxMessage, *_queued_for(team_id, user_id)),
        reps=count(Member, Member.manager_id == user_id),
        days_off=count(TimeOff, TimeOff.user_id == user_id),
    )


def forget(session: Session, team_id: str, user_id: str) -> Footprint:
    """Remove everything `footprint` counts, in the caller's transaction; returns what it was."""
    found = footprint(session, team_id, user_id)
    for model, where in (
        (OutboxMessage, _queued_for(team_id, user_id)),  # before the entries it names
        (Activity, (Activity.user_id == user_id,)),
        (AccountPlan, (AccountPlan.owner_id == user_id,)),
        (TeamInvite, (_invite_involves(user_id),)),
        (TimeOff, (TimeOff.user_id == user_id,)),
        (Member, (Member.user_id == user_id,)),
    ):
        session.execute(delete(model).where(model.team_id == team_id, *where))
    session.execute(
        update(Member)
        .where(Member.team_id == team_id, Member.manager_id == user_id)
        .values(manager_id=None)
    )
    return found


def _invite_involves(user_id: str) -> object:
    return or_(TeamInvite.rep_id == user_id, TeamInvite.manager_id == user_id)


def _queued_for(team_id: str, user_id: str) -> tuple[object, ...]:
    """Unsent messages to them, or about one of their entries (its period is `entry-<id>`)."""
    about = select(literal("entry-") + cast(Activity.id, String)).where(
        Activity.team_id == team_id, Activity.user_id == user_id
    )
    return (
        or_(OutboxMessage.recipient == user_id, OutboxMessage.period.in_(about)),
        OutboxMessage.ts.is_(None),
    )


def people_called(session: Session, who: str) -> list[tuple[str, str]]:
    """(team_id, user_id) of everyone whose user id or stored display name is `who`, any
    case, and of a bare user id Tally holds anything for even without a member row."""
    named = or_(Member.user_id == who.upper(), func.lower(Member.display_name) == who.lower())
    found = set(session.execute(select(Member.team_id, Member.user_id).where(named)).tuples())
    found |= set(
        session.execute(
            select(Activity.team_id, Activity.user_id)
            .where(Activity.user_id == who.upper())
            .distinct()
        ).tuples()
    )
    return sorted(found)


# What a workspace's rows are called when `tally forget-workspace` lists them (one, many); a
# table not named here (one added later) is listed by its own name, and forgotten all the same.
ROW_NAMES = {
    "activities": ("entry", "entries"),
    "members": ("person", "people"),
    "account_plans": ("account plan", "account plans"),
    "outbox": ("message", "messages"),
    "team_invites": ("team invitation", "team invitations"),
    "time_off": ("day off", "days off"),
    "team_settings": ("team's settings", "team's settings"),
    "settings_changes": ("settings change", "settings changes"),
    "slack_installations": ("installation", "installations"),
    "slack_bots": ("installed bot", "installed bots"),
    "api_keys": ("API key", "API keys"),
    "org_workspaces": ("Enterprise Grid org link", "Enterprise Grid org links"),
}


def _workspace_tables() -> list[Table]:
    """Every table with a team_id, children before the tables they point to."""
    return [t for t in reversed(Base.metadata.sorted_tables) if "team_id" in t.c]


def workspace_rows(session: Session, team_id: str) -> dict[str, int]:
    """How many rows each table holds for `team_id` (tables with none left out)."""
    counts = {
        table.name: int(
            session.scalar(
                select(func.count()).select_from(table).where(table.c.team_id == team_id)
            )
            or 0
        )
        for table in _workspace_tables()
    }
    return {name: count for name, count in counts.items() if count}


def forget_workspace(session: Session, team_id: str) -> dict[str, int]:
    """Delete every row of `team_id` from every table, in the caller's transaction."""
    found = workspace_rows(session, team_id)
    for table in _workspace_tables():
        session.execute(delete(table).where(table.c.team_id == team_id))
    return found


def still_installed(session: Session, team_id: str) -> bool:
    """Whether an OAuth installation still holds a bot token for `team_id`: its own, or its
    Enterprise Grid org's org-wide one."""
    c = slack_bots.c
    org = select(OrgWorkspace.enterprise_id).where(OrgWorkspace.team_id == team_id)
    org_wide = and_(c.is_enterprise_install.is_(True), c.enterprise_id == org.scalar_subquery())
    query = select(c.id).where(or_(c.team_id == team_id, org_wide), c.bot_token.is_not(None))
    return session.execute(query.limit(1)).first() is not None


def describe_rows(counts: dict[str, int]) -> str:
    """'1,204 entries, 12 people, 3 messages' — or 'nothing'."""
    parts = []
    for name, count in counts.items():
        one, many = ROW_NAMES.get(name, (name, name))
        parts.append(f"{count:,} {one if count == 1 else many}")
    return ", ".join(parts) or "nothing"
