"""SQLite: the statement every request makes (the token look-up) on a plain ``sqlite3``
connection of each thread's own, kept open.

Through an engine connection the look-up paid a pool checkout and checkin, a ``Connection``
object, a transaction object and SQLAlchemy's execution of the statement: four fifths of its
CPU, and a tenth of a whole request's. Here the statement is compiled once (``SqliteStatement``),
its parameters are put in order and its results are converted by SQLAlchemy's own result
processors for the column types, on a connection opened in autocommit (each statement sees the
latest committed data; WAL mode lets it read while another connection writes). One connection per
thread (a server's event loop, a test client's portal): a sqlite3 connection is not shared between
threads at the same time. The connections of threads that ended are closed when another opens,
and all of them with the ``Database``. An in-memory database has no file another connection
could open: ``fetch`` answers None there, and the caller reads the usual way.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import weakref
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

_serials = itertools.count(1)


class SqliteStatement:
    """A Core statement compiled for SQLite: text, parameter order, constants, result processors."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or "POSTCOMPILE" in compiled.string:
            raise ValueError("SqliteStatement: IN lists are expanded per call")
        self.sql: str = compiled.string
        self.names: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.constants = {k: v for k, v in compiled.params.items() if v is not None}
        self.processors = [entry.type.dialect_impl(dialect).result_processor(dialect, None)
                           for entry in compiled._result_columns]  # noqa: SLF001 - the columns' types, in order

    def args(self, params: dict[str, Any]) -> list[Any]:
        merged = self.constants | params
        return [merged[name] for name in self.names]

    def convert(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(value if proc is None or value is None else proc(value)
                     for proc, value in zip(self.processors, row, strict=True))


class SqliteReads:
    def __init__(self, url: str, *, timeout_s: float = 30.0) -> None:
        database = make_url(url).database
        self._path = None if not database or database == ":memory:" or database.startswith("file::memory:") \
            else database
        self._timeout = timeout_s
        self._local = threading.local()
        self._open: list[tuple[weakref.ref[threading.Thread], sqlite3.Connection]] = []
        self._lock = threading.Lock()
        self._closed = False

    def fetch(self, statement: SqliteStatement, params: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        """The statement's rows, converted; None when this database has no fast path."""
        conn = self._connection()
        if conn is None:
            return None
        try:
            rows = conn.execute(statement.sql, statement.args(params)).fetchall()
        except sqlite3.Error as exc:  # as SQLAlchemy raises it through an engine (locked: OperationalError)
            raise DBAPIError.instance(statement.sql, params, exc, sqlite3.Error) from exc
        return [statement.convert(row) for row in rows]

    def data_version(self) -> tuple[int, int] | None:
        """(this thread's connection, its ``PRAGMA data_version``): it changes whenever another
        connection or process commits a change to the database, and values of one connection only
        compare with each other, hence the connection's serial number beside it. None when this
        database has no fast path."""
        conn = self._connection()
        if conn is None:
            return None
        try:
            return self._local.serial, conn.execute("PRAGMA data_version").fetchone()[0]
        except sqlite3.Error as exc:
            raise DBAPIError.instance("PRAGMA data_version", {}, exc, sqlite3.Error) from exc

    def _connection(self) -> sqlite3.Connection | None:
        if self._closed or self._path is None:
            return None
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        conn = sqlite3.connect(self._path, timeout=self._timeout, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={int(self._timeout * 1000)}")
        self._local.conn = conn
        self._local.serial = next(_serials)
        with self._lock:
            ended = [c for t, c in self._open if t() is None or not t().is_alive()]  # type: ignore[union-attr]
            self._open = [(t, c) for t, c in self._open if c not in ended]
            self._open.append((weakref.ref(threading.current_thread()), conn))
        for old in ended:
            old.close()
        return conn

    def close(self) -> None:
        """Close every thread's connection (a thread that reads after this gets None)."""
        self._closed = True
        with self._lock:
            conns, self._open = [c for _t, c in self._open], []
        for conn in conns:
            conn.close()
