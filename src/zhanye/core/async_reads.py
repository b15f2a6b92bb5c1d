"""PostgreSQL: one read statement awaited on the running event loop, for the statement every
request makes (the token look-up).

A request handler that runs on the event loop and reads with a plain (blocking) connection holds
the whole loop while the database answers: with several clients that wait was a quarter of the
loop's time. Here the loop serves other requests meanwhile. Statements are prepared on the server
(psycopg ``%(name)s`` placeholders, integers sent as int8, as ``core.db.pg_execute``).

Connections are psycopg ``AsyncConnection`` objects in autocommit, at most ``size`` of them,
kept between statements and renewed after ``recycle_s`` seconds, as the engine's pool does. When
all ``size`` are busy, ``fetch`` answers None and the caller reads the blocking way instead (no
queue to wait in, no loop-bound lock: tests drive one app from several event loops). A connection
the server dropped fails its statement once; the idle ones opened before it are then closed too
(they went with the same server), and the next statement opens a fresh one.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


class AsyncReads:
    def __init__(self, url: str, *, size: int = 16, recycle_s: float = 1800.0) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.size = size
        self.recycle_s = recycle_s
        self._idle: list[tuple[float, Any]] = []  # (opened at, connection)
        self._busy = 0  # connections out (and being opened)
        self._lock = threading.Lock()

    async def fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        """The statement's rows, or None when all ``size`` connections are busy."""
        from zhanye.core.db import _driver, _int8

        psycopg = _driver()
        taken = self._take()
        if taken is None:
            return None
        opened, conn = taken
        try:
            if conn is None:
                conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
            cur = await conn.execute(sql, _int8(params), prepare=True)
            rows = await cur.fetchall()
        except psycopg.Error as exc:
            lost = isinstance(exc, psycopg.OperationalError) or (conn is not None and conn.closed)
            self._give_back(opened, conn, keep=False)
            if lost:
                self._drop_older_than(opened)
            raise DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=lost) from exc
        except BaseException:  # cancelled mid-statement: the connection's state is unknown
            self._give_back(opened, conn, keep=False)
            raise
        self._give_back(opened, conn, keep=True)
        return rows

    def _take(self) -> tuple[float, Any] | None:
        """An idle connection that is young enough, else (now, None) to open one, else None."""
        now = time.monotonic()
        with self._lock:
            while self._idle:
                opened, conn = self._idle.pop()
                if now - opened < self.recycle_s and not conn.closed:
                    self._busy += 1
                    return opened, conn
                conn.pgconn.finish()
            if self._busy >= self.size:
                return None
            self._busy += 1
            return now, None

    def _give_back(self, opened: float, conn: Any, *, keep: bool) -> None:
        with self._lock:
            self._busy -= 1
            if conn is None:
                return
            if keep:
                self._idle.append((opened, conn))
                return
        conn.pgconn.finish()

    def _drop_older_than(self, opened: float) -> None:
        with self._lock:
            old = [item for item in self._idle if item[0] <= opened]
            self._idle = [item for item in self._idle if item[0] > opened]
        for _opened, conn in old:
            conn.pgconn.finish()

    def close(self) -> None:
        """Close the idle connections (no await needed: the socket is closed at once)."""
        self._drop_older_than(float("inf"))
