"""Append-only audit trail, hash-chained with SM3.

Each record's hash is SM3(prev_hash || canonical JSON of the record). Appends are serialized
through the chain head row so the chain stays linear; ``verify`` walks it and names the first
record whose content, link or sequence is broken.

``record`` does not touch the database: it captures who did what (actor, request, action,
object, changes) and buffers the record in the session. The buffered records of a transaction
are chained in one step — the head locked (``FOR UPDATE``), ids, ``at`` and hashes assigned in
order, the records and the new head written in one statement on PostgreSQL — at the latest
possible moment:

* just before the transaction commits (``before_commit``; a savepoint's release too);
* earlier, before a statement in the same session that reads or writes the audit tables (so a
  transaction still sees its own records), or when the ledger's posting takes the head for its
  own record (``claim``): it writes the buffered records with its entry, in order.

So the head, the one row every writer of the bank needs, is held only for the chaining
statements and the commit instead of from the first record of a use case to its end, and a
use case's records cost one round trip, not three each. A record buffered in a savepoint that
rolls back is discarded with it; records of the enclosing transaction chained inside a
savepoint that then rolls back are buffered again (also when the savepoint ends through a failed
flush). Within a transaction the order of ``record`` calls is the order of the chain.
``session.get(AuditChainHead, "main")`` of a head already loaded in the session answers from the
identity map without writing the buffer: read the head with a query.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, event, insert, select, text, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql.elements import TextClause

from zhanye.core import context
from zhanye.core.crypto import sm3_hex
from zhanye.core.db import lock_for_update, transaction_within, utcnow
from zhanye.core.models import AuditChainHead, AuditRecord

GENESIS_HASH = "0" * 64
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


def _fields(rec: AuditRecord) -> dict[str, Any]:
    at = rec.at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    return {
        "id": rec.id, "at": at, "actor_id": rec.actor_id, "actor_username": rec.actor_username,
        "role": rec.role, "institution_id": rec.institution_id, "device_id": rec.device_id,
        "request_id": rec.request_id, "action": rec.action, "object_type": rec.object_type,
        "object_id": rec.object_id, "changes": rec.changes,
    }


def record_hash(prev_hash: str, rec: AuditRecord) -> str:
    body = json.dumps(_fields(rec), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return sm3_hex(prev_hash + body)


# --- the buffer ----------------------------------------------------------------------------------
# session.info keys, all cleared when the outermost transaction ends:
_PENDING = "audit_pending"  # [(innermost transaction at record time, AuditRecord)], in call order
_CHAINED = "audit_chained"  # [(innermost transaction it was written in, [(origin tx, AuditRecord)])]
_HELD = "audit_head_held"  # (innermost transaction, last_id, last_hash) once it locked the head


def _innermost(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def record(session: Session, *, action: str, object_type: str, object_id: Any,
           changes: dict[str, Any] | None = None, actor: context.Principal | None = None) -> AuditRecord:
    """Append one audit record in the caller's transaction (buffered: chained and written at the
    latest before the transaction commits; ``id``, ``at`` and the hashes are set then)."""
    actor = actor or context.current_principal() or context.SYSTEM
    rec = AuditRecord(
        actor_id=actor.staff_id or None,
        actor_username=actor.username,
        role=",".join(sorted(actor.roles)),
        institution_id=actor.institution_id or None,
        device_id=actor.device_id,
        request_id=context.request_id(),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=canonical_changes(changes),
    )
    if session.get_transaction() is None:  # so that a rollback before any statement drops it too
        session.connection()
    session.info.setdefault(_PENDING, []).append((_innermost(session), rec))
    return rec


def pending_count(session: Session) -> int:
    return len(session.info.get(_PENDING) or ())


def claim(session: Session, last_id: int, last_hash: str) -> list[dict[str, Any]]:
    """For a caller that has locked the head itself in this transaction and read ``last_id`` and
    ``last_hash`` under the lock (the ledger's posting): chain the buffered records after them and
    return their rows, which the caller must write together with the head's new values (the last
    row's ``id`` and ``hash``) in the same transaction."""
    pending = session.info.pop(_PENDING, None) or []
    tx = _innermost(session)
    rows = _assign(pending, last_id, last_hash)
    if pending:
        session.info.setdefault(_CHAINED, []).append((tx, pending))
        last_id, last_hash = rows[-1]["id"], rows[-1]["hash"]
    session.info[_HELD] = (tx, last_id, last_hash)
    _sync_head(session, last_id, last_hash)
    return rows


def flush(session: Session) -> int:
    """Chain and write the buffered records now; returns how many."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return 0
    tx = _innermost(session)
    session.info.setdefault(_CHAINED, []).append((tx, pending))
    last_id, last_hash = _lock_head(session, tx)
    rows = _assign(pending, last_id, last_hash)
    new_id, new_hash = rows[-1]["id"], rows[-1]["hash"]
    if session.get_bind().dialect.name == "postgresql" and len(rows) <= PG_MAX_ROWS:
        params = row_params(rows) | {"h_id": new_id, "h_hash": new_hash}
        session.execute(_pg_write_sql(len(rows)), params, execution_options={CHAIN_AWARE: True})
    else:
        opts = {CHAIN_AWARE: True}
        session.execute(insert(AUDIT), rows, execution_options=opts)
        session.execute(update(HEAD).where(HEAD.c.name == "main").values(last_id=new_id, last_hash=new_hash),
                        execution_options=opts)
    session.info[_HELD] = (tx, new_id, new_hash)
    _sync_head(session, new_id, new_hash)
    return len(rows)


def _lock_head(session: Session, tx: SessionTransaction | None) -> tuple[int, str]:
    """The head's values, locked ``FOR UPDATE`` for the rest of the transaction. Known without a
    round trip when this (innermost) transaction already holds it; a savepoint, its rollback or a
    new transaction looks it up again."""
    held = session.info.get(_HELD)
    if held is not None and tx is not None and held[0] is tx and tx.is_active:
        return held[1], held[2]
    opts = {CHAIN_AWARE: True}
    row = session.execute(lock_for_update(select(HEAD.c.last_id, HEAD.c.last_hash).where(HEAD.c.name == "main"),
                                          session), execution_options=opts).first()
    if row is None:
        session.execute(insert(HEAD).values(name="main", last_id=0, last_hash=GENESIS_HASH), execution_options=opts)
        return 0, GENESIS_HASH
    return int(row[0]), row[1]


def _assign(pending: list[tuple[Any, AuditRecord]], last_id: int, last_hash: str) -> list[dict[str, Any]]:
    rows = []
    for _tx, rec in pending:
        rec.id, rec.at, rec.prev_hash = last_id + 1, utcnow(), last_hash
        rec.hash = record_hash(last_hash, rec)
        rows.append({c: getattr(rec, c) for c in COLUMNS})
        last_id, last_hash = rec.id, rec.hash
    return rows


def _sync_head(session: Session, last_id: int, last_hash: str) -> None:
    """An AuditChainHead already in the identity map gets the values now in the database."""
    inst = session.identity_map.get(identity_key(AuditChainHead, "main"))
    if inst is not None:
        set_committed_value(inst, "last_id", last_id)
        set_committed_value(inst, "last_hash", last_hash)


# --- PostgreSQL: the records and the head in one statement -----------------------------------------
PG_MAX_ROWS = 64  # 14 parameters a row; more go through executemany and a separate UPDATE


def insert_cte(n: int, name: str = "zy_a") -> str:
    """A data-modifying CTE inserting ``n`` audit rows bound as ``a{i}_{column}`` (see
    ``row_params``); the ``at`` parameters need ``at_bindparams(n)``."""
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    values = ", ".join("(" + ", ".join(f":a{i}_{c}" for c in COLUMNS) + ")" for i in range(n))
    return f"{name} AS (INSERT INTO kernel_audit ({cols}) VALUES {values})"  # noqa: S608 - names and counts only


HEAD_UPDATE_SQL = "UPDATE kernel_audit_head SET last_id = :h_id, last_hash = :h_hash WHERE name = 'main'"


def at_bindparams(n: int) -> list[Any]:
    return [bindparam(f"a{i}_at", type_=AUDIT.c.at.type) for i in range(n)]


def row_params(rows: list[dict[str, Any]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, row in enumerate(rows):
        params |= {f"a{i}_{k}": v for k, v in row.items()}
    return params


@functools.lru_cache(maxsize=PG_MAX_ROWS)
def _pg_write_sql(n: int) -> Any:
    return text(f"WITH {insert_cte(n)}\n{HEAD_UPDATE_SQL}").bindparams(*at_bindparams(n))


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
    # A failed flush inside a savepoint rolls the savepoint back in the database but reports only
    # its own sub-transaction (the ``with begin_nested()`` then closes the savepoint without a
    # second event): treat it as the rollback of the savepoint (or of the whole transaction).
    while not previous_transaction.nested and previous_transaction.parent is not None:
        previous_transaction = previous_transaction.parent
    if previous_transaction.parent is None:
        for key in (_PENDING, _CHAINED, _HELD):
            info.pop(key, None)
        return
    held = info.get(_HELD)
    if held is not None and transaction_within(held[0], previous_transaction):
        del info[_HELD]
    revived: list[tuple[Any, AuditRecord]] = []
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


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        for key in (_PENDING, _CHAINED, _HELD):
            session.info.pop(key, None)


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


# --- reading -------------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None


def iter_records(session: Session, batch: int = 5000) -> Iterator[AuditRecord]:
    last = 0
    while True:
        rows = session.execute(
            select(AuditRecord).where(AuditRecord.id > last).order_by(AuditRecord.id).limit(batch)
        ).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id
        session.expunge_all()


def verify(session: Session, progress: Any = None) -> VerifyResult:
    """Walk the chain from the genesis; return the first broken record, if any."""
    prev_hash = GENESIS_HASH
    expected_id = 1
    checked = 0
    for rec in iter_records(session):
        if rec.id != expected_id:
            return VerifyResult(False, checked, expected_id, f"record {expected_id} is missing")
        if rec.prev_hash != prev_hash:
            return VerifyResult(False, checked, rec.id, "link to the previous record does not match")
        if record_hash(prev_hash, rec) != rec.hash:
            return VerifyResult(False, checked, rec.id, "content does not match its hash")
        prev_hash = rec.hash
        expected_id += 1
        checked += 1
        if progress is not None:
            progress(1)
    head = session.get(AuditChainHead, "main")
    if head is not None and head.last_id != checked:
        return VerifyResult(False, checked, checked + 1, "records after the last one are missing")
    if head is not None and head.last_hash != prev_hash:
        return VerifyResult(False, checked, checked, "chain head does not match the last record")
    return VerifyResult(True, checked)
