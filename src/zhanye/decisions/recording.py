"""Recording of production decisions, in two modes.

``durable``  the record row is added to the caller's session, so it commits or rolls back with
             the caller's transaction: a decision tied to a loan application is never lost and
             never exists without the application. Use this from lending.
``buffered`` the row goes to an in-process buffer flushed in bulk (one multi-row INSERT per up
             to ``BATCH`` rows, on its own short transaction) by a background thread every
             ``INTERVAL`` seconds, when the buffer is full, and at exit. It trades durability of
             the last moments (a crash may lose up to one interval of records) for throughput;
             use it for high-volume callers that are not tied to a transaction (fraud.transfer
             screening, simulators, load tests). ``flush_all()`` forces a flush.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import json
import threading
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from zhanye.decisions.models import DecisionRecord

BATCH = 2000
INTERVAL = 0.5


class BufferedRecorder:
    def __init__(self, bind: Engine) -> None:
        self.bind = bind
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="decision-recorder", daemon=True)
        self._thread.start()

    def add(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._rows.append(row)
            full = len(self._rows) >= BATCH
        if full:
            self._wake.set()

    def _run(self) -> None:
        while not self._stop:
            self._wake.wait(INTERVAL)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # keep the thread alive; rows stay buffered for the next try
                import logging

                logging.getLogger(__name__).exception("flushing decision records failed")

    def pending(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                _bulk_insert(self.bind, rows)
            except Exception:
                with self._lock:
                    self._rows = rows + self._rows
                raise
            return len(rows)

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self.flush()


COLUMNS = ("decision_key", "version_id", "institution_id", "role", "at", "caller", "input", "output", "trace",
           "latency_us", "champion_output")
JSON_COLUMNS = {"input", "output", "trace", "champion_output"}


def _bulk_insert(bind: Engine, rows: list[dict[str, Any]]) -> None:
    """One executemany of pre-serialized rows straight to the driver (no ORM, no per-row type
    processing): JSON columns as text, timestamps as SQLite text or aware datetimes on PostgreSQL."""
    sqlite = bind.dialect.name == "sqlite"
    mark = "?" if bind.dialect.paramstyle == "qmark" else "%s"
    names, marks = ", ".join(COLUMNS), ", ".join([mark] * len(COLUMNS))
    sql = f"INSERT INTO {DecisionRecord.__tablename__} ({names}) VALUES ({marks})"  # noqa: S608 - constant names
    dumps = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
    params = []
    for r in rows:
        at = r["at"]
        if sqlite:
            at = at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", timespec="microseconds")
        params.append(tuple(
            at if c == "at" else (None if r.get(c) is None else dumps(r[c])) if c in JSON_COLUMNS else r.get(c)
            for c in COLUMNS))
    with bind.begin() as conn:
        for start in range(0, len(params), BATCH):
            conn.exec_driver_sql(sql, params[start:start + BATCH])


_recorders: dict[int, BufferedRecorder] = {}
_reg_lock = threading.Lock()


def recorder_for(session: Session) -> BufferedRecorder:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    found = _recorders.get(id(engine))
    if found is None:
        with _reg_lock:
            found = _recorders.get(id(engine))
            if found is None:
                found = BufferedRecorder(engine)
                _recorders[id(engine)] = found
    return found


def flush_all() -> int:
    return sum(r.flush() for r in list(_recorders.values()))


def add_durable(session: Session, row: dict[str, Any]) -> DecisionRecord:
    rec = DecisionRecord(**row)
    session.add(rec)
    return rec


def insert_durable(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """The ``durable`` records written in the caller's transaction now; their ids. On PostgreSQL
    one prepared ``INSERT ... RETURNING`` per row through the session's driver connection (an ORM
    flush of a record cost a drawdown four times as much CPU); elsewhere the ORM adds and flushes."""
    from zhanye.core.db import is_postgresql, pg_execute

    if not is_postgresql(session):
        recs = [add_durable(session, r) for r in rows]
        session.flush()
        return [rec.id for rec in recs]
    dumps = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
    return [pg_execute(session, _pg_insert_sql(), {
        c: (None if r.get(c) is None else dumps(r[c])) if c in JSON_COLUMNS else r.get(c) for c in COLUMNS})[0][0]
        for r in rows]


@functools.cache
def _pg_insert_sql() -> str:
    from zhanye.core.db import pg_cast_type

    table = DecisionRecord.__table__
    values = ", ".join(f"CAST(%({c})s AS {pg_cast_type(table.c[c].type)})" for c in COLUMNS)
    return f"INSERT INTO {table.name} ({', '.join(COLUMNS)}) VALUES ({values}) RETURNING id"  # noqa: S608


atexit.register(flush_all)
