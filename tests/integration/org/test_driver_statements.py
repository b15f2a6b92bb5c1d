"""Statements sent through the driver (``core.db.pg_execute``) behave as SQLAlchemy's own do when
the server drops the pool's connections: the first failure invalidates the pool, the next
request gets a fresh connection (instead of every stale pooled connection failing one request)."""

from __future__ import annotations

import asyncio
from contextlib import ExitStack

import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from zhanye.core.async_reads import AsyncReads
from zhanye.core.db import Database, pg_execute, pg_sql


@pytest.mark.parametrize("pool", ["main", "read"])
def test_a_dropped_connection_invalidates_the_pool(empty_db, pool: str) -> None:  # type: ignore[no-untyped-def]
    """Both pools: the main one (units of work, the posting's statements) and the read one."""
    if empty_db.is_sqlite:
        pytest.skip("PostgreSQL: the driver path")
    db = Database(empty_db.url, pool_size=3)

    def connect():  # type: ignore[no-untyped-def]
        return db.engine.connect() if pool == "main" else db.read_connection()

    try:
        with ExitStack() as stack:  # three connections of the pool, open at once
            conns = [stack.enter_context(connect()) for _ in range(3)]
            pids = [c.exec_driver_sql("SELECT pg_backend_pid()").scalar() for c in conns]
            for c in conns:
                if c.in_transaction():
                    c.rollback()
        with empty_db.engine.connect() as admin:
            for pid in pids:
                admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        outcomes = []
        for _ in range(3):
            try:
                if pool == "main":
                    with db.unit_of_work(write=False) as s:
                        outcomes.append(pg_execute(s, "SELECT 1")[0][0])
                else:
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


def _pg_only(db) -> None:  # type: ignore[no-untyped-def]
    if db.is_sqlite:
        pytest.skip("PostgreSQL: reads awaited on the event loop")


def test_async_reads_reuse_a_connection_and_prepare(empty_db) -> None:  # type: ignore[no-untyped-def]
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url)

    async def run() -> list[int]:
        return [(await reads.fetch("SELECT pg_backend_pid(), %(x)s::bigint", {"x": k}))[0][1] for k in range(3)]

    try:
        assert asyncio.run(run()) == [0, 1, 2]
        assert len(reads._idle) == 1  # one connection served the three  # noqa: SLF001
    finally:
        reads.close()
    assert reads._idle == []  # noqa: SLF001


def test_async_reads_run_side_by_side(empty_db) -> None:  # type: ignore[no-untyped-def]
    """Statements awaited together run on their own connections at the same time: each of four
    started before any of them ended."""
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url, size=4)
    sql = "SELECT pg_backend_pid(), clock_timestamp(), (SELECT clock_timestamp() FROM pg_sleep(0.3))"

    async def run() -> list[list[tuple[object, ...]] | None]:
        return await asyncio.gather(*[reads.fetch(sql, {}) for _ in range(4)])

    try:
        rows = [r[0] for r in asyncio.run(run()) if r]
        assert len({r[0] for r in rows}) == 4
        assert max(r[1] for r in rows) < min(r[2] for r in rows)
        assert len(reads._idle) == 4  # noqa: SLF001
    finally:
        reads.close()


def test_async_reads_wait_in_line_when_all_are_busy(empty_db) -> None:  # type: ignore[no-untyped-def]
    """At most ``size`` connections: a statement beyond them waits on the loop for one to come
    back (handed to it directly) instead of opening more."""
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url, size=2)
    sql = "SELECT pg_backend_pid(), clock_timestamp() FROM pg_sleep(0.2)"

    async def run() -> list[list[tuple[object, ...]] | None]:
        return await asyncio.gather(*[reads.fetch(sql, {}) for _ in range(5)])

    try:
        rows = [r[0] for r in asyncio.run(run()) if r]
        assert len(rows) == 5 and len({r[0] for r in rows}) == 2  # five statements on two connections
        assert len(reads._idle) == 2 and reads._busy == 0 and not reads._waiters  # noqa: SLF001
    finally:
        reads.close()


def test_async_reads_answer_none_when_the_wait_runs_out(empty_db) -> None:  # type: ignore[no-untyped-def]
    """Beyond ``wait_s`` in line the caller reads the blocking way; the line is left, and the
    connections all come back."""
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url, size=2, wait_s=0.05)

    async def run() -> list[list[tuple[object, ...]] | None]:
        return await asyncio.gather(*[reads.fetch("SELECT 1 FROM pg_sleep(0.3)", {}) for _ in range(3)])

    try:
        out = asyncio.run(run())
        assert sorted(map(str, out)) == sorted(["[(1,)]", "[(1,)]", "None"])
        assert len(reads._idle) == 2 and reads._busy == 0 and not reads._waiters  # noqa: SLF001
        assert asyncio.run(reads.fetch("SELECT 2", {})) == [(2,)]  # free again
    finally:
        reads.close()


def test_a_waiter_cancelled_in_line_loses_no_connection(empty_db) -> None:  # type: ignore[no-untyped-def]
    """A request cancelled (its client gone) while in line: the connection goes to the next one
    in line and nothing stays counted as busy."""
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url, size=1)

    async def run() -> list[tuple[object, ...]] | None:
        first = asyncio.ensure_future(reads.fetch("SELECT 1 FROM pg_sleep(0.2)", {}))
        await asyncio.sleep(0.05)
        gone = asyncio.ensure_future(reads.fetch("SELECT 2", {}))
        await asyncio.sleep(0.01)
        later = asyncio.ensure_future(reads.fetch("SELECT 3", {}))
        await asyncio.sleep(0.01)
        assert len(reads._waiters) == 2  # noqa: SLF001
        gone.cancel()
        assert await first == [(1,)]
        with pytest.raises(asyncio.CancelledError):
            await gone
        return await later

    try:
        assert asyncio.run(run()) == [(3,)]
        assert len(reads._idle) == 1 and reads._busy == 0 and not reads._waiters  # noqa: SLF001
    finally:
        reads.close()


def test_close_sends_those_in_line_the_blocking_way(empty_db) -> None:  # type: ignore[no-untyped-def]
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url, size=1)

    async def run() -> tuple[object, object]:
        first = asyncio.ensure_future(reads.fetch("SELECT 1 FROM pg_sleep(0.2)", {}))
        await asyncio.sleep(0.05)
        waiting = asyncio.ensure_future(reads.fetch("SELECT 2", {}))
        await asyncio.sleep(0.01)
        reads.close()
        return await first, await waiting

    assert asyncio.run(run()) == ([(1,)], None)
    assert reads._idle == [] and reads._busy == 0  # noqa: SLF001


def test_async_reads_after_errors_and_a_dropped_connection(empty_db) -> None:  # type: ignore[no-untyped-def]
    """A bad statement raises SQLAlchemy's error and its connection is not reused; a connection the
    server dropped fails its statement once (invalidated), the next statement opens a fresh one."""
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url)

    async def pid() -> int:
        return (await reads.fetch("SELECT pg_backend_pid()", {}))[0][0]

    async def run() -> None:
        first = await pid()
        with pytest.raises(ProgrammingError):
            await reads.fetch("SELECT no_such_column", {})
        second = await pid()
        assert second != first  # the failed one was closed
        with empty_db.engine.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(second)})")
        with pytest.raises(OperationalError) as lost:
            await pid()
        assert lost.value.connection_invalidated
        assert await pid() not in (first, second)

    try:
        asyncio.run(run())
    finally:
        reads.close()


def test_async_reads_answer_none_when_no_connection_can_be_opened(empty_db) -> None:  # type: ignore[no-untyped-def]
    """The server refuses (at its max_connections, or down): the caller reads the blocking way,
    and nothing stays counted as busy."""
    _pg_only(empty_db)
    from sqlalchemy.engine import make_url

    reads = AsyncReads(make_url(empty_db.url).set(database="zhanye_no_such_database").render_as_string(
        hide_password=False))
    assert asyncio.run(reads.fetch("SELECT 1", {})) is None
    assert reads._busy == 0 and reads._idle == []  # noqa: SLF001


def test_a_failed_statement_on_a_sound_connection_closes_only_that_one(empty_db) -> None:  # type: ignore[no-untyped-def]
    _pg_only(empty_db)
    from sqlalchemy.exc import DataError

    reads = AsyncReads(empty_db.url, size=3)

    async def run() -> None:
        await asyncio.gather(*[reads.fetch("SELECT 1 FROM pg_sleep(0.1)", {}) for _ in range(3)])
        assert len(reads._idle) == 3  # noqa: SLF001
        with pytest.raises(DataError) as failed:
            await reads.fetch("SELECT 1 / 0", {})
        assert not failed.value.connection_invalidated
        assert len(reads._idle) == 2  # noqa: SLF001

    try:
        asyncio.run(run())
    finally:
        reads.close()


def test_closed_reads_keep_no_connection(empty_db) -> None:  # type: ignore[no-untyped-def]
    """``close`` while a statement runs: its connection is closed when it comes back."""
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url)

    async def run() -> None:
        pending = asyncio.ensure_future(reads.fetch("SELECT 1 FROM pg_sleep(0.2)", {}))
        await asyncio.sleep(0.05)
        reads.close()
        assert await pending == [(1,)]

    asyncio.run(run())
    assert reads._idle == [] and reads._busy == 0  # noqa: SLF001


def test_async_reads_renew_old_connections(empty_db) -> None:  # type: ignore[no-untyped-def]
    _pg_only(empty_db)
    reads = AsyncReads(empty_db.url, recycle_s=0)

    async def run() -> set[int]:
        return {(await reads.fetch("SELECT pg_backend_pid()", {}))[0][0] for _ in range(3)}

    try:
        assert len(asyncio.run(run())) == 3
    finally:
        reads.close()


def _sqlite_only(db) -> None:  # type: ignore[no-untyped-def]
    if not db.is_sqlite:
        pytest.skip("SQLite: the token look-up on a plain sqlite3 connection")


def test_sqlite_reads_answer_what_the_engine_answers(demo_db) -> None:  # type: ignore[no-untyped-def]
    """Same row, same Python types (SQLAlchemy's result processors); a revocation committed
    after a read shows in the next one; unknown token: no row."""
    _sqlite_only(demo_db)
    from sqlalchemy import update

    from tests.integration.org.helpers import live_token
    from zhanye.core.db import utcnow
    from zhanye.org import security, service
    from zhanye.org.models import StaffSession

    token = live_token(demo_db, "admin")
    digest = security.token_hash(token)
    with demo_db.read_connection() as conn:
        expected = tuple(conn.execute(service._token_query(), {"digest": digest}).first())  # noqa: SLF001
    statement = service._token_sqlite(demo_db.engine.dialect)  # noqa: SLF001
    assert demo_db.sqlite_reads.fetch(statement, {"digest": digest}) == [expected]
    assert [type(v) for v in demo_db.sqlite_reads.fetch(statement, {"digest": digest})[0]] == \
        [type(v) for v in expected]
    assert service.resolve_token_sqlite(demo_db, token).principal.username == "admin"
    with demo_db.unit_of_work() as s:
        s.execute(update(StaffSession).where(StaffSession.token_hash == digest).values(revoked_at=utcnow()))
    assert service.resolve_token_sqlite(demo_db, token).principal is None
    assert demo_db.sqlite_reads.fetch(statement, {"digest": "0" * 64}) == []


def test_sqlite_reads_keep_a_connection_per_thread(empty_db) -> None:  # type: ignore[no-untyped-def]
    """Each thread its own connection, reused; those of ended threads are closed when another
    opens; after close no thread reads this way."""
    _sqlite_only(empty_db)
    import threading

    from sqlalchemy import literal_column, select, text

    from zhanye.core.sqlite_reads import SqliteReads, SqliteStatement

    reads = SqliteReads(empty_db.url)
    statement = SqliteStatement(select(literal_column("1")), empty_db.engine.dialect)
    assert reads.fetch(statement, {}) == [(1,)] and reads.fetch(statement, {}) == [(1,)]
    with pytest.raises(OperationalError):  # SQLAlchemy's error, as through an engine
        reads.fetch(SqliteStatement(select(literal_column("x")).select_from(text("no_such_table")),
                                    empty_db.engine.dialect), {})
    here = reads._local.conn  # noqa: SLF001
    seen = []

    def other() -> None:
        seen.append(reads.fetch(statement, {}))
        seen.append(reads._local.conn)  # noqa: SLF001

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert seen[0] == [(1,)] and seen[1] is not here
    t2 = threading.Thread(target=other)
    t2.start()
    t2.join()
    assert len(reads._open) == 2  # the first thread's connection was closed  # noqa: SLF001
    with pytest.raises(Exception, match="closed"):
        seen[1].execute("SELECT 1")
    reads.close()
    assert reads.fetch(statement, {}) is None
    with pytest.raises(Exception, match="closed"):
        here.execute("SELECT 1")


def test_sqlite_reads_have_no_fast_path_in_memory() -> None:
    from sqlalchemy import literal_column, select
    from sqlalchemy.dialects import sqlite

    from zhanye.core.sqlite_reads import SqliteReads, SqliteStatement

    statement = SqliteStatement(select(literal_column("1")), sqlite.dialect())
    assert SqliteReads("sqlite://").fetch(statement, {}) is None
    assert SqliteReads("sqlite:///:memory:").fetch(statement, {}) is None
