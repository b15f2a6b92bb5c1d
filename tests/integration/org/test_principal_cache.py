"""The principal cache on a real database: a repeated look-up is served from memory, and a change
made behind the application's back (another process's plain SQL) is seen by the next look-up:
SQLite by ``PRAGMA data_version``, PostgreSQL by the listener's notification. On PostgreSQL the
cache is not used while the listener is down or its triggers are missing (fail closed)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.integration.org.helpers import live_token
from zhanye.core.db import Database
from zhanye.org import security, token_reads


def _sql_elsewhere(db: Any, sql: str, params: tuple[Any, ...]) -> None:
    """Run ``sql`` on a connection of its own, as another process would (no ORM, no event of ours)."""
    url = make_url(db.url)
    if db.is_sqlite:
        conn = sqlite3.connect(url.database)
        try:
            conn.execute(sql.replace("%s", "?"), params)
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(sql, params)


def _wait(predicate: Any, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def _resolve(db: Any, token: str) -> Any:
    if db.is_sqlite:
        return token_reads.resolve_sqlite(db, token)
    return asyncio.run(token_reads.resolve_async(db, token))


def _ready(db: Any) -> None:
    """PostgreSQL: the listener started and up (the cache is used from then on)."""
    if not db.is_sqlite:
        listener = token_reads.listener_of(db)
        assert _wait(lambda: listener.up), "the auth listener did not come up"


def _settled_token(db: Any, username: str) -> str:
    """A live token of ``username``; on PostgreSQL once the listener has read the notification of
    the session's own insert (so that a later notification is the one a test waits for)."""
    if db.is_sqlite:
        return live_token(db, username)
    _ready(db)
    listener = token_reads.listener_of(db)
    before = listener.notifications
    token = live_token(db, username)
    assert _wait(lambda: listener.notifications > before and listener.fresh())
    return token


def _hit(db: Any, token: str) -> Any:
    """Look ``token`` up twice; the second answer must come from the cache."""
    cache = token_reads.cache_of(db)
    _resolve(db, token)
    hits = cache.hits
    read = _resolve(db, token)
    assert cache.hits == hits + 1, "the second look-up was not served from the cache"
    return read


def test_a_repeated_look_up_is_served_from_the_cache(demo_db) -> None:  # type: ignore[no-untyped-def]
    token = _settled_token(demo_db, "admin")
    first = _resolve(demo_db, token)
    again = _hit(demo_db, token)
    assert again.principal == first.principal and again.principal.username == "admin"
    assert again.business_date == first.business_date and again.org_version == first.org_version


@pytest.mark.parametrize("change", ["revoke", "disable", "expire"])
def test_a_change_by_another_process_is_seen_by_the_next_look_up(demo_db, change: str) -> None:  # type: ignore[no-untyped-def]
    token = _settled_token(demo_db, "analyst2")
    assert _hit(demo_db, token).principal.username == "analyst2"
    digest = security.token_hash(token)
    seen = None if demo_db.is_sqlite else token_reads.listener_of(demo_db).notifications
    if change == "revoke":
        _sql_elsewhere(demo_db, "UPDATE org_session SET revoked_at = expires_at WHERE token_hash = %s", (digest,))
    elif change == "expire":
        _sql_elsewhere(demo_db, "UPDATE org_session SET expires_at = '2000-01-01 00:00:00' WHERE token_hash = %s",
                       (digest,))
    else:
        _sql_elsewhere(demo_db, "UPDATE org_staff SET status = 'disabled' WHERE username = %s", ("analyst2",))
    try:
        if not demo_db.is_sqlite:  # once the notification has been read (the socket drained: the
            listener = token_reads.listener_of(demo_db)  # request path no longer bypasses the cache)
            assert _wait(lambda: listener.notifications > seen and listener.fresh())
        assert _resolve(demo_db, token).principal is None  # SQLite: no window, the very next look-up
    finally:
        _sql_elsewhere(demo_db, "UPDATE org_staff SET status = 'active' WHERE username = %s", ("analyst2",))


def test_a_change_through_the_service_empties_the_cache_at_commit(demo_db) -> None:  # type: ignore[no-untyped-def]
    """No notification to wait for: this process's own commit empties its caches."""
    from zhanye.org.models import StaffSession

    token = _settled_token(demo_db, "admin")
    cache = token_reads.cache_of(demo_db)
    assert _hit(demo_db, token).principal is not None and len(cache) > 0
    with demo_db.unit_of_work() as s:
        row = s.query(StaffSession).filter_by(token_hash=security.token_hash(token)).one()
        row.revoked_at = row.expires_at
        assert len(cache) > 0  # not before the commit
    assert len(cache) == 0
    assert _resolve(demo_db, token).principal is None


def _pg_only(db: Any) -> None:
    if db.is_sqlite:
        pytest.skip("PostgreSQL: the listener")


def test_the_cache_is_bypassed_while_the_listener_is_down(demo_db) -> None:  # type: ignore[no-untyped-def]
    _pg_only(demo_db)
    db = Database(demo_db.url, pool_size=2)
    try:
        listener = token_reads.listener_of(db)
        token = _settled_token(db, "admin")
        cache = listener.cache
        _hit(db, token)
        assert len(cache) == 1
        listener.stop()
        assert not listener.fresh() and len(cache) == 0
        bypassed = cache.bypassed
        _sql_elsewhere(db, "UPDATE org_session SET revoked_at = expires_at WHERE token_hash = %s",
                       (security.token_hash(token),))
        assert _resolve(db, token).principal is None  # read afresh, at once
        assert cache.bypassed == bypassed + 1 and len(cache) == 0
    finally:
        db.dispose()


def test_a_lost_listener_connection_fails_closed_and_comes_back(demo_db) -> None:  # type: ignore[no-untyped-def]
    _pg_only(demo_db)
    db = Database(demo_db.url, pool_size=2)
    try:
        listener = token_reads.listener_of(db)
        listener.retry_s = 0.5
        token = _settled_token(db, "admin")
        _hit(db, token)
        pid = listener.backend_pid
        _sql_elsewhere(db, "SELECT pg_terminate_backend(%s)", (pid,))
        assert _wait(lambda: not listener.up)  # lost: down until it connects again
        assert not listener.fresh() and len(listener.cache) == 0
        bypassed = listener.cache.bypassed
        assert _resolve(db, token).principal.username == "admin"
        assert listener.cache.bypassed == bypassed + 1  # read afresh, not kept
        assert _wait(lambda: listener.backend_pid not in (pid, None) and listener.up)  # reconnected
        _hit(db, token)  # the cache serves again
        seen = listener.notifications
        _sql_elsewhere(db, "UPDATE org_session SET revoked_at = expires_at WHERE token_hash = %s",
                       (security.token_hash(token),))
        assert _wait(lambda: listener.notifications > seen and listener.fresh())
        assert _resolve(db, token).principal is None
    finally:
        db.dispose()


def test_a_connection_gone_silent_is_not_trusted(demo_db) -> None:  # type: ignore[no-untyped-def]
    """No answer to the listener's periodic check for three periods (a partition, a failover):
    the cache is bypassed even though the connection has not failed yet."""
    _pg_only(demo_db)
    db = Database(demo_db.url, pool_size=2)
    try:
        listener = token_reads.listener_of(db)
        assert _wait(lambda: listener.up and listener.fresh())
        listener._alive_at -= 3 * listener.check_s + 1  # noqa: SLF001 - as if it had not answered since
        assert listener.up and not listener.fresh()
    finally:
        db.dispose()


@pytest.mark.parametrize("mode", ["DISABLE", "ENABLE REPLICA"])
def test_without_its_triggers_the_cache_is_never_used(demo_db, mode: str) -> None:  # type: ignore[no-untyped-def]
    """A trigger disabled, or firing only for replication sessions: the listener never comes up."""
    _pg_only(demo_db)
    _sql_elsewhere(demo_db, f"ALTER TABLE org_staff {mode} TRIGGER zy_auth_org_staff", ())
    db = Database(demo_db.url, pool_size=2)
    try:
        token = live_token(db, "admin")
        listener = token_reads.listener_of(db)
        time.sleep(0.3)
        assert not listener.up
        assert _resolve(db, token).principal.username == "admin"
        assert _resolve(db, token).principal.username == "admin"
        assert len(listener.cache) == 0 and listener.cache.bypassed >= 2
    finally:
        db.dispose()
        _sql_elsewhere(demo_db, "ALTER TABLE org_staff ENABLE TRIGGER zy_auth_org_staff", ())
