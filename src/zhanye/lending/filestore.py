"""Files written as part of a database transaction (signed contract PDFs).

``write_in_transaction`` writes the file at once (atomic rename, so it is durable before the
commit: a committed row never points at a missing file) and remembers it on the session's
current transaction. A rollback of that transaction — or of any enclosing one, savepoints
included — deletes the file, so a failed use case leaves no orphan in the storage. Only a process
killed between the write and the commit can leave one: such a file is named by no row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from zhanye.core.db import rolled_back, transaction_within

_KEY = "zhanye.lending.pending_files"


def write_in_transaction(session: Session, path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (never overwriting another file; callers put the content's
    digest in the name) and delete it again if the session's current transaction rolls back."""
    if path.exists():  # content-addressed names: the same bytes are already stored (kept), else refuse
        if path.read_bytes() == data:
            return
        raise FileExistsError(str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    txn = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_KEY, []).append((txn, path))


@event.listens_for(Session, "after_soft_rollback")
def _delete_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[tuple[Any, Path]] = session.info.get(_KEY) or []
    if not pending:
        return
    previous_transaction = rolled_back(previous_transaction)  # (a failed flush: its savepoint)
    keep = []
    for txn, path in pending:
        if txn is None or transaction_within(txn, previous_transaction):
            path.unlink(missing_ok=True)
        else:
            keep.append((txn, path))
    session.info[_KEY] = keep


@event.listens_for(Session, "after_commit")
def _forget_committed(session: Session) -> None:
    if session.get_nested_transaction() is None:  # the event also fires for a released savepoint
        session.info.pop(_KEY, None)
