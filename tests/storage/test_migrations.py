"""Every migration, up and down, on SQLite and PostgreSQL, with people's data in the tables.

Revisions are read from the script directory, so a new migration is covered without editing
this file. Upgrades must keep every row and value. Downgrades exist to roll back a fresh deploy:
each drops what its own revision added (tables, columns, and the data in them) and nothing older.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    text,
)
from sqlalchemy.types import TypeEngine

from storage.db import MIGRATIONS_DIR, READ_ONLY, make_engine
from storage.models import Base

BASE = "base"
VERSION_TABLE = "alembic_version"
# What people type: markup, quotes, accents and emoji must come back byte for byte.
PEOPLES_TEXT = "Acme & <Sons> — “Q4 renewal”, café 🚀"
# Realistic values for columns whose meaning the name gives away; others get one per type.
BY_NAME: dict[str, object] = {
    "team_id": "T0TALLY",
    "tz": "America/New_York",
    "role": "manager",
    "status": "pending",
    "activity_key": "demo_self_led",
    "week": "2026-W48",
    "period": "2026-W48",
    "source": "slash",
    "currency": "EUR",
    "cadence_unit": "month",
    "kind": "digest",
    "blocks": '[{"type": "section", "text": {"type": "mrkdwn", "text": "*420* pts"}}]',
    "amount": Decimal("12500.50"),
}

Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]  # table -> primary key -> column -> value


@dataclass(frozen=True)
class Step:
    """The database just after upgrading to `revision` and adding that schema's data."""

    revision: str
    schema: dict[str, Any]
    rows: Rows


def _revisions() -> list[str]:
    """Base to head, in order; the history must stay one straight line."""
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    assert len(script.get_heads()) == 1, f"several heads: {script.get_heads()}"
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _migrate(engine: Engine, direction: str, target: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, direction)(config, target)


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables, columns, keys and indexes as the database reports them, to compare two states."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for table in sorted(set(inspector.get_table_names()) - {VERSION_TABLE}):
        columns = [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)]
        unique = sorted(
            (u["name"] or "", tuple(u["column_names"]))
            for u in inspector.get_unique_constraints(table)
        )
        indexes = sorted(
            (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
            for i in inspector.get_indexes(table)
        )
        primary = inspector.get_pk_constraint(table)
        schema[table] = {
            "columns": sorted(columns),
            "primary_key": (primary["name"], tuple(primary["constrained_columns"])),
            "unique": unique,
            "indexes": indexes,
            "autoincrement": table in _sqlite_autoincrement_tables(engine),
        }
    return schema


def _schema_changes(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What differs, table by table and aspect by aspect, readable in a failure."""
    changes = []
    for table in sorted(expected.keys() | found.keys()):
        want, got = expected.get(table), found.get(table)
        if want is None or got is None:
            changes.append(f"{table}: {'added' if want is None else 'gone'}")
            continue
        changes += [
            f"{table} {aspect}: {got[aspect]!r}, was {want[aspect]!r}"
            for aspect in want
            if want[aspect] != got[aspect]
        ]
    return changes


def _sqlite_autoincrement_tables(engine: Engine) -> set[str]:
    """SQLite tables that never hand out a deleted row's id again; reflection can't see it."""
    if engine.dialect.name != "sqlite":
        return set()
    with _reading(engine) as connection:
        found = connection.execute(
            text(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'"
            )
        )
        return set(found.scalars())


def _rows(engine: Engine) -> Rows:
    """Every stored value as the driver hands it back, untouched by any column type."""
    inspector = inspect(engine)
    keys = {
        table: inspector.get_pk_constraint(table)["constrained_columns"]
        for table in sorted(set(inspector.get_table_names()) - {VERSION_TABLE})
    }
    rows: Rows = {}
    with _reading(engine) as connection:
        for table, key in keys.items():
            result = connection.exec_driver_sql(f'SELECT * FROM "{table}"')
            records = [dict(zip(result.keys(), values, strict=True)) for values in result]
            rows[table] = {tuple(r[k] for k in key): r for r in records}
    return rows


def _reading(engine: Engine) -> Connection:
    """A connection that doesn't take SQLite's write lock, so it never waits on the inspector's."""
    return engine.execution_options(**{READ_ONLY: True}).connect()


def _value(column: Column[Any], step: int, n: int) -> object:
    """A value a person could have stored in `column`, unique per (step, n) where it matters."""
    if column.name in BY_NAME:
        return BY_NAME[column.name]
    kind: TypeEngine[Any] = column.type
    if isinstance(kind, Boolean):
        return n % 2 == 1
    if isinstance(kind, Integer):
        return 100 * step + n + 1
    if isinstance(kind, Numeric):
        return Decimal(f"{1000 * step + n}.25")
    if isinstance(kind, DateTime):
        return datetime(2026, 11, 26, 15, 0, tzinfo=UTC) + timedelta(
            days=step, minutes=n, microseconds=123456
        )
    if isinstance(kind, Date):
        return date(2026, 11, 2) + timedelta(days=step + n)
    if isinstance(kind, Text):
        return f"{PEOPLES_TEXT} #{step}.{n}"
    if isinstance(kind, String):
        unique = f"U{step}X{n}{column.name.upper().replace('_', '')}"
        return unique[: kind.length] if kind.length else unique
    raise AssertionError(f"no sample value for {column.table.name}.{column.name} ({kind})")


def _add_user_data(engine: Engine, step: int) -> None:
    """Two rows in every table: one leaving optional columns empty, one filling all of them."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            if table.name == VERSION_TABLE:
                continue
            for n in range(2):
                connection.execute(table.insert().values(_row(table, step, n)))


def _row(table: Table, step: int, n: int) -> dict[str, object]:
    row = {}
    for column in table.columns:
        if column.primary_key and column.autoincrement in (True, "auto"):
            continue  # the database numbers rows, as it does for the app
        row[column.name] = None if column.nullable and n == 0 else _value(column, step, n)
    if _unique_alone(table, "team_id"):  # one row per workspace: each row its own workspace
        row["team_id"] = f"T{step}X{n}"
    return row


def _unique_alone(table: Table, name: str) -> bool:
    return any(
        isinstance(c, UniqueConstraint) and [col.name for col in c.columns] == [name]
        for c in table.constraints
    )


def _lost(before: Rows, after: Rows) -> list[str]:
    """Rows of `before` that `after` lacks, or holds with a different value in an old column."""
    lost = []
    for table, rows in before.items():
        for key, row in rows.items():
            now = after.get(table, {}).get(key)
            if now is None:
                lost.append(f"{table} {key}: gone")
            elif changed := {c: (v, now.get(c)) for c, v in row.items() if now.get(c) != v}:
                lost.append(f"{table} {key}: {changed}")
    return lost


def _as_of(rows: Rows, shape: Rows) -> Rows:
    """All of `rows`, cut down to the tables and columns `shape` has."""
    columns = {table: next(iter(held.values())).keys() for table, held in shape.items()}
    return {
        table: {key: {c: row[c] for c in columns[table]} for key, row in rows[table].items()}
        for table in columns
    }


def _climb(engine: Engine) -> list[Step]:
    """Upgrade one revision at a time from an empty database, adding data at each step and
    checking the upgrade kept everything already there."""
    steps: list[Step] = []
    for number, revision in enumerate(_revisions(), start=1):
        before = steps[-1].rows if steps else {}
        _migrate(engine, "upgrade", revision)
        assert _lost(before, _rows(engine)) == [], f"upgrading to {revision} lost data"
        _add_user_data(engine, number)
        steps.append(Step(revision, _schema(engine), _rows(engine)))
    return steps


def _drift(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def _model_autoincrement_tables() -> set[str]:
    return {
        name
        for name, table in Base.metadata.tables.items()
        if table.dialect_options["sqlite"]["autoincrement"]
    }


def test_upgrading_one_revision_at_a_time_keeps_every_row_and_value(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        steps = _climb(engine)
        head = steps[-1].rows
        for step in steps:  # what was stored at each step reached the head intact
            assert _lost(step.rows, head) == [], f"data stored at {step.revision} changed"
    finally:
        engine.dispose()


def test_each_downgrade_restores_the_previous_schema_and_keeps_older_data(
    database_url: str,
) -> None:
    engine = make_engine(database_url)
    try:
        steps = _climb(engine)
        head = steps[-1].rows
        for older, newer in zip(reversed(steps[:-1]), reversed(steps[1:]), strict=True):
            _migrate(engine, "downgrade", older.revision)
            left = _schema_changes(older.schema, _schema(engine))
            assert left == [], f"downgrading {newer.revision} left changes"
            # Rows added after `older` stay too, minus the columns later revisions added.
            assert _rows(engine) == _as_of(head, older.rows)
        _migrate(engine, "downgrade", BASE)
        assert _schema(engine) == {}
    finally:
        engine.dispose()


def test_a_full_round_trip_ends_on_the_schema_the_models_describe(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        steps = _climb(engine)
        assert _drift(engine) == []
        for older in reversed(steps[:-1]):
            _migrate(engine, "downgrade", older.revision)
        _migrate(engine, "downgrade", BASE)
        _migrate(engine, "upgrade", steps[-1].revision)

        assert _schema_changes(steps[-1].schema, _schema(engine)) == []
        assert _drift(engine) == []
        if engine.dialect.name == "sqlite":
            assert _sqlite_autoincrement_tables(engine) == _model_autoincrement_tables()
        _add_user_data(engine, len(steps) + 1)  # the rebuilt schema takes data again
    finally:
        engine.dispose()


def test_deal_amounts_stored_before_currencies_existed_read_as_dollars(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        _migrate(engine, "upgrade", "0003")
        _add_user_data(engine, 1)  # one activity with an amount, one without
        _migrate(engine, "upgrade", "0004")
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT amount IS NOT NULL, currency FROM activities ORDER BY id")
            ).all()
        assert [tuple(row) for row in stored] == [(False, None), (True, "USD")]
    finally:
        engine.dispose()
