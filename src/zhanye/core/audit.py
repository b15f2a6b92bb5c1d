"""Append-only audit trail, hash-chained with SM3.

Each record's hash is SM3(prev_hash || canonical JSON of the record). Appends are serialized
through a chain head row so each chain stays linear; ``verify`` walks the chains and names the
first record whose content, link or sequence is broken.

Lanes: on PostgreSQL the trail is ``ZHANYE_AUDIT_LANES`` chains (default 4) so that concurrent
writers do not all queue for one head row. Lane ``k`` has the head row ``head_name(k)`` and the
record ids ``k * LANE_SPAN + 1, + 2, ...`` without gaps; a transaction's records are contiguous in
one lane. A writer of a process takes the first lane no transaction of the process is using, so
a process that writes one transaction at a time (and SQLite, always) uses lane 0 only. Order by
``at`` (then ``id``) across lanes. The lanes are anchored to each other by seals (``seal``, every
business-date roll): a record naming each lane's head, which ``verify`` requires to be there.

``record`` does not touch the database: it captures who did what (actor, request, action,
object, changes) and buffers the record in the session. The buffered records of a transaction
are chained in one step — the head locked (``FOR UPDATE``), ids, ``at`` and hashes assigned in
order, the records and the new head written in one statement on PostgreSQL — at the latest
possible moment:

* just before the transaction commits (``before_commit``; a savepoint's release too);
* earlier, before a statement in the same session that reads or writes the audit tables (so a
  transaction still sees its own records).

A ledger posting on PostgreSQL writes the buffered records with its entry, in its own statement
(``chain_in_turn`` / ``settle``, see "chaining in turn" below).

So the head, the one row every writer of the bank needs, is held only from the chaining
statement to the commit instead of from the first record of a use case to its end. On
PostgreSQL the writers of a process take turns and a chaining is usually one statement through
the driver (``core.db.pg_execute``); on SQLite it is a look-up and two writes. A record
buffered in a savepoint that rolls back is discarded with it; records of the enclosing
transaction chained inside a savepoint that then rolls back are buffered again (also when the
savepoint ends through a failed flush). Within a transaction the order of ``record`` calls is the order of the chain.
``session.get(AuditChainHead, "main")`` of a head already loaded in the session answers from the
identity map without writing the buffer: read the head with a query.
"""

# ruff: noqa: S608  -- the statements are built from column names and counts only, never from input
from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql.elements import TextClause

from zhanye.core import context
from zhanye.core.config import get_settings
from zhanye.core.crypto import sm3_hex
from zhanye.core.db import (
    is_postgresql,
    pg_cast_type,
    pg_execute,
    rolled_back,
    sync_loaded,
    transaction_within,
    utcnow,
)
from zhanye.core.models import AuditChainHead, AuditRecord

GENESIS_HASH = "0" * 64
LANE_SPAN = 1 << 40  # ids of lane k: k * LANE_SPAN + 1 ... (k + 1) * LANE_SPAN - 1; a head's last_id too
MAX_LANES = 8
AUDIT = AuditRecord.__table__
HEAD = AuditChainHead.__table__
COLUMNS = [c.name for c in AUDIT.columns]
# Execution option of statements that handle the chain themselves (never chain before them).
CHAIN_AWARE = "zhanye_audit_chain_aware"


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return str(value)


def canonical_changes(changes: dict[str, Any] | None) -> str:
    return json.dumps(changes or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=_json_default)


def _fields(rec: AuditRecord | Pending) -> dict[str, Any]:
    assert rec.at is not None
    at = rec.at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return {
        "id": rec.id, "at": at, "actor_id": rec.actor_id, "actor_username": rec.actor_username,
        "role": rec.role, "institution_id": rec.institution_id, "device_id": rec.device_id,
        "request_id": rec.request_id, "action": rec.action, "object_type": rec.object_type,
        "object_id": rec.object_id, "changes": rec.changes,
    }


def record_hash(prev_hash: str, rec: AuditRecord | Pending) -> str:
    body = json.dumps(_fields(rec), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sm3_hex(prev_hash + body)


# --- the buffer ----------------------------------------------------------------------------------
# session.info keys, all cleared when the outermost transaction ends:
_PENDING = "audit_pending"  # [(innermost transaction at record time, Pending)], in call order
_CHAINED = "audit_chained"  # [(innermost transaction it was written in, [(origin tx, Pending)])]
_HELD = "audit_head_held"  # (innermost transaction, last_id, last_hash) once it locked the head
_TURN = "audit_turn"  # the transaction's last turn (PostgreSQL)
_OWNED = "audit_head_owned"  # (transaction that locked a head, its lane): the lock outlives _HELD's values


def head_name(lane: int) -> str:
    return "main" if lane == 0 else f"lane{lane}"


def lane_of(record_or_head_id: int) -> int:
    return record_or_head_id // LANE_SPAN


def lanes() -> int:
    """How many lanes the writers of this process spread over (``ZHANYE_AUDIT_LANES``)."""
    return min(max(get_settings().audit_lanes, 1), MAX_LANES)


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


# What the columns hold: a record is cut to them before it is hashed, so that every database
# stores exactly what the hash covers.
_LEN = {c.name: c.type.length for c in AUDIT.columns if getattr(c.type, "length", None)}


@dataclass(slots=True, eq=False)
class Pending:
    """A record buffered in the session (the ``kernel_audit`` columns; an ORM object would cost
    more to build than the rest of a ledger posting's Python)."""

    actor_id: int | None
    actor_username: str
    role: str
    institution_id: int | None
    device_id: str | None
    request_id: str | None
    action: str
    object_type: str
    object_id: str
    changes: str
    id: int | None = None
    at: dt.datetime | None = None
    prev_hash: str | None = None
    hash: str | None = None


def record(session: Session, *, action: str, object_type: str, object_id: Any,
           changes: dict[str, Any] | None = None, actor: context.Principal | None = None) -> Pending:
    """Append one audit record in the caller's transaction (buffered: chained and written at the
    latest before the transaction commits; ``id``, ``at`` and the hashes are set then)."""
    actor = actor or context.current_principal() or context.SYSTEM
    rec = Pending(
        actor_id=actor.staff_id or None,
        actor_username=actor.username[:_LEN["actor_username"]],
        role=",".join(sorted(actor.roles))[:_LEN["role"]],
        institution_id=actor.institution_id or None,
        device_id=actor.device_id[:_LEN["device_id"]] if actor.device_id else None,
        request_id=(context.request_id() or "")[:_LEN["request_id"]] or None,
        action=action[:_LEN["action"]],
        object_type=object_type[:_LEN["object_type"]],
        object_id=str(object_id)[:_LEN["object_id"]],
        changes=canonical_changes(changes),
    )
    if session.get_transaction() is None:  # so that a rollback before any statement drops it too
        session.connection()
    session.info.setdefault(_PENDING, []).append((_innermost(session), rec))
    return rec


def pending_count(session: Session) -> int:
    return len(session.info.get(_PENDING) or ())


def discard(session: Session, rec: Pending) -> None:
    """Take back a buffered record of something that did not happen after all."""
    pending = session.info.get(_PENDING) or []
    session.info[_PENDING] = [(tx, r) for tx, r in pending if r is not rec]


def flush(session: Session) -> int:
    """Chain and write the buffered records now; returns how many."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return 0
    tx = _innermost(session)
    session.info.setdefault(_CHAINED, []).append((tx, pending))
    if is_postgresql(session) and len(pending) <= PG_MAX_ROWS:
        rows = _flush_pg(session, tx, pending)
    else:
        rows = _assign(pending, *_lock_head(session, tx))
        opts = {CHAIN_AWARE: True}
        session.execute(insert(AUDIT), rows, execution_options=opts)
        session.execute(update(HEAD).where(HEAD.c.name == head_name(lane_of(rows[-1]["id"]))).values(
            last_id=rows[-1]["id"], last_hash=rows[-1]["hash"]), execution_options=opts)
    new_id, new_hash = rows[-1]["id"], rows[-1]["hash"]
    _set_held(session, tx, new_id, new_hash)
    _sync_head(session, new_id, new_hash)
    if is_postgresql(session):
        _publish(session, (new_id, new_hash))
    return len(rows)


def _held(session: Session, tx: SessionTransaction | None) -> tuple[int, str] | None:
    """The head's values if this transaction holds its lock: taken in ``tx`` or in a transaction
    around it (PostgreSQL keeps a lock taken in a savepoint when the savepoint is released, which
    hands ``_HELD`` to its parent, and drops it when the savepoint rolls back)."""
    held = session.info.get(_HELD)
    if held is not None and tx is not None and tx.is_active and transaction_within(tx, held[0]):
        return held[1], held[2]
    return None


def _set_held(session: Session, tx: SessionTransaction | None, last_id: int, last_hash: str) -> None:
    """``tx`` wrote the head (or locked it and read these values): the values are valid in it,
    and the lock, if no transaction around it took it before, is its own."""
    session.info[_HELD] = (tx, last_id, last_hash)
    if _owned_lane(session, tx) is None:
        session.info[_OWNED] = (tx, lane_of(last_id))


def _owned_lane(session: Session, tx: SessionTransaction | None) -> int | None:
    """The lane whose head ``tx`` holds locked (taken in it or in a transaction around it), even
    when the values written since are gone with a rolled-back savepoint: one head a transaction."""
    owned = session.info.get(_OWNED)
    if owned is not None and tx is not None and tx.is_active and transaction_within(tx, owned[0]):
        return int(owned[1])
    return None


def _lock_head(session: Session, tx: SessionTransaction | None, lane: int = 0) -> tuple[int, str]:
    """The head's values, locked ``FOR UPDATE`` for the rest of the transaction: the head the
    transaction holds already (``_held``: taken in this savepoint, around it, or in a savepoint
    of it since released), or else the lane's it holds locked (its values read again: a
    savepoint that wrote it rolled back), or else ``lane``'s, looked up (in a new transaction,
    or after a rollback of the savepoint that took it)."""
    held = _held(session, tx)
    if held is not None:
        return held
    owned = _owned_lane(session, tx)
    if owned is not None:
        lane = owned
    opts = {CHAIN_AWARE: True}
    name = head_name(lane)
    if is_postgresql(session):
        rows = pg_execute(session, _PG_LOCK_HEAD_SQL, {"h_name": name})
        row = rows[0] if rows else None
    else:
        row = session.execute(select(HEAD.c.last_id, HEAD.c.last_hash).where(HEAD.c.name == name),
                              execution_options=opts).first()
    if row is None:
        session.execute(insert(HEAD).values(name=name, last_id=lane * LANE_SPAN, last_hash=GENESIS_HASH),
                        execution_options=opts)
        return lane * LANE_SPAN, GENESIS_HASH
    return int(row[0]), row[1]


def _assign(pending: list[tuple[Any, Pending]], last_id: int, last_hash: str) -> list[dict[str, Any]]:
    if lane_of(last_id + len(pending)) != lane_of(last_id):
        raise RuntimeError(f"audit lane {lane_of(last_id)} is full: configure the writers to use other lanes")
    rows = []
    for _tx, rec in pending:
        rec.id, rec.at, rec.prev_hash = last_id + 1, utcnow(), last_hash
        rec.hash = record_hash(last_hash, rec)
        rows.append({c: getattr(rec, c) for c in COLUMNS})
        last_id, last_hash = rec.id, rec.hash
    return rows


def _sync_head(session: Session, last_id: int, last_hash: str) -> None:
    """An AuditChainHead already in the identity map gets the values now in the database."""
    sync_loaded(session, AuditChainHead, head_name(lane_of(last_id)), {"last_id": last_id, "last_hash": last_hash})


# --- PostgreSQL: the records and the head in one statement (through the driver) ------------------
PG_MAX_ROWS = 64  # 14 parameters a row; more go through executemany and a separate UPDATE
_PG_LOCK_HEAD_SQL = f"SELECT last_id, last_hash FROM {HEAD.name} WHERE name = %(h_name)s FOR UPDATE"


def row_params(rows: list[dict[str, Any]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, row in enumerate(rows):
        params |= {f"a{i}_{k}": v for k, v in row.items()}
    return params


@functools.lru_cache(maxsize=PG_MAX_ROWS)
def _pg_write_sql(n: int) -> str:
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    values = ", ".join("(" + ", ".join(f"%(a{i}_{c})s" for c in COLUMNS) + ")" for i in range(n))
    return (f"WITH zy_a AS (INSERT INTO {AUDIT.name} ({cols}) VALUES {values})\n"  # noqa: S608 - names, counts
            f"UPDATE {HEAD.name} SET last_id = %(h_id)s, last_hash = %(h_hash)s WHERE name = %(h_name)s")


# --- PostgreSQL: chaining in turn, after the head the previous writer of the process left -------
# Locking the head and reading it costs a round trip while every other writer of the bank waits.
# Instead the chaining statements of a process take turns: a statement is sent once the one
# before it in the process has come back (it then holds the head, so ours queues behind it in
# the database, which hands the lock over at its commit without a round trip to us), chained
# after the head that one left, and it updates the head only ``WHERE`` it still is that one —
# in the same statement that inserts the records, which are written only if the head was. When
# the guard fails (another process wrote, the previous writer rolled back) or the previous
# writer's head is unknown, the head is locked and read as usual. The guard (id and hash of the
# last record) is what keeps the chain right; the turns only make it usually succeed. A writer
# whose predecessor does not come back within ``_TURN_WAIT`` seconds (its use case may be waiting
# for ours) goes ahead without an expectation.
#
# Turns are taken per lane: a writer takes the first lane whose last turn's transaction has
# ended (none of the process's transactions holds or waits for its head), or, all lanes being in
# use, the next one in rotation.
_TURN_WAIT = 0.05


@dataclass(eq=False)
class _Turn:
    lane: int
    came_back: threading.Event = field(default_factory=threading.Event)
    head: tuple[int, str] | None = None  # the head its statement left (None: unknown)
    intended: tuple[int, str] | None = None  # the head it means to leave, once it has chained
    ended: bool = False  # its transaction has committed or rolled back

    def finish(self, head: tuple[int, str] | None) -> None:
        self.head = head
        self.came_back.set()


# the last turn of each lane, by pool (a pool is a process's connections to one database)
_TAILS: weakref.WeakKeyDictionary[Any, list[_Turn | None]] = weakref.WeakKeyDictionary()
_TAILS_LOCK = threading.Lock()
_ROTATION = itertools.count()


def _take_lane(tails: list[_Turn | None]) -> int:
    n = lanes()
    for lane in range(n):
        tail = tails[lane]
        if tail is None or tail.ended:
            return lane
    return next(_ROTATION) % n


def _last(rows: list[dict[str, Any]]) -> tuple[int, str]:
    return rows[-1]["id"], rows[-1]["hash"]


def _pool(session: Session) -> Any:
    bind = session.get_bind()
    return getattr(bind, "engine", bind).pool


def _publish(session: Session, head: tuple[int, str]) -> None:
    """After a write by a transaction that held the head already: the process's last turn, if
    it is still this transaction's and nobody queued behind it, now leaves this head."""
    turn = session.info.get(_TURN)
    if turn is None:
        return
    with _TAILS_LOCK:
        tails = _TAILS.get(_pool(session))
        if tails is not None and tails[turn.lane] is turn and lane_of(head[0]) == turn.lane:
            turn.head = turn.intended = head


def _set_turn(session: Session, turn: _Turn) -> None:
    """The transaction's turn from now on. A turn taken before in it no longer holds its lane:
    a new one is taken only when the transaction holds no head (a savepoint rolled back)."""
    before = session.info.get(_TURN)
    if before is not None and before is not turn:
        before.ended = True
    session.info[_TURN] = turn


def _in_turn(session: Session, pending: list[Any]) -> tuple[list[dict[str, Any]] | None, tuple[int, str] | None, _Turn]:
    """Queue behind the process's previous chaining statement and chain ``pending`` after the
    head it left: (rows, that head, our turn); ``(None, None, turn)`` when that head is unknown
    (the caller reads it under the lock, in the turn's lane). The records are chained ahead,
    after the head the previous writer means to leave, while it is still on its way; again if it
    left another."""
    pool = _pool(session)
    with _TAILS_LOCK:
        tails = _TAILS.get(pool)
        if tails is None:
            tails = _TAILS[pool] = [None] * MAX_LANES
        lane = _take_lane(tails)
        prev = tails[lane]
        me = tails[lane] = _Turn(lane)
    try:
        assumed = prev.intended if prev is not None else None
        rows = None
        if assumed is not None:
            rows = _assign(pending, *assumed)
            me.intended = _last(rows)
        if prev is None or not prev.came_back.wait(_TURN_WAIT) or prev.head is None:
            return None, None, me
        if rows is None or prev.head != assumed:
            rows = _assign(pending, *prev.head)
            me.intended = _last(rows)
        return rows, prev.head, me
    except BaseException:  # (a full lane) the next writer need not wait for us
        me.ended = True
        me.finish(None)
        raise


def _flush_pg(session: Session, tx: SessionTransaction | None, pending: list[Any]) -> list[dict[str, Any]]:
    held = _held(session, tx)
    if held is None and _owned_lane(session, tx) is not None:
        held = _lock_head(session, tx)  # ours already: read again, no wait
    if held is not None:  # this transaction holds the head: no guard, no turn
        rows = _assign(pending, *held)
        pg_execute(session, _pg_write_sql(len(rows)), _params(rows))
        return rows
    left = None
    rows, expect, turn = _in_turn(session, pending)
    _set_turn(session, turn)
    try:
        if rows is not None and expect is not None:
            now = tuple(pg_execute(session, _pg_guarded_sql(len(rows)), _params(rows, expect))[0])
            if now == _last(rows):
                left = now
                return rows
            if now[0] is not None:  # the head, locked by the statement: chain after it
                _set_held(session, tx, now[0], now[1])
        rows = _assign(pending, *_lock_head(session, tx, turn.lane))
        turn.intended = _last(rows)
        pg_execute(session, _pg_write_sql(len(rows)), _params(rows))
        left = _last(rows)
        return rows
    finally:
        turn.finish(left)


def _params(rows: list[dict[str, Any]], expect: tuple[int, str] | None = None) -> dict[str, Any]:
    params = row_params(rows) | {"h_id": rows[-1]["id"], "h_hash": rows[-1]["hash"],
                                 "h_name": head_name(lane_of(rows[-1]["id"]))}
    if expect is not None:
        params |= {"h_prev_id": expect[0], "h_prev_hash": expect[1]}
    return params


@dataclass
class Chained:
    """Records chained in turn after an expected head, for a caller's own statement (``guarded_ctes``)."""

    rows: list[dict[str, Any]]
    params: dict[str, Any]
    batch: list[tuple[Any, Pending]]
    turn: _Turn | None  # None: the transaction holds the head already


def chain_in_turn(session: Session) -> Chained | None:
    """For a caller that writes the buffered records in a statement of its own (the ledger's
    posting): take the process's turn and chain them after the head the previous writer left.
    ``None`` when there is nothing to chain (or too much): the records stay buffered and are
    chained at commit. The caller sends its statement right away and then calls ``settle``."""
    pending = session.info.get(_PENDING)
    if not pending or len(pending) > PG_MAX_ROWS or not is_postgresql(session):
        return None
    tx = _innermost(session)
    expect = _held(session, tx)
    if expect is None and _owned_lane(session, tx) is not None:
        expect = _lock_head(session, tx)  # ours already: read again, no wait
    turn = None
    if expect is not None:
        rows = _assign(pending, *expect)
    else:
        got, expect, turn = _in_turn(session, pending)
        _set_turn(session, turn)  # (so that its transaction's end frees the lane whatever happens)
        if got is None or expect is None:  # read it under the lock, in our turn (the guard then holds)
            try:
                expect = _lock_head(session, tx, turn.lane)
                got = _assign(pending, *expect)
            except BaseException:
                turn.finish(None)
                raise
            turn.intended = _last(got)
        rows = got
    del session.info[_PENDING]
    # as written in this transaction: a rollback of it revives what the enclosing one recorded
    session.info.setdefault(_CHAINED, []).append((tx, pending))
    return Chained(rows, _params(rows, expect), pending, turn)


def settle(session: Session, chained: Chained, head: tuple[Any, Any] | None,
           drop: Pending | None = None) -> None:
    """After the caller's statement, with the head it returned (``None`` if it failed): the
    records are written, or (the guard failed) they are chained after the head the statement
    locked and written now; ``drop`` is a record of something the statement did not do."""
    left = _last(chained.rows)
    tx = _innermost(session)
    try:
        if head == left and drop is None:
            _set_held(session, tx, *left)
            _sync_head(session, *left)
            if chained.turn is not None:
                _set_turn(session, chained.turn)  # (finished below)
            else:
                _publish(session, left)
            return
        done = session.info.get(_CHAINED) or []
        if done and done[-1][1] is chained.batch:
            done.pop()
        session.info[_PENDING] = [(t, r) for t, r in chained.batch if r is not drop] + (
            session.info.get(_PENDING) or [])
        left = None
        if chained.turn is not None:
            _set_turn(session, chained.turn)
        if head is not None and head[0] is not None:  # the statement locked the head: chain after it
            _set_held(session, tx, head[0], head[1])
            if head == _last(chained.rows):  # written although its entry was not: never expected
                raise AssertionError("a dropped record was written")
            flush(session)
            left = _held(session, tx)
    finally:
        if chained.turn is not None:
            chained.turn.finish(left)


@functools.lru_cache(maxsize=PG_MAX_ROWS)
def guarded_ctes(n: int, after: str | None = None) -> str:
    """Two CTEs: the head locked and updated only if it still is the expected one (and, with
    ``after``, a condition on the statement's other CTEs, only if that holds: they are run
    before the head is locked, so that their work is not done while holding it), and the ``n``
    records inserted only if the head was (parameters: ``Chained.params``). ``GUARDED_RESULT``
    selects the head after the statement: the last record's id and hash if it was written."""
    types = {c.name: pg_cast_type(c.type) for c in AUDIT.columns}
    values = ", ".join("(" + ", ".join(f"CAST(%(a{i}_{c})s AS {types[c]})" for c in COLUMNS) + ")"
                       for i in range(n))
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    # Locked first, compared after: a guard in the WHERE clause would be tested against the row
    # as of the statement's start and skip it, instead of waiting for the previous writer's commit.
    # ``after`` comes first: the comparison with the row as of the statement's start is usually
    # false (the previous writer has not committed yet) and would skip it until the recheck under
    # the lock.
    ok = (f"{after} AND " if after else "") + "last_id = %(h_prev_id)s AND last_hash = %(h_prev_hash)s"
    return (f"zy_h AS (UPDATE {HEAD.name} SET last_id = CASE WHEN {ok} THEN %(h_id)s ELSE last_id END, "
            f"last_hash = CASE WHEN {ok} THEN %(h_hash)s ELSE last_hash END WHERE name = %(h_name)s "
            "RETURNING last_id, last_hash),\n"
            f"zy_a AS (INSERT INTO {AUDIT.name} ({cols}) SELECT v.* FROM (VALUES {values}) AS v "
            "WHERE EXISTS (SELECT 1 FROM zy_h WHERE last_id = %(h_id)s AND last_hash = %(h_hash)s))")


GUARDED_RESULT = "(SELECT last_id FROM zy_h), (SELECT last_hash FROM zy_h)"


@functools.lru_cache(maxsize=PG_MAX_ROWS)
def _pg_guarded_sql(n: int) -> str:
    return f"WITH {guarded_ctes(n)}\nSELECT {GUARDED_RESULT}"


# --- when the buffer is written --------------------------------------------------------------------

@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    # Also on a savepoint's release (the event does not say which transaction commits, and the
    # outermost one may commit while a savepoint is still open): written into the savepoint just
    # before it is released, the records are the enclosing transaction's from then on.
    if session.info.get(_PENDING):
        flush(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    info = session.info
    previous_transaction = rolled_back(previous_transaction)  # (a failed flush: its savepoint)
    if previous_transaction.parent is None:
        _end(info)
        return
    held = info.get(_HELD)
    if held is not None and transaction_within(held[0], previous_transaction):
        del info[_HELD]
    owned = info.get(_OWNED)
    if owned is not None and transaction_within(owned[0], previous_transaction):  # the lock went with it
        del info[_OWNED]
    revived: list[tuple[Any, Pending]] = []
    kept = []
    for tx, batch in info.get(_CHAINED, []):
        if transaction_within(tx, previous_transaction):  # written in the rolled-back savepoint
            revived.extend((t, r) for t, r in batch if not transaction_within(t, previous_transaction))
        else:
            kept.append((tx, batch))
    if _CHAINED in info:
        info[_CHAINED] = kept
    pending = [(t, r) for t, r in info.get(_PENDING, []) if not transaction_within(t, previous_transaction)]
    if revived or pending or _PENDING in info:
        info[_PENDING] = revived + pending


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Also on a savepoint's release (then still the session's nested transaction): what it
    # holds, its enclosing transaction holds from now on.
    nested = session.get_nested_transaction()
    held = session.info.get(_HELD)
    if nested is not None and held is not None and held[0] is nested and nested.parent is not None:
        session.info[_HELD] = (nested.parent, held[1], held[2])
    owned = session.info.get(_OWNED)
    if nested is not None and owned is not None and owned[0] is nested and nested.parent is not None:
        session.info[_OWNED] = (nested.parent, owned[1])


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        _end(session.info)


def _end(info: dict[Any, Any]) -> None:
    """The outermost transaction has ended: its head lock is gone (its lane is free again)."""
    turn = info.pop(_TURN, None)
    if turn is not None:
        turn.ended = True
    for key in (_PENDING, _CHAINED, _HELD, _OWNED):
        info.pop(key, None)


_AUDIT_TABLES = (AUDIT.name, HEAD.name)


def _touches_audit(statement: Any) -> bool:
    if isinstance(statement, TextClause):
        return "kernel_audit" in statement.text
    # ORM statements hold annotated copies of the tables: compare names
    return any(getattr(t, "name", None) in _AUDIT_TABLES
               for t in sql_util.find_tables(statement, include_crud=True, include_joins=True))


@event.listens_for(Session, "do_orm_execute")
def _before_execute(state: ORMExecuteState) -> None:
    """A statement on the audit tables sees the transaction's own records: write them first."""
    session = state.session
    if (session.info.get(_PENDING) and not state.execution_options.get(CHAIN_AWARE)
            and _touches_audit(state.statement)):
        flush(session)


# --- seals: the lanes anchored to each other ----------------------------------------------------
SEAL_ACTION = "audit.seal"


def seal(session: Session, actor: context.Principal | None = None) -> Pending:
    """Record every lane's head (last id and hash) as of now. ``verify`` then requires each
    sealed record to be there, with that hash: a lane cannot lose its end (records deleted and
    its head wound back), nor be rewritten from some record on, behind a later seal. The
    business-date roll seals every day."""
    heads = {h.name: [h.last_id, h.last_hash] for h in session.execute(select(AuditChainHead)).scalars()
             if h.last_id % LANE_SPAN}
    return record(session, action=SEAL_ACTION, object_type="audit", object_id="lanes",
                  changes={"heads": heads}, actor=actor)


# --- reading -------------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None


def iter_records(session: Session, batch: int = 5000, lane: int | None = None) -> Iterator[AuditRecord]:
    """The records in id order: all of them, or one lane's."""
    last = 0 if lane is None else lane * LANE_SPAN
    stmt = select(AuditRecord).order_by(AuditRecord.id).limit(batch)
    if lane is not None:
        stmt = stmt.where(AuditRecord.id < (lane + 1) * LANE_SPAN)
    while True:
        rows = session.execute(stmt.where(AuditRecord.id > last)).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify(session: Session, progress: Any = None) -> VerifyResult:
    """Walk each lane's chain from its genesis; return the first broken record, if any."""
    heads = {h.name: (h.last_id, h.last_hash) for h in session.execute(select(AuditChainHead)).scalars()}
    checked = 0
    sealed: dict[int, tuple[str, int]] = {}  # record id -> (hash, id of the seal that names it)
    for lane in range(MAX_LANES):
        prev_hash, expected_id = GENESIS_HASH, lane * LANE_SPAN + 1
        for rec in iter_records(session, lane=lane):
            if rec.id != expected_id:
                return VerifyResult(False, checked, expected_id, f"record {expected_id} is missing")
            if rec.prev_hash != prev_hash:
                return VerifyResult(False, checked, rec.id, "link to the previous record does not match")
            if record_hash(prev_hash, rec) != rec.hash:
                return VerifyResult(False, checked, rec.id, "content does not match its hash")
            if rec.action == SEAL_ACTION:
                for last_id, last_hash in json.loads(rec.changes).get("heads", {}).values():
                    sealed[int(last_id)] = (last_hash, rec.id)
            prev_hash = rec.hash
            expected_id += 1
            checked += 1
            if progress is not None:
                progress(1)
        last_id = expected_id - 1
        head = heads.pop(head_name(lane), None)
        if head is None:
            if last_id != lane * LANE_SPAN:
                return VerifyResult(False, checked, last_id, f"the head of lane {lane} is missing")
            continue
        if head[0] != last_id:
            return VerifyResult(False, checked, last_id + 1, "records after the last one are missing")
        if head[1] != prev_hash:
            return VerifyResult(False, checked, last_id, "chain head does not match the last record")
    stray = session.execute(select(AuditRecord.id).where(
        (AuditRecord.id < 1) | (AuditRecord.id >= MAX_LANES * LANE_SPAN)).order_by(AuditRecord.id).limit(1)).scalar()
    if stray is not None:
        return VerifyResult(False, checked, stray, "record outside every lane")
    if heads:
        return VerifyResult(False, checked, None, f"unknown chain head {sorted(heads)[0]}")
    return _check_seals(session, sealed, checked)


def _check_seals(session: Session, sealed: dict[int, tuple[str, int]], checked: int) -> VerifyResult:
    ids = sorted(sealed)
    for i in range(0, len(ids), 1000):
        chunk = ids[i:i + 1000]
        found = dict(session.execute(select(AuditRecord.id, AuditRecord.hash).where(AuditRecord.id.in_(chunk))).all())
        for rid in chunk:
            want, seal_id = sealed[rid]
            if found.get(rid) != want:
                return VerifyResult(False, checked, rid, f"record {rid} (lane {lane_of(rid)}), sealed by record "
                                    f"{seal_id}, is {'missing' if rid not in found else 'not the one sealed'}")
    return VerifyResult(True, checked)
