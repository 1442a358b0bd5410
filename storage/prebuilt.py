"""Core statements of the `/log` path compiled once per database and run on the driver's cursor.

Why by hand: SQLAlchemy's execution of an already cached Core statement (an execution context,
parameter processing, result metadata, events) costs ~35 µs of CPU per statement on SQLite and
~90 on PostgreSQL (`python -m bench.log_profile`'s layers), more than the driver's own work,
and every `/log` sends three or four (issue #12); no SQLAlchemy API skips that work for a
statement it has already compiled. What is not done by hand: the SQL is SQLAlchemy's, compiled
from the same Core statements, and every value goes in and comes out through its column type's
own SQLAlchemy processors, so what is stored is what the ORM stores. A statement runs in the
caller's session, after its autoflush, on its connection; only the engine's cursor events
are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Dialect, inspect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session, configure_mappers
from sqlalchemy.sql.compiler import Compiled
from sqlalchemy.sql.expression import Executable

Processor = Callable[[Any], Any]
Mapped = TypeVar("Mapped")


class _Compiled:
    """One statement for one dialect: its SQL, how to order and convert the parameters, and
    (from the first answer's column types) how to convert what comes back."""

    def __init__(self, compiled: Compiled, dialect: Dialect, expected: frozenset[str]) -> None:
        binds = compiled.binds  # type: ignore[attr-defined]
        missing = {name for name, bind in binds.items() if name not in expected and bind.required}
        assert not missing, f"parameters the caller never passes (column defaults?): {missing}"
        self.constants = {name: bind.value for name, bind in binds.items() if not bind.required}
        self.sql = compiled.string
        self.dialect = dialect
        names: Sequence[str] = compiled.positiontup or list(binds)  # type: ignore[attr-defined]
        self.positional = compiled.positiontup is not None  # type: ignore[attr-defined]
        # dialect_impl: the type as the dialect stores it (SQLite's DATETIME text, say), whose
        # processors are the ones SQLAlchemy itself runs.
        self.binds = [
            (n, binds[n].type.dialect_impl(dialect).bind_processor(dialect)) for n in names
        ]
        # What the statement answers (none: it returns no rows).
        self.columns = [column.type for column in compiled.statement.exported_columns]
        self.results: list[tuple[int, Processor]] | None = None  # the columns to convert

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {**self.constants, **values} if self.constants else values
        if self.positional:
            return [p(values[n]) if p else values[n] for n, p in self.binds]
        return {n: p(values[n]) if p else values[n] for n, p in self.binds}

    def convert(self, rows: list[Any], cursor: Any) -> list[Sequence[Any]]:
        if self.results is None:  # psycopg builds `description` anew on every read: once
            kinds = zip(self.columns, cursor.description, strict=True)
            self.results = [
                (i, p)
                for i, (kind, column) in enumerate(kinds)
                if (p := kind.dialect_impl(self.dialect).result_processor(self.dialect, column[1]))
            ]
        if not self.results:
            return rows
        converted = []
        for row in rows:
            values = list(row)
            for i, process in self.results:
                if values[i] is not None:  # every processor Tally's columns use keeps None
                    values[i] = process(values[i])
            converted.append(values)
        return converted


class Prebuilt:
    """A Core statement whose parameters are always the same names (no expanding IN, no
    column defaults left to SQLAlchemy), run straight on the connection's DBAPI cursor."""

    def __init__(
        self, statement: Executable | Mapping[str, Executable], *, column_keys: Sequence[str] = ()
    ) -> None:
        self.statement = statement  # or one per dialect name, where their SQL differs
        self.column_keys = list(column_keys)  # the columns an INSERT writes: no others
        self._compiled: dict[str, _Compiled] = {}

    def rows(self, session: Session, values: Mapping[str, Any]) -> list[Sequence[Any]]:
        """Every row the statement answers (none for a write without RETURNING), seeing the
        session's own changes as an ORM query would (autoflush)."""
        if session.autoflush:
            session.flush()
        bind = session.bind  # joined to a connection's transaction (storage.db.joined_write)
        connection = bind if isinstance(bind, Connection) else session.connection()
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compile(dialect, values)
        try:
            parameters = compiled.parameters(values)
        except Exception as error:  # a value its column can't keep: what SQLAlchemy raises
            raise StatementError(str(error), compiled.sql, values, error) from error
        cursor, rows = on_driver(connection, compiled.sql, parameters, fetch=bool(compiled.columns))
        return compiled.convert(rows, cursor) if rows else rows

    def _compile(self, dialect: Dialect, values: Mapping[str, Any]) -> _Compiled:
        statement = self.statement
        if isinstance(statement, Mapping):
            statement = statement[dialect.name]
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=dialect, column_keys=self.column_keys
        )
        self._compiled[dialect.name] = made = _Compiled(compiled, dialect, frozenset(values))
        return made


def on_driver(
    connection: Connection, sql: str, parameters: Any = (), *, fetch: bool = False
) -> tuple[Any, list[Any]]:
    """Run `sql` on the connection's kept driver cursor: (the cursor, its rows if `fetch`).
    The driver's errors are raised as SQLAlchemy raises them (OperationalError for a lock
    wait that ran out, say), and a dropped connection is invalidated, as SQLAlchemy does, so
    the pool replaces it."""
    cursor = _cursor(connection)
    try:
        cursor.execute(sql, parameters)
        return cursor, cursor.fetchall() if fetch else []
    except connection.dialect.loaded_dbapi.Error as error:
        dialect = connection.dialect
        dropped = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
        if dropped:
            connection.invalidate(error)
        raise DBAPIError.instance(
            sql,
            parameters,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=dropped,
            dialect=dialect,
        ) from error


def _cursor(connection: Connection) -> Any:
    """One cursor per driver connection, kept in the pool's `info` for it (cleared when the
    connection is invalidated): psycopg's cursor caches the adapters for a statement's
    parameters and columns, ~30 µs of every statement on a new cursor."""
    pooled = connection.connection
    cursor = pooled.info.get(_CURSOR)
    if cursor is None:
        cursor = pooled.info[_CURSOR] = pooled.dbapi_connection.cursor()  # type: ignore[union-attr]
    return cursor


_CURSOR = "tally.prebuilt.cursor"


def detached(cls: type[Mapped], values: Mapping[str, Any]) -> Mapped:
    """A mapped object holding a row's `values` as the ORM's loading puts them in (no
    constructor, so no attribute events or history): read-only use, in no session. Why:
    `Member(**values)` runs an event per column, ~15-20 µs for a member or an entry, twice
    in every /log."""
    mapper = inspect(cls)
    if not mapper.configured:  # a constructor would have configured them: a fresh process
        configure_mappers()
    instance: Mapped = mapper.class_manager.new_instance()
    instance.__dict__.update(values)
    return instance
