"""PostgreSQL: one read statement awaited on the running event loop, for the statement every
request makes (the token look-up).

A request handler that runs on the event loop and reads with a plain (blocking) connection holds
the whole loop while the database answers: with several clients that wait was a quarter of the
loop's time. Here the loop serves other requests meanwhile. Statements are prepared on the server
(psycopg ``%(name)s`` placeholders, integers sent as int8, as ``core.db.pg_execute``).

Connections are psycopg ``AsyncConnection`` objects in autocommit, at most ``size`` of them,
kept between statements and renewed after ``recycle_s`` seconds, as the engine's pool does. When
all ``size`` are busy, or a new one cannot be opened (the server at its ``max_connections``),
``fetch`` answers None and the caller reads the blocking way instead (no queue to wait in, no
loop-bound lock: tests drive one app from several event loops). A connection the server dropped
fails its statement once; the idle ones opened before it are then closed too (they went with the
same server), and the next statement opens a fresh one. A statement that failed on a sound
connection (a timeout, a lock not available) closes that connection only.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


class AsyncReads:
    def __init__(self, url: str, *, size: int = 8, recycle_s: float = 1800.0) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.size = size
        self.recycle_s = recycle_s
        self._idle: list[tuple[float, Any]] = []  # (opened at, connection), the oldest first
        self._busy = 0  # connections out (and being opened)
        self._closed = False
        self._lock = threading.Lock()

    async def fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        """The statement's rows, or None when all ``size`` connections are busy."""
        from zhanye.core.db import _driver, _int8

        psycopg = _driver()
        taken = self._take()
        if taken is None:
            return None
        opened, conn = taken
        if conn is None:
            try:
                conn = await psycopg.AsyncConnection.connect(self._dsn, autocommit=True)
            except psycopg.Error:  # no connection to be had: the caller reads the blocking way
                self._give_back(opened, None, keep=False)
                return None
            except BaseException:
                self._give_back(opened, None, keep=False)
                raise
        try:
            cur = await conn.execute(sql, _int8(params), prepare=True)
            rows = await cur.fetchall()
        except psycopg.Error as exc:
            lost = conn.closed or conn.broken
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
        expired = []
        with self._lock:
            while self._idle and now - self._idle[0][0] >= self.recycle_s:  # the oldest, even if unused
                expired.append(self._idle.pop(0)[1])
            taken: tuple[float, Any] | None = None
            while self._idle:  # the most recently used: the others may age out
                opened, conn = self._idle.pop()
                if not conn.closed:
                    taken = (opened, conn)
                    break
            if taken is None and self._busy < self.size:
                taken = (now, None)
            if taken is not None:
                self._busy += 1
        for conn in expired:
            conn.pgconn.finish()
        return taken

    def _give_back(self, opened: float, conn: Any, *, keep: bool) -> None:
        with self._lock:
            self._busy -= 1
            if conn is None:
                return
            if keep and not self._closed:
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
        """Close the idle connections, and the busy ones when they come back (no await needed:
        the socket is closed at once)."""
        self._closed = True
        self._drop_older_than(float("inf"))
