"""Append-only audit trail, hash-chained with SM3.

Each record's hash is SM3(prev_hash || canonical JSON of the record). Appends are serialized
through the chain head row so the chain stays linear; ``verify`` walks it and names the first
record whose content, link or sequence is broken.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import context
from zhanye.core.crypto import sm3_hex
from zhanye.core.db import lock_for_update, utcnow
from zhanye.core.models import AuditChainHead, AuditRecord

GENESIS_HASH = "0" * 64


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


_HELD = "audit_head_held"  # session.info: (transaction, head) once that transaction locked the head


def _head(session: Session) -> AuditChainHead:
    """The chain head, locked (``FOR UPDATE``) for the rest of the transaction. A further record in
    the same (innermost) transaction reuses it without another round trip; a savepoint, its
    rollback or a new transaction looks it up again."""
    tx = session.get_nested_transaction() or session.get_transaction()
    held = session.info.get(_HELD)
    if held is not None and held[0] is tx and tx is not None and tx.is_active and held[1] in session:
        return held[1]
    head = session.execute(
        lock_for_update(select(AuditChainHead).where(AuditChainHead.name == "main"), session)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(name="main", last_id=0, last_hash=GENESIS_HASH)
        session.add(head)
        session.flush()
    session.info[_HELD] = (tx, head)
    return head


def record(session: Session, *, action: str, object_type: str, object_id: Any,
           changes: dict[str, Any] | None = None, actor: context.Principal | None = None) -> AuditRecord:
    """Append one audit record in the caller's transaction."""
    actor = actor or context.current_principal() or context.SYSTEM
    head = _head(session)
    now = utcnow()
    rec = AuditRecord(
        id=head.last_id + 1,
        at=now,
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
        prev_hash=head.last_hash,
    )
    rec.hash = record_hash(head.last_hash, rec)
    session.add(rec)
    head.last_id = rec.id
    head.last_hash = rec.hash
    session.flush()
    return rec


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
