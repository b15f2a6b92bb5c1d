"""PostgreSQL: the process's listener for changes that affect a logged-in principal, which keeps
the principal cache (``org.principal_cache``) honest.

Triggers (migration ``20261206_auth_notify``) send ``NOTIFY zhanye_auth`` in the transaction of
every insert, update, delete or truncate of the tables a token look-up reads: sessions, staff,
their roles, institutions, role permissions, kernel settings (the authorization epoch) and the
business date. PostgreSQL delivers the notification when that transaction commits. A daemon
thread holds one connection that listens; whenever its socket has something to read it empties
the cache, then reads the notifications (a ``SELECT 1`` that also proves the connection alive),
then empties it again. A request uses the cache only while ``fresh()``: the listener is up and
nothing waits unread on its socket, so a notification that has reached this machine is never
missed while the thread waits for its turn to run.

The cache is emptied and not used (fail closed) until the listener has connected, checked that
every trigger is in place and enabled, and run ``LISTEN``; and again from the moment the
connection fails (the server restarts, the network breaks, a statement fails) until it is back.
Without the triggers (a restore that lost them) it never comes up, with a warning in the log.
The connection is checked every ``check_s`` seconds when idle (with TCP keepalives besides).
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from typing import Any

from sqlalchemy.engine import make_url

from zhanye.org.principal_cache import WATCHED_TABLES, PrincipalCache

log = logging.getLogger("zhanye.org.auth_listener")

CHANNEL = "zhanye_auth"
TABLES = tuple(sorted(WATCHED_TABLES))
# each watched table of the search path has its own trigger, firing for ordinary sessions
# ('O' origin, 'A' always; not 'D' disabled, nor 'R' replica-only)
_TRIGGERS_SQL = ("SELECT count(DISTINCT c.relname) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                 "WHERE NOT t.tgisinternal AND t.tgenabled IN ('O', 'A') AND t.tgname = 'zy_auth_' || c.relname "
                 "AND c.relname = ANY(%s) AND pg_table_is_visible(c.oid)")
_POLL_EVENTS = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


class AuthListener:
    def __init__(self, url: str, cache: PrincipalCache, *, check_s: float = 2.0, retry_s: float = 1.0) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.cache = cache
        self.check_s = check_s
        self.retry_s = retry_s
        self.up = False
        self.notifications = 0
        self.backend_pid: int | None = None  # the listening connection's server process, while up
        self._alive_at = 0.0  # time.monotonic() of the connection's last answer
        self._fd = -1
        self._stop = threading.Event()
        self._wake_r, self._wake_w = os.pipe()  # stop() wakes the thread's poll through it
        self._pipe_lock = threading.Lock()
        self._pipe_open = True
        self._local = threading.local()
        self._warned = False
        self._thread = threading.Thread(target=self._run, name="zhanye-auth-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Down for good: the cache is emptied and bypassed from now on."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._down()
        with self._pipe_lock:
            if self._pipe_open:
                os.write(self._wake_w, b"x")
        if self._thread.ident is None:  # never started: nothing else will close the pipe
            self._close_pipe()
        else:  # the thread closes it when it ends
            self._thread.join(timeout=5.0)

    def _close_pipe(self) -> None:
        with self._pipe_lock:
            if self._pipe_open:
                self._pipe_open = False
                os.close(self._wake_r)
                os.close(self._wake_w)

    def fresh(self) -> bool:
        """Whether the cache may be used now: the listener is up and its socket has nothing unread
        (a notification that arrived and waits for the thread to run counts as a change), and the
        connection answered lately (a connection gone silent, a partition or a failover, may be
        losing notifications long before TCP gives up on it)."""
        if not self.up or time.monotonic() - self._alive_at > 3 * self.check_s:
            return False
        fd = self._fd
        local = self._local
        if getattr(local, "fd", None) != fd:
            local.poller = select.poll()
            local.poller.register(fd, _POLL_EVENTS)
            local.fd = fd
        return not local.poller.poll(0)

    def _down(self) -> None:
        self.up = False
        self.backend_pid = None
        self.cache.flush()

    def _run(self) -> None:
        try:
            self._serve()
        finally:
            self._close_pipe()

    def _serve(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                conn = psycopg.connect(self._dsn, autocommit=True, keepalives=1, keepalives_idle=10,
                                       keepalives_interval=5, keepalives_count=3, connect_timeout=5,
                                       tcp_user_timeout=int(3000 * self.check_s),
                                       application_name="zhanye-auth-listener")
            except psycopg.Error as exc:
                log.warning("auth listener: cannot connect (%s); the principal cache is bypassed", exc)
                self._stop.wait(self.retry_s)
                continue
            try:
                self._listen(conn)
            except Exception as exc:  # noqa: BLE001 - any failure: down, then connect again
                if not self._stop.is_set():
                    log.warning("auth listener lost (%s); the principal cache is bypassed until it is back", exc)
            finally:
                self._down()
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing a connection that may be gone already
                    pass
            self._stop.wait(self.retry_s)

    def _listen(self, conn: Any) -> None:
        found = conn.execute(_TRIGGERS_SQL, [list(TABLES)]).fetchone()[0]
        if found != len(TABLES):
            if not self._warned:
                log.warning("auth notify triggers missing (%d of %d): the principal cache is not used",
                            found, len(TABLES))
                self._warned = True
            self._stop.wait(30.0)
            return
        conn.add_notify_handler(self._notified)
        conn.execute(f"LISTEN {CHANNEL}")
        fd = conn.pgconn.socket
        poller = select.poll()
        poller.register(fd, _POLL_EVENTS)
        poller.register(self._wake_r, select.POLLIN)
        self._fd = fd
        self.backend_pid = conn.info.backend_pid
        self._alive_at = time.monotonic()
        self.cache.flush()
        self.up = True
        last_check = time.monotonic()
        while not self._stop.is_set():
            events = poller.poll(self.check_s * 1000)
            if self._stop.is_set():
                return
            if events:
                self.cache.flush()  # first: the request path sees the socket readable until now
            if events or time.monotonic() - last_check >= self.check_s:
                conn.execute("SELECT 1")  # reads what arrived (the handler flushes), proves the connection
                self._drain(conn)
                last_check = self._alive_at = time.monotonic()
                if events:
                    self.cache.flush()

    def _drain(self, conn: Any) -> None:
        while conn.pgconn.notifies() is not None:
            self._notified(None)

    def _notified(self, _notify: Any) -> None:
        self.notifications += 1
        self.cache.flush()
