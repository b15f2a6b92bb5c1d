"""The posting hot path in SQLAlchemy Core (no ORM unit of work), used by ``service.post_entry``.

Round trips per posting on PostgreSQL (besides the caller's BEGIN and COMMIT):

1. ``lock_rows``: the touched customer accounts ``FOR UPDATE`` in ascending id order, with the
   business date read in the same statement;
2. ``chain_head``: the audit chain head ``FOR UPDATE`` (the last lock taken, so it is held only for
   the write and the commit), the new entry id drawn from its sequence and the idempotency key
   looked up, in one statement — after the account locks, so a concurrent posting under the same
   key that committed while we waited is seen;
3. ``write``: one statement of data-modifying CTEs — the entry, its lines (one multi-row
   INSERT), the new balances, the audit record and the chain head. The audit records the
   transaction has buffered so far (``audit.record``) are chained before the entry's own and
   written with it (``audit.claim``); records after it are chained at commit without looking the
   head up again.

On SQLite (writers serialized by ``BEGIN IMMEDIATE``) step 3 is a few plain statements.

The ORM identity map stays truthful: locked accounts present in the session are refreshed with
the values read under the lock (as ``populate_existing`` would) and get their new balances after
the write; the chain head likewise; the returned ``JournalEntry`` is attached to the session as
a persistent object without another query.
"""

# ruff: noqa: S608  -- the write statement is built from column names and counts only, never from input
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from zhanye.core import audit
from zhanye.core.calendar import BANK_TZ
from zhanye.core.context import Principal
from zhanye.core.db import pg_execute
from zhanye.core.errors import NotFound
from zhanye.core.models import AuditChainHead, BusinessDate
from zhanye.ledger.models import Account, JournalEntry, JournalLine

ACC = Account.__table__
ENTRY = JournalEntry.__table__
LINE = JournalLine.__table__
HEAD = AuditChainHead.__table__

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


def is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _sync(session: Session, cls: type, key: Any, values: dict[str, Any]) -> None:
    """Give an instance already in the identity map the values now in the database."""
    inst = session.identity_map.get(identity_key(cls, key))
    if inst is not None:
        for name, value in values.items():
            set_committed_value(inst, name, value)


# The PostgreSQL statements of a posting, run through the driver (``core.db.pg_execute``).
_PG_LOCK_SQL = ("SELECT " + ", ".join(f'a."{c}"' for c in _COLS)
                + f", (SELECT value FROM {BusinessDate.__tablename__} WHERE name = 'default') "
                f"FROM {ACC.name} a WHERE a.id = ANY(%(ids)s::bigint[]) ORDER BY a.id FOR UPDATE OF a")

_NEXT_ENTRY_ID = f"nextval(pg_get_serial_sequence('{ENTRY.name}', 'id'))"
_PG_HEAD_SQL = (f"SELECT {_NEXT_ENTRY_ID}, p.id, p.payload_hash, h.last_id, h.last_hash FROM {HEAD.name} h "
                f"LEFT JOIN {ENTRY.name} p ON p.external_id = %(x)s WHERE h.name = 'main' FOR UPDATE OF h")
_PG_NO_HEAD_SQL = (f"SELECT {_NEXT_ENTRY_ID}, p.id, p.payload_hash FROM (SELECT 1) AS one "
                   f"LEFT JOIN {ENTRY.name} p ON p.external_id = %(x)s")


def lock_rows(session: Session, account_ids: set[int], *, want_date: bool) -> tuple[dict[int, Locked], dt.date | None]:
    """Lock the accounts in id order; returns them and (if asked) the business date."""
    session.flush()  # pending ORM changes first: the rules must see them
    ids = sorted(account_ids)
    bdate: dt.date | None = None
    found: dict[int, Locked] = {}
    if ids:
        if is_pg(session):
            rows: Any = pg_execute(session, _PG_LOCK_SQL, {"ids": ids})
        else:  # SQLite: writers are serialized by BEGIN IMMEDIATE
            cols = [ACC.c[n] for n in _COLS]
            cols.append(select(BusinessDate.value).where(BusinessDate.name == "default").scalar_subquery())
            rows = session.execute(select(*cols).where(ACC.c.id.in_(ids)).order_by(ACC.c.id))
        for row in rows:
            acc = Locked(*row[:len(_COLS)])
            found[acc.id] = acc
            bdate = row[-1]
            _sync(session, Account, acc.id, {n: getattr(acc, n) for n in _COLS[1:]})
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound("账户不存在", "The account does not exist", account_ids=missing)
    elif want_date:
        bdate = session.execute(select(BusinessDate.value).where(BusinessDate.name == "default")).scalar()
    if want_date and bdate is None:
        bdate = dt.datetime.now(BANK_TZ).date()
    return found, bdate


@dataclass(slots=True)
class Head:
    entry_id: int
    prior_id: int | None
    prior_hash: str | None
    last_id: int | None  # None: the audit chain has no head row yet
    last_hash: str | None


def chain_head(session: Session, external_id: str | None) -> Head:
    """Lock the audit chain head, draw the entry id and look the idempotency key up (PostgreSQL)."""
    if audit.pending_count(session) >= audit.PG_MAX_ROWS:  # too many to write with the entry
        audit.flush(session)
    params = {"x": external_id}
    rows = pg_execute(session, _PG_HEAD_SQL, params)
    if not rows:
        row = pg_execute(session, _PG_NO_HEAD_SQL, params)[0]
        return Head(int(row[0]), row[1], row[2], None, None)
    row = rows[0]
    return Head(int(row[0]), row[1], row[2], int(row[3]), row[4])


def prior_entry(session: Session, external_id: str) -> tuple[int, str | None] | None:
    row = session.execute(select(ENTRY.c.id, ENTRY.c.payload_hash).where(ENTRY.c.external_id == external_id)).first()
    return (int(row[0]), row[1]) if row is not None else None


_ENTRY_COLS = [c.name for c in ENTRY.columns]
_LINE_COLS = [c.name for c in LINE.columns if c.name != "id"]


@functools.lru_cache(maxsize=256)
def _pg_write_sql(n_lines: int, n_accounts: int, n_audit: int) -> Any:
    """One statement of data-modifying CTEs (its shape depends only on the counts, so psycopg
    prepares it once per connection)."""
    def cols(names: list[str]) -> str:
        return ", ".join(f'"{n}"' for n in names)

    def row(prefix: str, names: list[str]) -> str:
        return "(" + ", ".join(f":{prefix}_{n}" for n in names) + ")"

    parts = [f"zy_e AS (INSERT INTO ledger_entry ({cols(_ENTRY_COLS)}) VALUES {row('e', _ENTRY_COLS)})",
             f"zy_l AS (INSERT INTO ledger_line ({cols(_LINE_COLS)}) VALUES "
             + ", ".join(row(f"l{i}", _LINE_COLS) for i in range(n_lines)) + ")"]
    if n_accounts:
        vals = ", ".join(f"(CAST(:u{i}_id AS bigint), CAST(:u{i}_bal AS bigint))" for i in range(n_accounts))
        parts.append("zy_u AS (UPDATE ledger_account a SET balance_fen = v.bal, "
                     "last_activity_on = coalesce(CAST(:act AS date), a.last_activity_on) "
                     f"FROM (VALUES {vals}) AS v(id, bal) WHERE a.id = v.id)")
    if n_audit:
        parts.append(audit.insert_cte(n_audit))
        final = audit.HEAD_UPDATE_SQL
    else:
        final = "SELECT 1"
    sql = "WITH " + ",\n".join(parts) + "\n" + final
    assert "%" not in sql
    return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)  # psycopg's placeholders


def write(session: Session, *, head: Head | None, entry: dict[str, Any], lines: list[dict[str, Any]],
          balances: dict[int, int], activity_on: dt.date | None, actor: Principal,
          changes: dict[str, Any]) -> JournalEntry:
    """Write the entry, lines, balances and the audit record; returns the (persistent) entry."""
    if head is not None:
        entry["id"] = head.entry_id
        for ln in lines:
            ln["entry_id"] = head.entry_id
        audit.record(session, action="ledger.entry.post", object_type="ledger_entry", object_id=head.entry_id,
                     changes=changes, actor=actor)
        # With the head locked above: chain the buffered records (this one last) into this statement.
        # Without a head row yet, the record stays buffered and the commit creates the head.
        recs: list[dict[str, Any]] = []
        if head.last_id is not None:
            assert head.last_hash is not None
            recs = audit.claim(session, head.last_id, head.last_hash)
        params: dict[str, Any] = {f"e_{k}": v for k, v in entry.items()}
        for i, ln in enumerate(lines):
            params |= {f"l{i}_{k}": v for k, v in ln.items()}
        for i, (acc_id, bal) in enumerate(sorted(balances.items())):
            params |= {f"u{i}_id": acc_id, f"u{i}_bal": bal}
        params["act"] = activity_on
        if recs:
            params |= audit.row_params(recs) | {"h_id": recs[-1]["id"], "h_hash": recs[-1]["hash"]}
        pg_execute(session, _pg_write_sql(len(lines), len(balances), len(recs)), params)
    else:
        entry_id = session.execute(insert(ENTRY).values(**entry)).inserted_primary_key[0]
        entry["id"] = entry_id
        for ln in lines:
            ln["entry_id"] = entry_id
        session.execute(insert(LINE).values(lines))
        if balances:
            values: dict[str, Any] = {"balance_fen": case(balances, value=ACC.c.id)}
            if activity_on is not None:
                values["last_activity_on"] = activity_on
            session.execute(update(ACC).where(ACC.c.id.in_(sorted(balances))).values(**values))
        audit.record(session, action="ledger.entry.post", object_type="ledger_entry", object_id=entry_id,
                     changes=changes, actor=actor)
    for acc_id, bal in balances.items():
        _sync(session, Account, acc_id, {"balance_fen": bal} | (
            {"last_activity_on": activity_on} if activity_on is not None else {}))
    obj = JournalEntry(**entry)
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
