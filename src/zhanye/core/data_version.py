"""Data versions: counters raised by database triggers on every change to a group of tables, and a
small in-process cache of rendered reads that are valid while their group's version stands.

The triggers (migration ``20261206_data_versions``) make the counter part of the same transaction as
the change, whatever code or SQL makes it; a reader that gets the version in a round trip it makes
anyway (the token look-up of every request) serves a cached answer only when the version it read
equals the one the answer was read with, so a change committed by any process is seen at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Hashable

from sqlalchemy import Connection, ScalarSelect, bindparam, select, text

from zhanye.core.models import DataVersion

ORG = "org"  # org_staff, org_staff_role, org_institution
GROUPS = {ORG: ("org_staff", "org_staff_role", "org_institution")}


def trigger_names(name: str, dialect: str) -> list[str]:
    """The triggers that raise the group's version (as the migration names them)."""
    tables = GROUPS[name]
    if dialect == "sqlite":
        return [f"zy_ver_{t}_{ev}" for t in tables for ev in ("insert", "update", "delete")]
    return [f"zy_ver_{t}" for t in tables]


def triggers_in_place(conn: Connection, name: str) -> bool:
    """Whether every trigger of the group exists (and, on PostgreSQL, is enabled). A migration
    that rebuilds one of the tables on SQLite, or a restore without triggers, loses them; a cache
    checked against the version must then not be used."""
    names = trigger_names(name, conn.dialect.name)
    sql = ("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name IN :names"
           if conn.dialect.name == "sqlite"
           else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' AND tgname IN :names")
    found = conn.execute(text(sql).bindparams(bindparam("names", expanding=True)), {"names": names}).scalars()
    return set(found) == set(names)


def version_subquery(name: str) -> ScalarSelect[int]:
    """The group's version as a scalar subquery, to read in the same statement as something else."""
    return select(DataVersion.version).where(DataVersion.name == name).scalar_subquery()


class VersionedCache:
    """Rendered answers keyed by what they depend on, each kept with the data version it was read
    at and, when its content turns with the clock (a lock that ends), the moment it stops being
    true. Least recently used entries go first beyond ``maxsize``."""

    def __init__(self, maxsize: int = 128) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, tuple[int, dt.datetime | None, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, version: int | None, now: dt.datetime) -> bytes | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or version is None or entry[0] != version or (entry[1] is not None and now >= entry[1]):
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry[2]

    def put(self, key: Hashable, version: int | None, body: bytes, until: dt.datetime | None = None) -> None:
        if version is None:
            return
        with self._lock:
            self._entries[key] = (version, until, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
