"""Per-process cache of resolved session tokens: what a token look-up answers (principal, business
date, ``org`` data version), kept only while that answer provably still stands.

An entry is keyed by a hash of the token (BLAKE2b; the token itself is never kept) and holds the
session's expiry, checked in memory on every request. It is served only when:

- SQLite: the ``PRAGMA data_version`` of the reading connection (``SqliteReads.data_version``)
  equals the one read before the entry was: any commit by any other connection or process
  changes it, so every change is seen by the very next request, with no window.
- PostgreSQL: the process's listener (``org.auth_listener``) is up and nothing waits unread on its
  connection. Triggers on every table a principal is read from send ``NOTIFY zhanye_auth`` in the
  transaction of the change; the listener empties the cache when one arrives. While the listener
  is down or not yet up the cache is emptied and not used (fail closed). A change made through
  the ORM in this process (objects flushed, bulk UPDATE/DELETE/INSERT statements on a watched
  table) also empties the cache when its transaction commits, before the answer to that request
  is sent.

A safety net besides: an entry is read again after ``MAX_AGE_S`` whatever happened, and the
cache holds at most ``MAX_SIZE`` entries (the oldest go first). Failed look-ups (unknown, expired,
revoked, disabled) are never cached. A look-up that began before a flush never stores its answer
after it (the generation it began in must still be current).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
import weakref
from typing import Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session

MAX_SIZE = 10_000
MAX_AGE_S = 30.0


class _Entry(NamedTuple):
    read: Any  # org.service.TokenRead
    expires: float  # the session's expiry, seconds since the epoch
    stale: float  # time.monotonic() after which the entry is read again (MAX_AGE_S)
    stamp: Any  # what must still hold: SQLite (connection serial, data_version); PostgreSQL None


def token_key(token: str) -> bytes:
    return hashlib.blake2b(token.encode(), digest_size=20).digest()


class PrincipalCache:
    def __init__(self, maxsize: int = MAX_SIZE, max_age_s: float = MAX_AGE_S) -> None:
        self.maxsize = maxsize
        self.max_age_s = max_age_s
        self._entries: dict[bytes, _Entry] = {}
        self._lock = threading.Lock()
        self.generation = 0  # raised by every flush
        self.hits = 0
        self.misses = 0
        self.bypassed = 0  # look-ups made while the cache could not be trusted
        _all.add(self)

    def get(self, key: bytes, stamp: Any) -> Any:
        """The cached answer for the token of ``key`` if it still stands at ``stamp``, else None."""
        entry = self._entries.get(key)
        if entry is not None and entry.stamp == stamp and time.time() < entry.expires \
                and time.monotonic() < entry.stale:
            self.hits += 1
            return entry.read
        self.misses += 1
        return None

    def put(self, key: bytes, stamp: Any, read: Any, expires_at: dt.datetime | None, generation: int) -> None:
        """Keep a live token's answer, read at ``stamp`` by a look-up that began in ``generation``."""
        if read.principal is None or expires_at is None:
            return
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=dt.UTC)
        entry = _Entry(read, expires_at.timestamp(), time.monotonic() + self.max_age_s, stamp)
        with self._lock:
            if generation != self.generation:  # flushed while it was read: it may predate the change
                return
            if key not in self._entries and len(self._entries) >= self.maxsize:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = entry

    def flush(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries = {}

    def __len__(self) -> int:
        return len(self._entries)


_all: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()
_FLUSH = "zhanye_flush_principals"
# What a token look-up reads (the PostgreSQL triggers of ``org.auth_listener`` watch the same).
WATCHED_TABLES = frozenset({"org_session", "org_staff", "org_staff_role", "org_institution",
                            "org_role_permission", "kernel_setting", "kernel_business_date",
                            "kernel_data_version"})


def flush_all() -> None:
    """Empty every principal cache of this process."""
    for cache in list(_all):
        cache.flush()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if _FLUSH in session.info:
        return
    for objects in (session.new, session.dirty, session.deleted):
        for obj in objects:
            if getattr(obj, "__tablename__", None) in WATCHED_TABLES:
                session.info[_FLUSH] = True
                return


@event.listens_for(Session, "do_orm_execute")
def _orm_execute(state: Any) -> None:
    if state.is_select or _FLUSH in state.session.info:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED_TABLES:
        state.session.info[_FLUSH] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # (a rollback leaves the mark: the session's next commit flushes once more than needed)
    if session.info.pop(_FLUSH, False):
        flush_all()
