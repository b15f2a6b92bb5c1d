"""EOD interest work, set-based and resumable:

* demand accrual: one ``UPDATE deposit_demand ... FROM ledger_account`` per chunk of account ids
  adds each end-of-day balance to the 积数 and marks ``accrued_through = D`` (a rerun skips rows
  already marked);
* quarterly settlement on the 20th of March, June, September and December: per chunk of 5,000
  accounts, interest = round_half_up(积数 × rate / 360) computed in Decimal, written as ONE
  journal entry (interest expense against every account's line) with bulk INSERT/UPDATE
  statements; the same transaction zeroes the 积数 and marks ``last_settled_on = D``;
* term maturity: per chunk of due deposits, the instruction (return, renew principal, renew
  principal and interest) is applied in one entry and bulk statements; the deposit's new status
  or maturity date is the done-mark.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from zhanye.batch.service import StepContext
from zhanye.core import audit
from zhanye.core.money import Rounding, interest_fen, round_fen
from zhanye.deposits.models import DemandInterest, DepositProduct, TermDeposit
from zhanye.deposits.products import add_months
from zhanye.ledger import chart
from zhanye.ledger.models import Account, GLAccount, JournalEntry, JournalLine

_CHUNK = int(os.environ.get("ZHANYE_EOD_CHUNK", "0") or 0)  # operators may shrink chunks (and tests do)
ACCRUAL_CHUNK = _CHUNK or 50_000
SETTLE_CHUNK = _CHUNK or 5_000
MATURITY_CHUNK = _CHUNK or 5_000
MATURITY_CHUNK_PG = _CHUNK or 50_000
SETTLEMENT_MONTHS = (3, 6, 9, 12)
SETTLEMENT_DAY = 20


def is_settlement_day(day: dt.date) -> bool:
    return day.month in SETTLEMENT_MONTHS and day.day == SETTLEMENT_DAY


def settlement_interest(base_fen: int, rate: Decimal) -> int:
    return round_fen(Decimal(base_fen) * rate / 360, Rounding.HALF_UP)


# --- demand accrual ----------------------------------------------------------------------------

def demand_accrual(ctx: StepContext) -> int:
    d = ctx.business_date
    di, acc = DemandInterest.__table__, Account.__table__
    with ctx.unit() as s:
        total, max_id = s.execute(select(func.count(), func.max(di.c.account_id)).where(di.c.accrued_through < d)).one()
        ctx.total(int(total))
    if not total:
        return 0
    while True:
        with ctx.unit() as s:
            start = int(ctx.get_cursor(s) or 0)
            if start >= (max_id or 0):
                break
            end = start + ACCRUAL_CHUNK
            # both sides bounded by the id range: index range scans, not a scan of every account per chunk
            res = s.execute(update(di).where(di.c.account_id == acc.c.id, di.c.account_id > start,
                                             di.c.account_id <= end, acc.c.id > start, acc.c.id <= end,
                                             di.c.accrued_through < d, acc.c.status != "closed")
                            .values(accrual_base_fen=di.c.accrual_base_fen + acc.c.balance_fen, accrued_through=d))
            ctx.set_cursor(s, str(end))
        ctx.advance(int(res.rowcount or 0))
    return ctx.rows


# --- shared bulk posting -----------------------------------------------------------------------

def _post_bulk(s: Session, ctx: StepContext, book: int, rows: list[dict[str, Any]], expense_fen: int,
               source_type: str, description: str) -> None:
    """One balanced entry: ``rows`` are customer-account credits/debits, plus one interest-expense
    debit of ``expense_fen``. Updates account balances relatively, in bulk."""
    d = ctx.business_date
    expense_gl = chart.gl_by_code(s, book, "6411").id
    total = expense_fen + sum(r["debit_fen"] for r in rows)
    entry = JournalEntry(serial_no=f"{d:%Y%m%d}{secrets.token_hex(8).upper()}", institution_id=book,
                         business_date=d, description=description, source_type=source_type,
                         source_id=f"{d}:{ctx.get_cursor(s)}", total_fen=total, actor_id=None)
    s.add(entry)
    s.flush()
    lines = [{"entry_id": entry.id, "gl_account_id": r["gl"], "account_id": r["account_id"], "business_date": d,
              "debit_fen": r["debit_fen"], "credit_fen": r["credit_fen"], "balance_after_fen": r["after"],
              "memo": r["memo"]} for r in rows]
    if expense_fen:
        lines.append({"entry_id": entry.id, "gl_account_id": expense_gl, "account_id": None, "business_date": d,
                      "debit_fen": expense_fen, "credit_fen": 0, "balance_after_fen": None, "memo": "利息支出"})
    s.execute(insert(JournalLine.__table__), lines)
    deltas: dict[int, int] = defaultdict(int)
    for r in rows:
        deltas[r["account_id"]] += r["credit_fen"] - r["debit_fen"]  # deposit accounts are credit-normal
    acc = Account.__table__
    s.execute(update(acc).where(acc.c.id == bindparam("b_id")).values(balance_fen=acc.c.balance_fen + bindparam("b_d")),
              [{"b_id": k, "b_d": v} for k, v in deltas.items() if v])


# --- quarterly settlement ----------------------------------------------------------------------

def demand_settlement(ctx: StepContext) -> int:
    d = ctx.business_date
    if not is_settlement_day(d):
        return 0
    di, acc, gl = DemandInterest.__table__, Account.__table__, GLAccount.__table__
    due = [di.c.accrual_base_fen != 0, or_(di.c.last_settled_on.is_(None), di.c.last_settled_on < d)]
    with ctx.unit() as s:
        ctx.total(int(s.execute(select(func.count()).select_from(di).where(*due)).scalar_one()))
    while True:
        with ctx.unit() as s:
            start = int(ctx.get_cursor(s) or 0)
            chunk = s.execute(select(di.c.account_id, di.c.accrual_base_fen, di.c.annual_rate, acc.c.balance_fen,
                                     acc.c.gl_account_id, gl.c.institution_id)
                              .join(acc, acc.c.id == di.c.account_id).join(gl, gl.c.id == acc.c.gl_account_id)
                              .where(*due, di.c.account_id > start).order_by(di.c.account_id)
                              .limit(SETTLE_CHUNK)).all()
            if not chunk:
                break
            by_book: dict[int, list[dict[str, Any]]] = defaultdict(list)
            paid: list[dict[str, Any]] = []
            for aid, base, rate, bal, gl_id, book in chunk:
                interest = settlement_interest(int(base), Decimal(rate))
                paid.append({"b_id": aid, "b_i": interest})
                if interest > 0:
                    by_book[book].append({"account_id": aid, "gl": gl_id, "debit_fen": 0, "credit_fen": interest,
                                          "after": int(bal) + interest, "memo": "活期结息"})
            ctx.set_cursor(s, str(chunk[-1][0]))
            for book, rows in by_book.items():
                _post_bulk(s, ctx, book, rows, sum(r["credit_fen"] for r in rows), "deposit.demand_settlement",
                           f"{d} 活期结息")
            s.execute(update(di).where(di.c.account_id == bindparam("b_id")).values(
                accrual_base_fen=0, last_settled_on=d,
                settled_interest_fen=di.c.settled_interest_fen + bindparam("b_i")), paid)
            audit.record(s, action="eod.deposit.settlement", object_type="business_date", object_id=str(d),
                         changes={"accounts": len(chunk), "through": chunk[-1][0]})
        ctx.advance(len(chunk))
    return ctx.rows


# --- term maturity -----------------------------------------------------------------------------

def term_maturity(ctx: StepContext) -> int:
    with ctx.unit() as s:
        dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        from zhanye.deposits.maturity_pg import term_maturity_pg

        return term_maturity_pg(ctx, MATURITY_CHUNK_PG)
    d = ctx.business_date
    td, acc, gl = TermDeposit.__table__, Account.__table__, GLAccount.__table__
    due = [td.c.status == "active", td.c.maturity_date <= d]
    with ctx.unit() as s:
        ctx.total(int(s.execute(select(func.count()).select_from(td).where(*due)).scalar_one()))
        products = {p.id: (p.term_months, p.annual_rate) for p in s.execute(select(DepositProduct)).scalars()}
    ea_acc = acc.alias("ea")
    while True:
        with ctx.unit() as s:
            chunk = s.execute(select(td.c.id, td.c.account_id, td.c.eaccount_id, td.c.product_id, td.c.principal_fen,
                                     td.c.annual_rate, td.c.start_date, td.c.maturity_date, td.c.instruction,
                                     acc.c.gl_account_id, acc.c.balance_fen, gl.c.institution_id,
                                     ea_acc.c.gl_account_id, ea_acc.c.balance_fen)
                              .join(acc, acc.c.id == td.c.account_id).join(gl, gl.c.id == acc.c.gl_account_id)
                              .join(ea_acc, ea_acc.c.id == td.c.eaccount_id)
                              .where(*due).order_by(td.c.id).limit(MATURITY_CHUNK)).all()
            if not chunk:
                break
            by_book: dict[int, list[dict[str, Any]]] = defaultdict(list)
            expense: dict[int, int] = defaultdict(int)
            upd: list[dict[str, Any]] = []
            closing: list[int] = []
            for (tid, t_acc, e_acc, pid, principal, rate, start, maturity, instr, t_gl, t_bal, book, e_gl,
                 e_bal) in chunk:
                interest = interest_fen(int(principal), Decimal(rate), (maturity - start).days, Rounding.HALF_UP)
                rows = by_book[book]
                expense[book] += interest
                months, new_rate = products[pid]
                if instr == "return":
                    rows.append({"account_id": t_acc, "gl": t_gl, "debit_fen": principal, "credit_fen": 0,
                                 "after": int(t_bal) - principal, "memo": "定期到期本金"})
                    rows.append({"account_id": e_acc, "gl": e_gl, "debit_fen": 0, "credit_fen": principal + interest,
                                 "after": int(e_bal) + principal + interest, "memo": "定期到期本息"})
                    upd.append({"id": tid, "status": "closed", "principal_fen": 0, "closed_on": d,
                                "interest_paid_fen": interest, "maturity_date": maturity, "start_date": start,
                                "annual_rate": rate, "principal_add": 0})
                    closing.append(t_acc)
                    continue
                if interest:
                    target = (e_acc, e_gl, e_bal) if instr == "renew_principal" else (t_acc, t_gl, t_bal)
                    rows.append({"account_id": target[0], "gl": target[1], "debit_fen": 0, "credit_fen": interest,
                                 "after": int(target[2]) + interest, "memo": "定期到期利息"})
                upd.append({"id": tid, "status": "active", "closed_on": None, "interest_paid_fen": interest,
                            "start_date": maturity, "maturity_date": add_months(maturity, months),
                            "annual_rate": new_rate, "principal_fen": int(principal) + (
                                interest if instr == "renew_all" else 0), "principal_add": 1})
            ctx.set_cursor(s, str(chunk[-1][0]))
            for book, rows in by_book.items():
                if rows:
                    _post_bulk(s, ctx, book, rows, expense[book], "deposit.maturity", f"{d} 定期到期")
            s.execute(update(td).where(td.c.id == bindparam("b_id")).values(
                status=bindparam("b_status"), principal_fen=bindparam("b_principal"), closed_on=bindparam("b_closed"),
                start_date=bindparam("b_start"), maturity_date=bindparam("b_maturity"),
                annual_rate=bindparam("b_rate"), interest_paid_fen=td.c.interest_paid_fen + bindparam("b_interest"),
                renewals=td.c.renewals + bindparam("b_renew"), partial_done=False),
                [{"b_id": u["id"], "b_status": u["status"], "b_principal": u["principal_fen"],
                  "b_closed": u["closed_on"], "b_start": u["start_date"], "b_maturity": u["maturity_date"],
                  "b_rate": u["annual_rate"], "b_interest": u["interest_paid_fen"], "b_renew": u["principal_add"]}
                 for u in upd])
            if closing:
                s.execute(update(acc).where(acc.c.id.in_(closing)).values(status="closed", closed_on=d))
            audit.record(s, action="eod.deposit.maturity", object_type="business_date", object_id=str(d),
                         changes={"deposits": len(chunk), "through": chunk[-1][0]})
        ctx.advance(len(chunk))
    return ctx.rows
