"""PostgreSQL: one read statement awaited on the running event loop, for the statement every
request makes (the token look-up).

A request handler that runs on the event loop and reads with a plain (blocking) connection holds
the whole loop while the database answers: with several clients that wait was a quarter of the
loop's time. Here the loop serves other requests meanwhile. Statements are prepared on the server
(psycopg ``%(name)s`` placeholders, integers sent as int8, as ``core.db.pg_execute``).

Connections are psycopg ``AsyncConnection`` objects in autocommit, kept idle between statements
(at most ``max_idle``) and renewed after ``recycle_s`` seconds, as the engine's pool does. A
connection the server dropped fails its statement once; the idle ones opened before it are then
closed too (they went with the same server), and the next statement opens a fresh one.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


class AsyncReads:
    def __init__(self, url: str, *, max_idle: int = 16, recycle_s: float = 1800.0) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.max_idle = max_idle
        self.recycle_s = recycle_s
        self._idle: list[tuple[float, Any]] = []  # (opened at, connection); list ops are atomic

    async def fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        from zhanye.core.db import _driver, _int8

        psycopg = _driver()
        opened, conn = await self._take(psycopg)
        try:
            cur = await conn.execute(sql, _int8(params), prepare=True)
            rows = await cur.fetchall()
        except psycopg.Error as exc:
            lost = isinstance(exc, psycopg.OperationalError) or conn.closed
            conn.pgconn.finish()
            if lost:
                self._drop_older_than(opened)
            raise DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=lost) from exc
        except BaseException:  # cancelled mid-statement: the connection's state is unknown
            conn.pgconn.finish()
            raise
        if len(self._idle) < self.max_idle:
            self._idle.append((opened, conn))
        else:
            conn.pgconn.finish()
        return rows

    async def _take(self, psycopg: Any) -> tuple[float, Any]:
        now = time.monotonic()
        while self._idle:
            try:
                opened, conn = self._idle.pop()
            except IndexError:  # another loop took the last one
                break
            if now - opened < self.recycle_s and not conn.closed:
                return opened, conn
            conn.pgconn.finish()
        return now, await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)

    def _drop_older_than(self, opened: float) -> None:
        keep = []
        while self._idle:
            try:
                item = self._idle.pop()
            except IndexError:
                break
            if item[0] <= opened:
                item[1].pgconn.finish()
            else:
                keep.append(item)
        self._idle.extend(keep)

    def close(self) -> None:
        """Close the idle connections (no await needed: the socket is closed at once)."""
        self._drop_older_than(float("inf"))
