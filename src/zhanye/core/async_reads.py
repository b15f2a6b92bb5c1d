"""PostgreSQL: one read statement awaited on the running event loop, for the statement every
request makes (the token look-up).

A request handler that runs on the event loop and reads with a plain (blocking) connection holds
the whole loop while the database answers: with several clients that wait was a quarter of the
loop's time. Here the loop serves other requests meanwhile. Statements are prepared on the server
(psycopg ``%(name)s`` placeholders, integers sent as int8, as ``core.db.pg_execute``).

Connections are psycopg ``AsyncConnection`` objects in autocommit, at most ``size`` of them,
kept between statements and renewed after ``recycle_s`` seconds, as the engine's pool does. When
all ``size`` are busy, a statement waits on the loop (up to ``wait_s`` seconds, first come first
served) for one to come back: the connection is handed to it directly. Waiting is by a future of
the waiter's own loop, woken thread-safely, so one ``AsyncReads`` serves several event loops (the
tests drive one app from several). When the wait runs out, or a new connection cannot be opened
(the server at its ``max_connections``), ``fetch`` answers None and the caller reads the blocking
way instead. A connection the server dropped fails its statement once; the idle ones opened
before it are then closed too (they went with the same server), and the next statement opens a
fresh one. A statement that failed on a sound connection (a timeout, a lock not available)
closes that connection only.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError


class AsyncReads:
    def __init__(self, url: str, *, size: int = 8, recycle_s: float = 1800.0, wait_s: float = 0.5) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.size = size
        self.recycle_s = recycle_s
        self.wait_s = wait_s
        self._idle: list[tuple[float, Any]] = []  # (opened at, connection), the oldest first
        self._busy = 0  # connections out (and being opened, and on their way to a waiter)
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]] = deque()
        self._closed = False
        self._lock = threading.Lock()
        self._on_close: list[Any] = []

    async def fetch(self, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]] | None:
        """The statement's rows, or None when no connection came free within ``wait_s``."""
        from zhanye.core.db import _driver, _int8

        psycopg = _driver()
        taken = await self._acquire()
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

    async def _acquire(self) -> tuple[float, Any] | None:
        """``_take``, or else wait in line for a connection handed back (None after ``wait_s``)."""
        loop = asyncio.get_running_loop()
        waiter = (loop, loop.create_future())
        taken, queued = self._take(waiter)
        if not queued:
            return taken
        try:
            return await asyncio.wait_for(waiter[1], self.wait_s)  # type: ignore[no-any-return]
        except BaseException as exc:  # timed out or cancelled: leave the line, or pass on what came
            with self._lock:
                queued = waiter in self._waiters
                if queued:
                    self._waiters.remove(waiter)
            fut = waiter[1]
            if not queued and fut.done() and not fut.cancelled() and fut.result() is not None:
                self._give_back(*fut.result(), keep=True)  # handed over just as the wait ended
            if isinstance(exc, TimeoutError):
                return None
            raise

    def _take(self, waiter: tuple[asyncio.AbstractEventLoop, asyncio.Future[Any]]
              ) -> tuple[tuple[float, Any] | None, bool]:
        """An idle connection that is young enough, else (now, None) to open one, else None and
        whether ``waiter`` was put in line."""
        now = time.monotonic()
        expired = []
        with self._lock:
            while self._idle and now - self._idle[0][0] >= self.recycle_s:  # the oldest, even if unused
                expired.append(self._idle.pop(0)[1])
            taken: tuple[float, Any] | None = None
            queued = False
            while self._idle:  # the most recently used: the others may age out
                opened, conn = self._idle.pop()
                if not conn.closed:
                    taken = (opened, conn)
                    break
            if taken is None and self._busy < self.size:
                taken = (now, None)
            if taken is not None:
                self._busy += 1
            elif not self._closed and self.wait_s > 0:
                self._waiters.append(waiter)
                queued = True
        for conn in expired:
            conn.pgconn.finish()
        return taken, queued

    def _give_back(self, opened: float, conn: Any, *, keep: bool) -> None:
        """A connection back from a statement (None: a slot whose connection was never opened):
        to the first waiter in line, else idle (or closed, when not ``keep``)."""
        drop = None
        if conn is not None and (not keep or self._closed):
            drop, conn, opened = conn, None, time.monotonic()  # closed; the slot can open a new one
        while True:
            with self._lock:
                waiter = self._waiters.popleft() if self._waiters and not self._closed else None
                if waiter is None:
                    self._busy -= 1
                    if conn is not None:
                        self._idle.append((opened, conn))
                    break
            try:  # still counted busy: on its way to the waiter
                waiter[0].call_soon_threadsafe(self._deliver, waiter[1], (opened, conn))
                break
            except RuntimeError:  # the waiter's loop is closed: the next in line
                continue
        if drop is not None:
            drop.pgconn.finish()

    def _deliver(self, fut: asyncio.Future[Any], item: tuple[float, Any]) -> None:
        """On the waiter's loop: the connection to its waiter, or back if the wait is over."""
        if fut.done():
            self._give_back(*item, keep=True)
        else:
            fut.set_result(item)

    def _drop_older_than(self, opened: float) -> None:
        with self._lock:
            old = [item for item in self._idle if item[0] <= opened]
            self._idle = [item for item in self._idle if item[0] > opened]
        for _opened, conn in old:
            conn.pgconn.finish()

    def on_close(self, callback: Any) -> None:
        """Call ``callback()`` when this is closed (with its ``Database``): what lives as long as the
        database's connections (the auth listener) stops with them."""
        with self._lock:
            if not self._closed:
                self._on_close.append(callback)
                return
        callback()  # closed already: at once

    def close(self) -> None:
        """Close the idle connections, and the busy ones when they come back (no await needed:
        the socket is closed at once)."""
        self._closed = True
        with self._lock:
            waiters, self._waiters = list(self._waiters), deque()
        for loop, fut in waiters:  # they read the blocking way
            try:
                loop.call_soon_threadsafe(lambda f=fut: f.done() or f.set_result(None))
            except RuntimeError:
                pass
        self._drop_older_than(float("inf"))
        with self._lock:
            callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            callback()
