"""The posting hot path, used by ``service.post_entry``: SQL statements, no ORM unit of work.

Round trips per posting on PostgreSQL (besides the caller's BEGIN and COMMIT), each a prepared
statement sent through the session's psycopg connection (``core.db.pg_execute``):

1. ``lock_for_posting``: the touched customer accounts ``FOR UPDATE`` in ascending id order, with
   the business date and the new entry's id (from its sequence) read in the same statement;
2. ``prior_entry``, only for a posting with an idempotency key: the entry already posted under
   it — after the account locks, so a posting under the same key that committed while we waited
   is seen;
3. ``write``: one statement of data-modifying CTEs — the entry (``ON CONFLICT (external_id) DO
   NOTHING`` for a concurrent posting under the same key on other accounts), its lines (one
   multi-row INSERT) and the new balances.

The entry's audit record (after those the transaction buffered before it) is written in the same
statement, chained in the process's turn after the head the previous writer left, the head
updated only if it still is that one (``audit.chain_in_turn``, ``audit.guarded_ctes``); the head
is then held from this statement to the commit. On SQLite (writers serialized by ``BEGIN
IMMEDIATE``) step 3 is a few plain statements through SQLAlchemy Core and the record is chained
at commit.

The ORM identity map stays truthful: locked accounts present in the session are refreshed with
the values read under the lock (as ``populate_existing`` would) and get their new balances after
the write; the returned ``JournalEntry`` is attached to the session as a persistent object
without another query.
"""

# ruff: noqa: S608  -- the write statement is built from column names and counts only, never from input
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, insert, literal_column, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.instrumentation import manager_of_class

from zhanye.core import audit
from zhanye.core.calendar import BANK_TZ
from zhanye.core.context import Principal
from zhanye.core.db import is_postgresql, pg_cast_type, pg_execute, sync_loaded
from zhanye.core.errors import NotFound
from zhanye.core.models import BusinessDate
from zhanye.ledger.models import Account, JournalEntry, JournalLine

ACC = Account.__table__
ENTRY = JournalEntry.__table__
LINE = JournalLine.__table__

_COLS = ("id", "number", "institution_id", "gl_account_id", "debit_normal", "balance_fen", "held_fen",
         "overdraft_limit_fen", "max_balance_fen", "status", "freeze")


@dataclass(slots=True)
class Locked:
    """The fields of a locked account the balance rules need."""

    id: int
    number: str
    institution_id: int
    gl_account_id: int
    debit_normal: bool
    balance_fen: int
    held_fen: int
    overdraft_limit_fen: int
    max_balance_fen: int | None
    status: str
    freeze: str

    @property
    def available_fen(self) -> int:
        return self.balance_fen - self.held_fen + self.overdraft_limit_fen


# The PostgreSQL statements of a posting, run through the driver (``core.db.pg_execute``).
_BDATE = f"(SELECT value FROM {BusinessDate.__tablename__} WHERE name = 'default')"
_NEXT_ENTRY_ID = f"(SELECT nextval(pg_get_serial_sequence('{ENTRY.name}', 'id')))"
_PG_PRIOR_SQL = f"SELECT id, payload_hash FROM {ENTRY.name} WHERE external_id = %(x)s"
_PG_LOCK_SQL = {draw: ("SELECT " + ", ".join(f'a."{c}"' for c in _COLS) + f", {_BDATE}, "
                       + (_NEXT_ENTRY_ID if draw else "NULL")
                       + f" FROM {ACC.name} a WHERE a.id = ANY(%(ids)s::bigint[]) ORDER BY a.id FOR UPDATE OF a")
                for draw in (False, True)}
_PG_DATE_AND_ENTRY_ID_SQL = f"SELECT {_BDATE}, {_NEXT_ENTRY_ID}"


def lock_rows(session: Session, account_ids: set[int], *, want_date: bool) -> tuple[dict[int, Locked], dt.date | None]:
    """Lock the accounts in id order; returns them and (if asked) the business date."""
    found, bdate, _ = lock_for_posting(session, account_ids, want_date=want_date, draw_entry_id=False)
    return found, bdate


def lock_for_posting(session: Session, account_ids: set[int], *, want_date: bool, draw_entry_id: bool = True,
                     ) -> tuple[dict[int, Locked], dt.date | None, int | None]:
    """``lock_rows``, and on PostgreSQL the id of the entry about to be posted drawn from its
    sequence in the same statement (the entry's audit record is chained before it is written)."""
    session.flush()  # pending ORM changes first: the rules must see them
    ids = sorted(account_ids)
    bdate: dt.date | None = None
    entry_id: int | None = None
    found: dict[int, Locked] = {}
    pg = is_postgresql(session)
    if ids:
        if pg:
            rows: Any = pg_execute(session, _PG_LOCK_SQL[draw_entry_id], {"ids": ids})
        else:  # SQLite: writers are serialized by BEGIN IMMEDIATE
            cols = [ACC.c[n] for n in _COLS]
            cols.append(select(BusinessDate.value).where(BusinessDate.name == "default").scalar_subquery())
            rows = session.execute(select(*cols, literal_column("NULL")).where(ACC.c.id.in_(ids)).order_by(ACC.c.id))
        for row in rows:
            acc = Locked(*row[:len(_COLS)])
            found[acc.id] = acc
            bdate, entry_id = row[-2], row[-1]
            sync_loaded(session, Account, acc.id, {n: getattr(acc, n) for n in _COLS[1:]})
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound("账户不存在", "The account does not exist", account_ids=missing)
    elif pg and draw_entry_id:
        bdate, entry_id = pg_execute(session, _PG_DATE_AND_ENTRY_ID_SQL)[0]
    elif want_date:
        bdate = session.execute(select(BusinessDate.value).where(BusinessDate.name == "default")).scalar()
    if want_date and bdate is None:
        bdate = dt.datetime.now(BANK_TZ).date()
    return found, bdate, entry_id


def prior_entry(session: Session, external_id: str) -> tuple[int, str | None] | None:
    """The entry already posted under an idempotency key (id, payload hash), if any. Run after
    the account locks: a posting under the same key that committed while we waited is seen."""
    if is_postgresql(session):
        rows = pg_execute(session, _PG_PRIOR_SQL, {"x": external_id})
        row = rows[0] if rows else None
    else:
        row = session.execute(select(ENTRY.c.id, ENTRY.c.payload_hash)
                              .where(ENTRY.c.external_id == external_id)).first()
    return (int(row[0]), row[1]) if row is not None else None


_ENTRY_COLS = [c.name for c in ENTRY.columns]
_ENTRY_CLASS = manager_of_class(JournalEntry)
_LINE_COLS = [c.name for c in LINE.columns if c.name != "id"]


@functools.lru_cache(maxsize=256)
def _pg_write_sql(n_lines: int, n_accounts: int, n_audit: int) -> str:
    """One statement of data-modifying CTEs: the entry (nothing at all is written when a
    concurrent posting committed the same idempotency key first), its lines, the new balances
    and, when the audit head could be expected, the audit records and the head. Its shape
    depends only on the counts, so it is prepared once per connection."""
    line_cols = [c for c in _LINE_COLS if c != "entry_id"]
    line_types = {c: pg_cast_type(LINE.c[c].type) for c in line_cols}

    def cols(names: list[str]) -> str:
        return ", ".join(f'"{n}"' for n in names)

    lines = ", ".join("(" + ", ".join(f"CAST(%(l{i}_{c})s AS {line_types[c]})" for c in line_cols) + ")"
                      for i in range(n_lines))
    parts = [f"zy_e AS (INSERT INTO {ENTRY.name} ({cols(_ENTRY_COLS)}) VALUES ("
             + ", ".join(f"%(e_{c})s" for c in _ENTRY_COLS) + ") ON CONFLICT (external_id) DO NOTHING RETURNING id)",
             f"zy_l AS (INSERT INTO {LINE.name} (entry_id, {cols(line_cols)}) "
             f"SELECT zy_e.id, v.* FROM zy_e, (VALUES {lines}) AS v RETURNING 1)"]
    done = ["EXISTS (SELECT 1 FROM zy_e)", "(SELECT count(*) FROM zy_l) > 0"]
    if n_accounts:
        vals = ", ".join(f"(CAST(%(u{i}_id)s AS bigint), CAST(%(u{i}_bal)s AS bigint))" for i in range(n_accounts))
        parts.append(f"zy_u AS (UPDATE {ACC.name} a SET balance_fen = v.bal, "
                     "last_activity_on = coalesce(CAST(%(act)s AS date), a.last_activity_on) "
                     f"FROM (VALUES {vals}) AS v(id, bal), zy_e WHERE a.id = v.id RETURNING 1)")
        done.append("(SELECT count(*) FROM zy_u) > 0")
    if n_audit:  # the head is locked after the entry, its lines and the balances are written
        parts.append(audit.guarded_ctes(n_audit, " AND ".join(done)))
    head = f", {audit.GUARDED_RESULT}" if n_audit else ""
    return "WITH " + ",\n".join(parts) + f"\nSELECT EXISTS (SELECT 1 FROM zy_e){head}"


def write(session: Session, *, entry: dict[str, Any], lines: list[dict[str, Any]],
          balances: dict[int, int], activity_on: dt.date | None, actor: Principal,
          changes: dict[str, Any]) -> JournalEntry | None:
    """Write the entry (``entry["id"]`` drawn by ``lock_for_posting`` on PostgreSQL), its lines,
    the balances and the audit record; returns the (persistent) entry — or, on PostgreSQL,
    ``None`` when a concurrent posting committed the same ``external_id`` first (nothing written).

    On PostgreSQL the audit record (after those the transaction buffered before) is chained in
    the process's turn and written in the same statement (``audit.chain_in_turn``); otherwise it
    is chained at commit."""
    if is_postgresql(session):
        if entry["id"] is None:
            entry["id"] = pg_execute(session, _PG_DATE_AND_ENTRY_ID_SQL)[0][1]
        rec = audit.record(session, action="ledger.entry.post", object_type="ledger_entry", object_id=entry["id"],
                           changes=changes, actor=actor)
        params: dict[str, Any] = {f"e_{k}": v for k, v in entry.items()}
        for i, ln in enumerate(lines):
            params |= {f"l{i}_{k}": v for k, v in ln.items() if k != "entry_id"}
        for i, (acc_id, bal) in enumerate(sorted(balances.items())):
            params |= {f"u{i}_id": acc_id, f"u{i}_bal": bal}
        params["act"] = activity_on
        chained = audit.chain_in_turn(session)
        if chained is None:
            written = pg_execute(session, _pg_write_sql(len(lines), len(balances), 0), params)[0][0]
        else:
            head = None
            written = False  # (if the statement fails, its record goes with it)
            try:
                sql = _pg_write_sql(len(lines), len(balances), len(chained.rows))
                written, *head = pg_execute(session, sql, params | chained.params)[0]
            finally:
                audit.settle(session, chained, tuple(head) if head else None, drop=None if written else rec)
        if not written:
            audit.discard(session, rec)
            return None
    else:
        entry_id = session.execute(insert(ENTRY).values(**entry)).inserted_primary_key[0]
        entry["id"] = entry_id
        session.execute(insert(LINE).values([ln | {"entry_id": entry_id} for ln in lines]))
        if balances:
            values: dict[str, Any] = {"balance_fen": case(balances, value=ACC.c.id)}
            if activity_on is not None:
                values["last_activity_on"] = activity_on
            session.execute(update(ACC).where(ACC.c.id.in_(sorted(balances))).values(**values))
        audit.record(session, action="ledger.entry.post", object_type="ledger_entry", object_id=entry_id,
                     changes=changes, actor=actor)
    for acc_id, bal in balances.items():
        sync_loaded(session, Account, acc_id, {"balance_fen": bal} | (
            {"last_activity_on": activity_on} if activity_on is not None else {}))
    obj = _ENTRY_CLASS.new_instance()  # as loaded: no attribute events (JournalEntry(**entry) costs 4x)
    obj.__dict__.update(entry)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
