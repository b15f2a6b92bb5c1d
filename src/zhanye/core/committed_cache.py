"""Per-process caches of rows that never change once written (a loan GL pool, a GL account's id),
kept per database, that learn a value only from a transaction that commits.

A value read or written in a transaction is noted in the session; it enters the cache when that
transaction commits and is dropped when it rolls back (a savepoint's rollback drops every value
the transaction noted: only a chance to cache is lost). So the cache never holds a row that a
rolled-back transaction made, and never needs invalidating: use it only for rows that are never
updated or deleted. Databases are told apart by their connection pool (one per ``Database``).
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_caches: list[CommittedCache] = []


class CommittedCache:
    def __init__(self, name: str) -> None:
        self._info_key = f"committed_cache:{name}"
        self._values: weakref.WeakKeyDictionary[Any, dict[Hashable, Any]] = weakref.WeakKeyDictionary()
        _caches.append(self)

    def get(self, session: Session, key: Hashable) -> Any | None:
        return self._values.get(session.get_bind().pool, {}).get(key)

    def note(self, session: Session, key: Hashable, value: Any) -> None:
        """``value`` as the transaction of ``session`` sees it: cached once that transaction commits."""
        session.info.setdefault(self._info_key, {})[key] = value

    def _commit(self, session: Session) -> None:
        noted = session.info.pop(self._info_key, None)
        if noted:
            self._values.setdefault(session.get_bind().pool, {}).update(noted)

    def _rollback(self, session: Session) -> None:
        session.info.pop(self._info_key, None)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info:
        for cache in _caches:
            cache._commit(session)  # noqa: SLF001 - the module's own class


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if session.info:
        for cache in _caches:
            cache._rollback(session)  # noqa: SLF001
