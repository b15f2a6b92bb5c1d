"""Ledger invariants, checked (``zhanye ledger check``), never hoped for:

1. trial balance: total debits equal total credits;
2. every entry balances, has two or more lines, and its total matches its lines;
3. every customer account's balance equals the sum of its lines (normal side);
4. every control GL's line balance equals the sum of its sub-ledger balances;
5. no available balance is negative where overdraft is not allowed; held amounts equal the sum
   of active holds.

A balance cap (class III: 2,000 yuan) is a rule on movements (``post_entry`` refuses a transfer
that would exceed it), not an invariant: settled interest may take a class III account above it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhanye.ledger.models import Account, GLAccount, Hold, JournalEntry, JournalLine


@dataclass
class CheckResult:
    entries: int = 0
    lines: int = 0
    accounts: int = 0
    total_debit_fen: int = 0
    total_credit_fen: int = 0
    breaches: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaches


def check_ledger(session: Session, *, business_date: dt.date | None = None, limit: int = 50) -> CheckResult:
    res = CheckResult()
    line_filter = [] if business_date is None else [JournalLine.business_date <= business_date]
    d, c, n = session.execute(select(func.coalesce(func.sum(JournalLine.debit_fen), 0),
                                     func.coalesce(func.sum(JournalLine.credit_fen), 0), func.count())
                              .where(*line_filter)).one()
    res.total_debit_fen, res.total_credit_fen, res.lines = int(d), int(c), int(n)
    if res.total_debit_fen != res.total_credit_fen:
        res.breaches.append(f"trial balance: debits {d} != credits {c}")

    entry_filter = [] if business_date is None else [JournalEntry.business_date == business_date]
    res.entries = int(session.execute(select(func.count()).select_from(JournalEntry).where(*entry_filter))
                      .scalar_one())
    sums = (select(JournalLine.entry_id, func.sum(JournalLine.debit_fen).label("d"),
                   func.sum(JournalLine.credit_fen).label("c"), func.count().label("n"))
            .group_by(JournalLine.entry_id).subquery())
    bad = session.execute(
        select(JournalEntry.id, JournalEntry.serial_no, sums.c.d, sums.c.c, sums.c.n, JournalEntry.total_fen)
        .outerjoin(sums, sums.c.entry_id == JournalEntry.id)
        .where(*entry_filter)
        .where((sums.c.d.is_(None)) | (sums.c.d != sums.c.c) | (sums.c.n < 2) | (sums.c.d != JournalEntry.total_fen))
        .limit(limit)).all()
    for eid, serial, ed, ec, en, total in bad:
        res.breaches.append(f"entry {eid} {serial}: debits {ed} credits {ec} lines {en} total {total}")

    if business_date is not None:
        return res  # balances are checked against the present state only

    signed = case((Account.debit_normal, JournalLine.debit_fen - JournalLine.credit_fen),
                  else_=JournalLine.credit_fen - JournalLine.debit_fen)
    per_acc = (select(JournalLine.account_id, func.sum(signed).label("s"))
               .join(Account, Account.id == JournalLine.account_id).group_by(JournalLine.account_id).subquery())
    res.accounts = int(session.execute(select(func.count()).select_from(Account)).scalar_one())
    mismatched = session.execute(
        select(Account.id, Account.number, Account.balance_fen, per_acc.c.s)
        .outerjoin(per_acc, per_acc.c.account_id == Account.id)
        .where(Account.balance_fen != func.coalesce(per_acc.c.s, 0)).limit(limit)).all()
    for aid, number, bal, s in mismatched:
        res.breaches.append(f"account {aid} {number}: balance {bal} != sum of lines {s or 0}")

    gl_signed = case((GLAccount.type.in_(("asset", "expense")), JournalLine.debit_fen - JournalLine.credit_fen),
                     else_=JournalLine.credit_fen - JournalLine.debit_fen)
    gl_bal = dict(session.execute(select(GLAccount.id, func.sum(gl_signed))
                                  .join(JournalLine, JournalLine.gl_account_id == GLAccount.id)
                                  .where(GLAccount.is_control).group_by(GLAccount.id)).all())
    sub_bal = dict(session.execute(select(Account.gl_account_id, func.sum(Account.balance_fen))
                                   .group_by(Account.gl_account_id)).all())
    codes = dict(session.execute(select(GLAccount.id, GLAccount.code).where(GLAccount.is_control)).all())
    for gl_id in set(gl_bal) | set(sub_bal):
        if int(gl_bal.get(gl_id) or 0) != int(sub_bal.get(gl_id) or 0):
            res.breaches.append(f"control GL {codes.get(gl_id, gl_id)}: GL {gl_bal.get(gl_id) or 0} "
                                f"!= sub-ledgers {sub_bal.get(gl_id) or 0}")

    negative = session.execute(select(Account.id, Account.number, Account.balance_fen, Account.held_fen,
                                      Account.overdraft_limit_fen)
                               .where(Account.balance_fen - Account.held_fen + Account.overdraft_limit_fen < 0)
                               .limit(limit)).all()
    for aid, number, bal, held, od in negative:
        res.breaches.append(f"account {aid} {number}: available {bal - held + od} < 0")
    holds = (select(Hold.account_id, func.sum(Hold.amount_fen).label("h")).where(Hold.status == "active")
             .group_by(Hold.account_id).subquery())
    held_bad = session.execute(select(Account.id, Account.held_fen, holds.c.h)
                               .outerjoin(holds, holds.c.account_id == Account.id)
                               .where(Account.held_fen != func.coalesce(holds.c.h, 0)).limit(limit)).all()
    for aid, held, h in held_bad:
        res.breaches.append(f"account {aid}: held {held} != active holds {h or 0}")
    return res
