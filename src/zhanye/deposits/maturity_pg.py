"""Term maturity on PostgreSQL as pure set-based SQL, one transaction per chunk of due deposits.

Interest is computed by PostgreSQL in exact ``numeric`` arithmetic:
``round(principal × rate × actual days / 360)`` — ``round(numeric)`` rounds half away from zero,
which for these positive amounts is ROUND_HALF_UP, the same result as
``zhanye.core.money.interest_fen(..., Rounding.HALF_UP)`` used on SQLite. Each chunk writes one
journal entry per book (customer lines + one interest-expense line) with INSERT ... SELECT,
moves balances with UPDATE ... FROM, and marks each deposit done (closed, or renewed with a
maturity date after the business date) in the same transaction.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

from zhanye.batch.service import StepContext
from zhanye.core import audit


def _t(sql: str) -> Any:
    return text(sql).bindparams(bindparam("d", type_=Date)) if ":d" in sql else text(sql)


PICK = """
CREATE TEMP TABLE zy_mat ON COMMIT DROP AS
SELECT t.id, t.account_id, t.eaccount_id, t.principal_fen, t.instruction, t.maturity_date,
       round(t.principal_fen * t.annual_rate * (t.maturity_date - t.start_date) / 360)::bigint AS interest,
       ta.gl_account_id AS tgl, ea.gl_account_id AS egl, g.institution_id AS book,
       ta.balance_fen AS tbal, ea.balance_fen AS ebal,
       p.term_months, p.annual_rate AS new_rate
FROM deposit_term t
JOIN ledger_account ta ON ta.id = t.account_id
JOIN ledger_account ea ON ea.id = t.eaccount_id
JOIN ledger_gl_account g ON g.id = ta.gl_account_id
JOIN deposit_product p ON p.id = t.product_id
WHERE t.status = 'active' AND t.maturity_date <= :d
ORDER BY t.id LIMIT :n
"""

# one row per customer-account movement: (deposit id, account, gl, debit, credit, memo, book, order,
# balance before the chunk, whether the account closes)
MOVES = """
CREATE TEMP TABLE zy_move ON COMMIT DROP AS
SELECT id, account_id AS acc, tgl AS gl, principal_fen AS debit, 0::bigint AS credit, '定期到期本金'::text AS memo, book,
       1 AS k, tbal AS bal, TRUE AS closing
  FROM zy_mat WHERE instruction = 'return'
UNION ALL
SELECT id, eaccount_id, egl, 0, principal_fen + interest, '定期到期本息', book, 2, ebal, FALSE
  FROM zy_mat WHERE instruction = 'return'
UNION ALL
SELECT id, eaccount_id, egl, 0, interest, '定期到期利息', book, 2, ebal, FALSE FROM zy_mat
 WHERE instruction = 'renew_principal' AND interest > 0
UNION ALL
SELECT id, account_id, tgl, 0, interest, '定期到期利息', book, 2, tbal, FALSE FROM zy_mat
 WHERE instruction = 'renew_all' AND interest > 0
"""

LINES = """
INSERT INTO ledger_line (entry_id, gl_account_id, account_id, business_date, debit_fen, credit_fen,
                         balance_after_fen, memo)
SELECT e.entry_id, m.gl, m.acc, :d, m.debit, m.credit,
       m.bal + sum(m.credit - m.debit) OVER (PARTITION BY m.acc ORDER BY m.id, m.k), m.memo
FROM zy_move m JOIN zy_entry e ON e.book = m.book
"""

EXPENSE = """
INSERT INTO ledger_line (entry_id, gl_account_id, account_id, business_date, debit_fen, credit_fen, memo)
SELECT e.entry_id, e.expense_gl, NULL, :d, x.total, 0, '利息支出'
FROM (SELECT book, sum(interest) AS total FROM zy_mat GROUP BY book HAVING sum(interest) > 0) x
JOIN zy_entry e ON e.book = x.book
"""

# balances and the closing of returned deposits' accounts in one pass over the touched rows
BALANCES = """
UPDATE ledger_account a SET balance_fen = a.balance_fen + d.delta,
       status = CASE WHEN d.closing THEN 'closed' ELSE a.status END,
       closed_on = CASE WHEN d.closing THEN CAST(:d AS date) ELSE a.closed_on END
FROM (SELECT acc, sum(credit - debit) AS delta, bool_or(closing) AS closing FROM zy_move GROUP BY acc ORDER BY acc) d
WHERE a.id = d.acc AND (d.delta <> 0 OR d.closing)
"""

DEPOSITS = """
UPDATE deposit_term t SET
  status = CASE WHEN m.instruction = 'return' THEN 'closed' ELSE 'active' END,
  closed_on = CASE WHEN m.instruction = 'return' THEN CAST(:d AS date) ELSE NULL END,
  principal_fen = CASE WHEN m.instruction = 'return' THEN 0
                       WHEN m.instruction = 'renew_all' THEN t.principal_fen + m.interest ELSE t.principal_fen END,
  interest_paid_fen = t.interest_paid_fen + m.interest,
  start_date = CASE WHEN m.instruction = 'return' THEN t.start_date ELSE m.maturity_date END,
  maturity_date = CASE WHEN m.instruction = 'return' THEN t.maturity_date
                       ELSE (m.maturity_date + make_interval(months => m.term_months))::date END,
  annual_rate = CASE WHEN m.instruction = 'return' THEN t.annual_rate ELSE m.new_rate END,
  renewals = t.renewals + CASE WHEN m.instruction = 'return' THEN 0 ELSE 1 END,
  partial_done = FALSE
FROM zy_mat m WHERE t.id = m.id
"""


def _entries(s: Session, ctx: StepContext) -> int:
    s.execute(text("CREATE TEMP TABLE zy_entry (book bigint, entry_id bigint, expense_gl bigint) ON COMMIT DROP"))
    books = s.execute(text("""SELECT m.book, sum(m.interest) + coalesce(sum(CASE WHEN m.instruction = 'return'
                              THEN m.principal_fen END), 0), g.id FROM zy_mat m
                              JOIN ledger_gl_account g ON g.institution_id = m.book AND g.code = '6411'
                              GROUP BY m.book, g.id""")).all()
    d = ctx.business_date
    for book, total, expense_gl in books:
        if not total:
            continue
        entry_id = s.execute(_t("""
            INSERT INTO ledger_entry (serial_no, institution_id, business_date, description, source_type, source_id,
                                      total_fen, created_at)
            VALUES (:sn, :book, :d, :desc, 'deposit.maturity', :src, :total, now()) RETURNING id"""),
            {"sn": f"{d:%Y%m%d}{secrets.token_hex(8).upper()}", "book": book, "d": d, "desc": f"{d} 定期到期",
             "src": f"{d}:{ctx.get_cursor(s)}", "total": int(total)}).scalar_one()
        s.execute(text("INSERT INTO zy_entry VALUES (:b, :e, :g)"), {"b": book, "e": entry_id, "g": expense_gl})
    return len(books)


def term_maturity_pg(ctx: StepContext, chunk: int) -> int:
    d = ctx.business_date
    with ctx.unit() as s:
        ctx.total(int(s.execute(_t("SELECT count(*) FROM deposit_term WHERE status = 'active' "
                                   "AND maturity_date <= :d"), {"d": d}).scalar_one()))
    while True:
        with ctx.unit() as s:
            # a chunk touches a small part of big tables: walk their primary keys in id order
            # (index nested loops) instead of hashing a scan of every account per statement, and
            # keep the chunk's sorts and aggregates in memory
            for setting in ("work_mem = '64MB'", "enable_hashjoin = off", "enable_mergejoin = off"):
                s.execute(text(f"SET LOCAL {setting}"))
            s.execute(_t(PICK), {"d": d, "n": chunk})
            n, last = s.execute(text("SELECT count(*), max(id) FROM zy_mat")).one()
            if not n:
                break
            ctx.set_cursor(s, str(last))
            s.execute(text(MOVES))
            s.execute(text("ANALYZE zy_move"))
            _entries(s, ctx)
            for sql in (LINES, EXPENSE, BALANCES, DEPOSITS):
                s.execute(_t(sql), {"d": d})
            audit.record(s, action="eod.deposit.maturity", object_type="business_date", object_id=str(d),
                         changes={"deposits": int(n), "through": int(last)})
        ctx.advance(int(n))
    return ctx.rows
