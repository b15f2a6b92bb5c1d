"""Statements sent through the driver (``core.db.pg_execute``) behave as SQLAlchemy's own do when
the server drops the pool's connections: the first failure invalidates the pool, the next
request gets a fresh connection (instead of every stale pooled connection failing one request)."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from zhanye.core.db import Database, pg_execute, pg_sql


def test_a_dropped_connection_invalidates_the_pool(empty_db) -> None:
    if empty_db.is_sqlite:
        pytest.skip("PostgreSQL: the driver path")
    db = Database(empty_db.url, pool_size=3)
    try:
        conns = [db.engine.connect() for _ in range(3)]
        pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in conns]
        for c in conns:
            c.close()
        with empty_db.engine.connect() as admin:
            for pid in pids:
                admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        outcomes = []
        for _ in range(3):
            try:
                with db.read_connection() as conn:
                    outcomes.append(pg_execute(conn, "SELECT 1")[0][0])
            except OperationalError as exc:
                outcomes.append("invalidated" if exc.connection_invalidated else "stale")
        assert outcomes == ["invalidated", 1, 1]
    finally:
        db.dispose()


def test_pg_sql_refuses_what_it_cannot_carry() -> None:
    from sqlalchemy import bindparam, column, select, table

    t = table("t", column("id"))
    with pytest.raises(ValueError, match="IN lists"):
        pg_sql(select(t.c.id).where(t.c.id.in_(bindparam("ids", expanding=True))))
    sql, constants = pg_sql(select(t.c.id).where(t.c.id == 5, t.c.id == bindparam("x")))
    assert "%(x)s" in sql and list(constants.values()) == [5]
