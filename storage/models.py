"""Tables for members and their logged activities; every row carries its Slack team_id.

The three `slack_*` tables are slack-sdk's installation and OAuth state stores' own (see
bot/installations.py), declared here so migrations and the models describe one schema."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from storage.columns import Money, UTCDateTime

SLACK_ID = String(64)


class Base(DeclarativeBase):
    """Named constraints so SQLite batch migrations can find them later."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), Decimal: Money()}


class Member(Base):
    """A person in a workspace: their zone for week boundaries and who manages them."""

    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id"),
        Index(None, "team_id", "manager_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    user_id: Mapped[str] = mapped_column(SLACK_ID)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    tz: Mapped[str] = mapped_column(String(64), default="UTC")
    tz_checked_at: Mapped[datetime | None]
    is_workspace_admin: Mapped[bool] = mapped_column(default=False)
    manager_id: Mapped[str | None] = mapped_column(SLACK_ID)
    onboarding_start: Mapped[date | None]
    role: Mapped[str] = mapped_column(String(16), default="rep")
    nudges_enabled: Mapped[bool] = mapped_column(default=True)
    celebrate: Mapped[bool] = mapped_column(default=True, server_default=true())
    # False: left the public boards (`/tally board hide`); their manager's views still show them
    on_boards: Mapped[bool] = mapped_column(default=True, server_default=true())
    home_opened_at: Mapped[datetime | None]  # None: never opened App Home, so nothing to refresh
    created_at: Mapped[datetime]


class Activity(Base):
    """One logged activity; points are frozen when logged so rule changes keep history."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key"),
        Index(None, "team_id", "user_id", "created_at"),
        # A week's entries by team, week and user, with all that its sums read: a receipt
        # (storage.activities.rep_weeks), a board and a digest (storage.digest_rows, which also
        # reads the last day) sum them from it alone, and a receipt in the order it groups them.
        Index(
            "ix_activities_week_sums",
            *("team_id", "week", "user_id", "activity_key", "status", "deleted_at"),
            *("count", "points", "local_day"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    user_id: Mapped[str] = mapped_column(SLACK_ID)
    activity_key: Mapped[str] = mapped_column(String(64))
    count: Mapped[int]
    points: Mapped[int]
    happened_at: Mapped[datetime]
    local_day: Mapped[date]
    week: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal | None]
    currency: Mapped[str | None] = mapped_column(String(3))  # ISO 4217, set with `amount`
    source: Mapped[str] = mapped_column(String(16))
    logged_by: Mapped[str] = mapped_column(SLACK_ID)
    idempotency_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    # counted | pending (waits for its rep's manager or an admin) | rejected (never counts)
    status: Mapped[str] = mapped_column(String(8), default="counted", server_default="counted")
    reviewed_by: Mapped[str | None] = mapped_column(SLACK_ID)
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)


class TimeOff(Base):
    """A weekday a rep is away, on their own calendar: it is no working day, so the week's goal
    shrinks and no nudge goes out on it. Only Mondays to Fridays are stored."""

    __tablename__ = "time_off"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "day"),
        Index(None, "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    user_id: Mapped[str] = mapped_column(SLACK_ID)
    day: Mapped[date]
    created_at: Mapped[datetime]


class TeamInvite(Base):
    """A manager's request to add a rep: the rep joins only by accepting it.

    One row per (rep, manager); asking again reopens it. `status` is pending, accepted,
    declined or withdrawn.
    """

    __tablename__ = "team_invites"
    __table_args__ = (
        UniqueConstraint("team_id", "rep_id", "manager_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    rep_id: Mapped[str] = mapped_column(SLACK_ID)
    manager_id: Mapped[str] = mapped_column(SLACK_ID)
    onboarding_start: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class AccountPlan(Base):
    """A top account whose plan must be reviewed on a cadence; dates are the owner's local days."""

    __tablename__ = "account_plans"
    __table_args__ = (
        UniqueConstraint("team_id", "owner_id", "account_key"),
        Index(None, "team_id", "owner_id"),
        # Plans are deleted for real; without AUTOINCREMENT SQLite would hand a removed plan's id
        # to the next one, and an old reminder's button would act on the new plan.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    owner_id: Mapped[str] = mapped_column(SLACK_ID)
    account: Mapped[str] = mapped_column(String(200))
    account_key: Mapped[str] = mapped_column(String(200))  # lower-cased, for lookups
    cadence_unit: Mapped[str] = mapped_column(String(8))  # "month" | "day"
    cadence_count: Mapped[int]
    last_reviewed: Mapped[date]
    snoozed_until: Mapped[date | None]
    created_by: Mapped[str] = mapped_column(SLACK_ID)
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """A message Tally sends on its own, recorded before any Slack call so it goes out once.

    `key` (kind:recipient:period) is unique per team: racing schedulers insert it once. A
    sender holds a row through `lease_until`; an expired lease means a sender died mid-send.
    `refusals` counts the recipient's side refusing it for good (an archived channel, a
    deleted user) since it last reached Slack: a few of those and it is abandoned.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "key"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "team_id", "kind", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(SLACK_ID)  # a user (sent as a DM) or a channel
    period: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[str] = mapped_column(Text, default="[]")  # JSON
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    refusals: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    needs_update: Mapped[bool] = mapped_column(default=False)
    # Changes to its entries, counted as they commit, and how many of them its content shows:
    # it is due a new draft while stale > drafted, and a draft lands only if it saw more
    # changes than the content shows, so an older draft never replaces a newer one.
    stale: Mapped[int] = mapped_column(default=0, server_default="0")
    drafted: Mapped[int] = mapped_column(default=0, server_default="0")
    editable_until: Mapped[datetime | None]
    # Its entry was undone: a posted message is deleted, then the row is "withdrawn".
    retracted_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class TeamSettingsRow(Base):
    """A team's settings changed from Slack (JSON of scoring.team_settings.TeamSettings)."""

    __tablename__ = "team_settings"
    __table_args__ = (UniqueConstraint("team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    settings: Mapped[str] = mapped_column(Text, default="{}")
    updated_by: Mapped[str] = mapped_column(SLACK_ID)
    updated_at: Mapped[datetime]


class SettingsChange(Base):
    """One line of `/tally admin log`: who changed what, from what to what, and when."""

    __tablename__ = "settings_changes"
    __table_args__ = (Index(None, "team_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    user_id: Mapped[str] = mapped_column(SLACK_ID)
    what: Mapped[str] = mapped_column(String(255))
    was: Mapped[str] = mapped_column(Text)
    now: Mapped[str] = mapped_column(Text)
    changed_at: Mapped[datetime]


class ApiKey(Base):
    """A key a workspace's admin made for the activity API (a CRM, Zapier, a dialer).

    Only the SHA-256 of the secret is kept: the key is shown once, when it is made. `prefix`
    (its first characters) is what lists and revocations name it by.
    """

    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("secret_hash"), Index(None, "team_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    receipts: Mapped[bool] = mapped_column(default=True)  # DM each rep the /log receipt
    created_by: Mapped[str] = mapped_column(SLACK_ID)
    created_at: Mapped[datetime]
    revoked_by: Mapped[str | None] = mapped_column(SLACK_ID)
    revoked_at: Mapped[datetime | None]


class OrgWorkspace(Base):
    """A workspace of an Enterprise Grid org that installed Tally org-wide, as its requests
    said: the org's one installation holds the bot token for it."""

    __tablename__ = "org_workspaces"
    __table_args__ = (UniqueConstraint("team_id"), Index(None, "enterprise_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID)
    enterprise_id: Mapped[str] = mapped_column(SLACK_ID)
    seen_at: Mapped[datetime]


# Wider than slack-sdk's String(200): with TALLY_SECRET_KEY they hold Fernet text (migration 0013).
TOKEN = String(400)


def slack_store_tables(
    metadata: MetaData, token: TypeEngine[str] = TOKEN
) -> tuple[Table, Table, Table]:
    """slack-sdk's installations, bots and OAuth states tables; the stores read and write
    them with `token` (sealing) columns, the schema holds them as text."""

    def installed_by() -> list[Column[Any]]:
        return [
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("client_id", String(32), nullable=False),
            Column("app_id", String(32), nullable=False),
            Column("enterprise_id", String(32)),
            Column("enterprise_name", String(200)),
        ]

    def bot() -> list[Column[Any]]:
        return [
            Column("bot_token", token),
            Column("bot_id", String(32)),
            Column("bot_user_id", String(32)),
            Column("bot_scopes", String(1000)),
            Column("bot_refresh_token", token),
            Column("bot_token_expires_at", DateTime),
        ]

    installations = Table(
        "slack_installations",
        metadata,
        *installed_by(),
        Column("enterprise_url", String(200)),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        *bot(),
        Column("user_id", String(32), nullable=False),
        Column("user_token", token),
        Column("user_scopes", String(1000)),
        Column("user_refresh_token", token),
        Column("user_token_expires_at", DateTime),
        Column("incoming_webhook_url", String(200)),
        Column("incoming_webhook_channel", String(200)),
        Column("incoming_webhook_channel_id", String(200)),
        Column("incoming_webhook_configuration_url", String(200)),
        Column("is_enterprise_install", Boolean, default=False, nullable=False),
        Column("token_type", String(32)),
        Column("installed_at", DateTime, nullable=False),
        Index(
            "slack_installations_idx",
            "client_id",
            "enterprise_id",
            "team_id",
            "user_id",
            "installed_at",
        ),
    )
    bots = Table(
        "slack_bots",
        metadata,
        *installed_by(),
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        *bot(),
        Column("is_enterprise_install", Boolean, default=False, nullable=False),
        Column("installed_at", DateTime, nullable=False),
        Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
    )
    states = Table(
        "slack_oauth_states",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("state", String(200), nullable=False),
        Column("expire_at", DateTime, nullable=False),
    )
    return installations, bots, states


slack_installations, slack_bots, slack_oauth_states = slack_store_tables(Base.metadata)
