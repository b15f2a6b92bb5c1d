"""The token look-up of every request, answered from the principal cache when it may be
(``org.principal_cache``: SQLite validates each hit by ``PRAGMA data_version``, PostgreSQL by its
listener), else read by ``org.service`` and kept."""

from __future__ import annotations

import threading
import weakref
from typing import Any

from zhanye.org import service
from zhanye.org.auth_listener import AuthListener
from zhanye.org.principal_cache import PrincipalCache, token_key

_caches: weakref.WeakKeyDictionary[Any, PrincipalCache] = weakref.WeakKeyDictionary()
_listeners: weakref.WeakKeyDictionary[Any, AuthListener] = weakref.WeakKeyDictionary()
_lock = threading.RLock()  # listener_of takes it, then cache_of


def cache_of(db: Any) -> PrincipalCache:
    """The database's principal cache in this process (made on first use)."""
    cache = _caches.get(db)
    if cache is None:
        with _lock:
            cache = _caches.get(db)
            if cache is None:
                cache = _caches[db] = PrincipalCache()
    return cache


def listener_of(db: Any) -> AuthListener:
    """PostgreSQL: the database's listener in this process, started on first use and stopped with
    the database's connections."""
    listener = _listeners.get(db)
    if listener is None:
        with _lock:
            listener = _listeners.get(db)
            if listener is None:
                listener = _listeners[db] = AuthListener(str(db.engine.url.render_as_string(hide_password=False)),
                                                         cache_of(db))
                listener.start()
                db.async_reads.on_close(listener.stop)  # (at once if closed already)
                weakref.finalize(db, listener.stop)  # a Database dropped without dispose()
    return listener


def resolve_sqlite(db: Any, token: str) -> service.TokenRead:
    """``service.resolve_token_sqlite``, served from the cache while nothing was committed to the
    database since the entry was read."""
    stamp = db.sqlite_reads.data_version()
    if stamp is None:  # an in-memory database: no fast path, no cache
        return service.resolve_token_sqlite(db, token)
    cache = cache_of(db)
    key = token_key(token)
    read = cache.get(key, stamp)
    if read is not None:
        return read
    generation = cache.generation
    return _keep(db, token, cache, key, stamp, generation, service.token_rows_sqlite(db, token))


async def resolve_async(db: Any, token: str) -> service.TokenRead:
    """``service.resolve_token_async``, served from the cache while the listener vouches for it."""
    listener = listener_of(db)
    cache = listener.cache
    if not listener.fresh():
        cache.bypassed += 1
        return await service.resolve_token_async(db, token)
    key = token_key(token)
    read = cache.get(key, None)
    if read is not None:
        return read
    generation = cache.generation
    return _keep(db, token, cache, key, None, generation, await service.token_rows_async(db, token))


def _keep(db: Any, token: str, cache: PrincipalCache, key: bytes, stamp: Any, generation: int,
          rows: list[Any] | None) -> service.TokenRead:
    """The answer from a look-up's rows, kept in ``cache`` when it may be."""
    read = service.token_from_rows(db, token, rows)
    if rows:
        cache.put(key, stamp, read, service.token_cache_until(rows[0]), generation)
    return read
