"""The hot prebuilt statements, run straight on SQLite's DB-API connection.

SQLAlchemy's execution path (parameter processing, cursor and result set-up, events) costs
tens of microseconds a statement, more than SQLite takes to run most of the engine's statements.
:class:`FastConnection` wraps a :class:`~sqlalchemy.Connection` inside its transaction: the
statements of :mod:`leadflow.state._stmts` it knows are compiled once by SQLAlchemy itself (same
SQL, same bind and result processing through the column types' own processors) and then run on
the underlying ``sqlite3`` connection; anything else goes to SQLAlchemy unchanged. DB-API errors
are raised as SQLAlchemy's (``IntegrityError`` and so on), so callers see one exception tree.

The store's write transactions and the reads that find it free share one kept connection
(:class:`KeptConnection`): a pool checkout and reset cost more than most reads, and SQLite drops
a connection's page cache whenever another connection has written, so a reader of its own
connection would read every page afresh after each commit. A read that finds it busy takes a
pooled connection (:class:`PooledReader`). Both are wrapped so.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Connection, DateTime, Dialect, Engine
from sqlalchemy.exc import DBAPIError

_Processor = Callable[[Any], Any] | None


class _Compiled:
    """One statement compiled for SQLite: its SQL, where each parameter comes from, and how
    values are converted on the way in and out."""

    def __init__(self, stmt: Any, dialect: Dialect, column_keys: Sequence[str] | None = None) -> None:
        compiled = stmt.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        if getattr(compiled, "_post_compile_expanded_state", None) or "POSTCOMPILE" in compiled.string:
            raise ValueError("expanding parameters are left to SQLAlchemy")
        self.sql: str = compiled.string
        self.params: list[tuple[str, Any, _Processor]] = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            value = bind.effective_value if bind.callable is not None or bind.value is not None else _REQUIRED
            if value is _REQUIRED and column_keys is not None and bind.key not in column_keys:
                raise ValueError(f"{bind.key} is filled in by SQLAlchemy (a column default)")
            impl = bind.type.dialect_impl(dialect)
            process = impl.bind_processor(dialect)
            if isinstance(impl, DateTime) and process is not None:
                process = _iso_datetime(process)
            self.params.append((bind.key, value, process))
        columns = list(getattr(stmt, "exported_columns", ()) or ())
        self.returns = bool(columns)
        keys = [getattr(c, "key", None) or getattr(c, "name", None) or f"c{i}" for i, c in enumerate(columns)]
        self.row: Any = namedtuple("Row", keys, rename=True)  # type: ignore[misc]
        results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        # (column, processor) where there is one; a NULL stays None (every processor maps it so)
        self._converted: list[tuple[int, Callable[[Any], Any]]] = [
            (i, p) for i, p in enumerate(results) if p is not None
        ]

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for key, default, process in self.params:
            value = params[key] if key in params else default
            if value is _REQUIRED:
                raise KeyError(f"statement parameter {key!r} missing")
            out.append(process(value) if process is not None else value)
        return tuple(out)

    def rows(self, raw: list[tuple[Any, ...]]) -> list[Any]:
        make = self.row._make
        converted = self._converted
        if not converted:
            return [make(r) for r in raw]
        out = []
        for r in raw:
            values = list(r)
            for i, process in converted:
                if values[i] is not None:
                    values[i] = process(values[i])
            out.append(make(values))
        return out


_REQUIRED = object()
_SAMPLES = [
    datetime(2026, 3, 2, 14, 5, 9, 7),
    datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(999, 1, 1),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=-5))),
]


def _iso_datetime(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """SQLite's DATETIME bind processor writes a datetime's own fields as naive ISO text with
    microseconds; ``isoformat`` writes the same text about a fifth faster. Used only when it
    agrees with SQLAlchemy's on sample values (a custom storage format keeps SQLAlchemy's)."""

    def iso(value: Any) -> Any:
        if type(value) is datetime:
            return value.isoformat(" ", "microseconds")[:26]  # the offset, if any, is dropped
        return process(value)

    return iso if all(iso(s) == process(s) for s in _SAMPLES) else process


class FastResult:
    """The part of SQLAlchemy's ``Result`` the store uses."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one(self) -> Any:
        if len(self._rows) != 1:
            raise ValueError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> list[Any]:
        return [r[0] for r in self._rows]


class FastStatements:
    """Which statements run fast, compiled once per statement (and per set of INSERT columns)."""

    def __init__(self, dialect: Dialect, statements: Sequence[Any]) -> None:
        self.dialect = dialect
        self._known = {id(s): s for s in statements}
        self._compiled: dict[tuple[int, tuple[str, ...] | None], _Compiled | None] = {}

    def add(self, stmt: Any) -> None:
        self._known[id(stmt)] = stmt

    def compiled(self, stmt: Any, column_keys: tuple[str, ...] | None) -> _Compiled | None:
        key = (id(stmt), column_keys)
        if key not in self._compiled:
            if id(stmt) not in self._known:
                return None
            try:
                self._compiled[key] = _Compiled(stmt, self.dialect, column_keys)
            except ValueError:
                self._compiled[key] = None
        return self._compiled[key]


class FastConnection:
    """A SQLAlchemy connection whose ``execute`` runs known statements on the DB-API connection."""

    def __init__(self, conn: Connection, fast: FastStatements, *, autocommit: bool = False) -> None:
        self._conn = conn
        self._fast = fast
        self._autocommit = autocommit  # a read: each fast statement is its own snapshot, no BEGIN

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    @property
    def info(self) -> dict[Any, Any]:
        return self._conn.info

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """What ``begin_nested()`` does, on the DB-API connection: a SAVEPOINT that an exception
        rolls back to (and re-raises), released otherwise. Inside the store's write transaction."""
        if not self._conn.in_transaction():
            self._conn.begin()
        raw: sqlite3.Connection = self._conn.connection.dbapi_connection  # type: ignore[assignment]
        raw.execute("SAVEPOINT leadflow_commit")
        try:
            yield
        except BaseException:
            raw.execute("ROLLBACK TO leadflow_commit")
            raw.execute("RELEASE leadflow_commit")
            raise
        raw.execute("RELEASE leadflow_commit")

    def execute(self, stmt: Any, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        many = isinstance(params, list)
        if args or kwargs or (many and not params):
            return self._conn.execute(stmt, params, *args, **kwargs)
        first = params[0] if many else (params or {})
        compiled = self._fast.compiled(stmt, tuple(first) if stmt.is_insert else None)
        if compiled is None:
            return self._conn.execute(stmt, params)
        if not self._autocommit and not self._conn.in_transaction():
            self._conn.begin()  # the store's BEGIN (deferred for readers, IMMEDIATE for writers)
        raw: sqlite3.Connection = self._conn.connection.dbapi_connection  # type: ignore[assignment]
        try:
            if many:
                cur = raw.executemany(compiled.sql, [compiled.values(p) for p in params])
                return FastResult([], cur.rowcount)
            cur = raw.execute(compiled.sql, compiled.values(first))
            fetched = compiled.rows(cur.fetchall()) if compiled.returns else []
            return FastResult(fetched, cur.rowcount)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(compiled.sql, params, exc, sqlite3.Error) from exc


class KeptConnection:
    """One SQLite connection kept open: every write transaction, and any read that finds it free."""

    def __init__(self, engine: Engine, fast: FastStatements) -> None:
        self.engine = engine
        self.fast = fast
        self._lock = threading.Lock()
        self._conn: Connection | None = None

    def borrow(self) -> _Loan | None:
        """A read transaction on the kept connection, or ``None`` when it is in use."""
        return _Loan(self, read=True) if self._lock.acquire(blocking=False) else None

    def write(self) -> _Loan:
        """A write transaction on the kept connection (waits for a read in progress to end)."""
        self._lock.acquire()
        return _Loan(self, read=False)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _Loan:
    """``with``: the kept connection (the lock is taken; given back on exit). A write is one
    transaction (BEGIN IMMEDIATE, see ``SqlStore``); a read is not: each fast statement reads
    its own WAL snapshot, and a statement SQLAlchemy runs begins a deferred transaction."""

    def __init__(self, kept: KeptConnection, *, read: bool) -> None:
        self.kept = kept
        self.read = read

    def __enter__(self) -> Connection:
        kept = self.kept
        try:
            if kept._conn is None:
                kept._conn = kept.engine.connect()
            kept._conn.execution_options(leadflow_read=self.read)  # in place: read by the begin hook
            if not self.read:
                kept._conn.begin()
        except BaseException:
            kept._lock.release()
            raise
        # a read runs the fast statements in autocommit (a BEGIN and COMMIT around one SELECT
        # only cost time); one that SQLAlchemy runs opens a transaction, ended on exit
        return cast(Connection, FastConnection(kept._conn, kept.fast, autocommit=self.read))

    def __exit__(self, *exc: Any) -> None:
        kept = self.kept
        conn = kept._conn
        try:
            if conn is not None and conn.in_transaction():
                if exc[0] is None:
                    conn.commit()
                else:
                    conn.rollback()
        except BaseException:
            conn, kept._conn = kept._conn, None
            if conn is not None:
                conn.invalidate()
            raise
        finally:
            kept._lock.release()


class PooledReader:
    """``with``: a pooled SQLite connection for one read (when the kept one is busy)."""

    def __init__(self, engine: Engine, fast: FastStatements) -> None:
        self.engine = engine
        self.fast = fast

    def __enter__(self) -> Connection:
        self.conn = self.engine.connect().execution_options(leadflow_read=True)
        return cast(Connection, FastConnection(self.conn, self.fast))

    def __exit__(self, *exc: Any) -> None:
        self.conn.close()
