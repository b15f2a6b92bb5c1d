"""A generated loan portfolio for the end-of-day benchmark and the crash test: loans in flight
(opened 0-24 months before the business date, the installments due before it paid, except a
share of overdue loans whose last one to three due installments are unpaid), written with bulk
inserts into the servicing tables, and the matching ledger balances posted with one entry per
institution (principal and interest receivable against clearing and interest income), so the
ledger check and the servicing reconciliation hold from the start.

Only unsettled installments (due and unpaid, or not yet due) are written: the paid history of a
generated loan is not needed by the end of day and would only inflate the tables."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import insert, select

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.db import Database
from zhanye.ledger import service as ledger
from zhanye.lending.schedules import DayRule, add_months, build_schedule
from zhanye.lending.servicing import accounting
from zhanye.lending.servicing.models import Installment, Loan
from zhanye.lending.servicing.service import day_interest, penalty_rate, rate_e8

METHODS = [("equal_installment", 50), ("equal_principal", 20), ("interest_first", 25), ("bullet", 5)]
TERMS = [(6, 15), (12, 40), (24, 30), (36, 15)]
RATES = [Decimal(x) for x in ("0.0345", "0.0395", "0.0435", "0.0490", "0.0550", "0.0620", "0.0750", "0.0980")]
AMOUNTS_YUAN = [5_000, 10_000, 20_000, 30_000, 50_000, 80_000, 100_000, 150_000, 200_000, 300_000, 500_000]


@lru_cache(maxsize=20_000)
def _parts(amount: int, months: int, rate: Decimal, method: str) -> tuple[tuple[int, int], ...]:
    """(principal, interest) per installment; with the loan-date rule every period is regular, so
    the figures do not depend on the start date."""
    s = build_schedule(amount_fen=amount, months=months, annual_rate=rate,
                       method=method if method != "bullet" else "bullet", start=dt.date(2025, 1, 10),
                       day_rule=DayRule())
    return tuple((i.principal_fen, i.interest_fen) for i in s.installments)


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def generate(db: Database, *, actor: Principal, n: int, institution_ids: list[int], product_id: int,
             account_ids: list[int] | None = None, overdue_share: float = 0.03, seed: int = 7,
             batch: int = 5_000, progress: Callable[[int], None] | None = None) -> int:
    """Insert ``n`` loans; returns the number written. ``account_ids``: e-accounts to debit (a
    loan takes one round-robin; its customer id is the account's customer), or none."""
    rng = random.Random(seed)
    with db.unit_of_work(write=False) as s:
        bdate = get_business_date(s)
        from zhanye.lending import products

        product = products.get_product(s, product_id=product_id)
        uplift = Decimal(product.penalty_uplift)
        accounts = [(a, ledger.get_account(s, actor, a).customer_id) for a in (account_ids or [])]
    with db.unit_of_work() as s:
        for inst in institution_ids:
            accounting.ensure_pools(s, actor=actor, institution_id=inst)
    today = bdate.toordinal()
    written = 0
    serial = 0
    while written < n:
        size = min(batch, n - written)
        loans: list[dict[str, Any]] = []
        plans: list[list[tuple[int, dt.date, int, int, int]]] = []
        totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for _ in range(size):
            serial += 1
            method = _pick(rng, METHODS)
            months = _pick(rng, TERMS) if method != "bullet" else rng.choice((6, 12))
            rate = rng.choice(RATES)
            amount = rng.choice(AMOUNTS_YUAN) * 100
            parts = _parts(amount, months, rate, method)
            count = len(parts)
            # opened k whole periods ago plus some days (never past maturity)
            age_days = rng.randrange(1, 28)
            periods_done = rng.randrange(0, count)
            start = add_months(bdate - dt.timedelta(days=age_days), -periods_done) if method != "bullet" else \
                bdate - dt.timedelta(days=rng.randrange(1, 30 * months - 5))
            dues = [add_months(start, k + 1) for k in range(count)] if method != "bullet" else [add_months(start, months)]
            overdue = rng.random() < overdue_share and periods_done > 0
            unpaid_due = min(periods_done, rng.randrange(1, 4)) if overdue else 0
            first_open = 0
            while first_open < count and dues[first_open] < bdate:
                first_open += 1
            first_unpaid = max(0, first_open - unpaid_due)
            rows = [(k + 1, dues[k], parts[k][0], parts[k][1], dues[k].toordinal()) for k in range(first_unpaid, count)]
            if not rows or first_open >= count:
                rows = rows or [(count, dues[-1], parts[-1][0], parts[-1][1], dues[-1].toordinal())]
            outstanding = sum(r[2] for r in rows)
            cur = next((r for r in rows if r[4] > today), None)
            period_start = (dues[cur[0] - 2] if cur and cur[0] >= 2 else start) if cur else None
            base = sum(r[2] for r in rows if cur and r[0] >= cur[0])
            r8 = rate_e8(rate)
            accrued = 0
            if cur and period_start is not None:
                days = today - period_start.toordinal()
                accrued = min(day_interest(base, r8, days), cur[3]) if days > 0 else 0
            due_interest = sum(r[3] for r in rows if r[4] <= today)
            acc, customer = accounts[serial % len(accounts)] if accounts else (None, 9_000_000 + serial)
            inst = institution_ids[serial % len(institution_ids)]
            oldest = rows[0][4]
            loans.append({
                "loan_no": f"G{seed}{serial:09d}", "external_id": f"gen:{seed}:{serial}", "institution_id": inst,
                "customer_id": customer, "manager_id": None, "product_version_id": product_id,
                "product_code": product.code, "line_id": None, "drawdown_id": None, "method": method,
                "term_months": months, "repayment_day": None, "start_date": start, "maturity_date": dues[-1],
                "principal_fen": amount, "annual_rate": rate, "rate_e8": r8, "penalty_rate_e8": penalty_rate(rate, uplift),
                "grace_days": product.grace_days, "compound": bool(product.compound_interest),
                "allocation_order": product.allocation_order, "prepayment_fee_rule": "none",
                "installment_fen": parts[0][0] + parts[0][1], "repay_account_id": acc, "status": "active",
                "cls": 0, "cls_floor": 0, "dpd": 0, "oldest_unpaid_day": oldest, "outstanding_principal_fen": outstanding,
                "interest_receivable_fen": accrued + due_interest, "penalty_receivable_fen": 0,
                "compound_receivable_fen": 0, "accrued_interest_fen": accrued, "accrual_base_fen": base,
                "overdue_start_day": None, "accrued_day": today - 1, "period_no": cur[0] if cur else count + 1,
                "period_due_day": cur[4] if cur else None, "period_interest_fen": cur[3] if cur else 0,
                "penalty_day": today - 1, "cls_day": 0, "overdue_task_day": today,
                "generation": 1, "disbursement_entry_id": None, "closed_on": None, "created_by": "generator",
            })
            plans.append(rows)
            totals[inst][0] += outstanding
            totals[inst][1] += accrued + due_interest
        with db.unit_of_work() as s:
            ids = s.execute(insert(Loan).returning(Loan.id, sort_by_parameter_order=True), loans).scalars().all()
            inst_rows = []
            for loan_id, loan, rows in zip(ids, loans, plans, strict=True):
                for number, due, p, i, day in rows:
                    inst_rows.append({
                        "loan_id": loan_id, "number": number, "generation": 1, "superseded": False, "due_date": due,
                        "due_day": day, "principal_fen": p, "interest_fen": i, "principal_paid_fen": 0,
                        "interest_paid_fen": 0, "penalty_fen": 0, "penalty_paid_fen": 0, "compound_fen": 0,
                        "compound_paid_fen": 0, "penalty_rate_e8": loan["penalty_rate_e8"],
                        "compound": loan["compound"], "penalty_day": max(day + loan["grace_days"], today - 1),
                        "today_penalty_fen": 0, "today_compound_fen": 0, "settled": False, "settled_on": None})
            s.execute(insert(Installment), inst_rows)
            for inst, (principal, interest) in sorted(totals.items()):
                pools = accounting.pools(s, inst)
                legs = [ledger.debit(principal, account_id=pools["principal:0"]),
                        ledger.credit(principal, gl=accounting.CLEARING_GL)]
                if interest:
                    legs += [ledger.debit(interest, account_id=pools["interest"]),
                             ledger.credit(interest, gl=accounting.INTEREST_INCOME_GL)]
                ledger.post_entry(s, actor=actor, institution_id=inst, lines=legs, source_type="loan.generated",
                                  source_id=f"{seed}:{serial}", description="生成的贷款组合（基准测试）",
                                  external_id=f"servicing:generated:{seed}:{serial}:{inst}")
        written += size
        if progress:
            progress(size)
    return written


def loan_count(db: Database) -> int:
    from sqlalchemy import func

    with db.unit_of_work(write=False) as s:
        return int(s.execute(select(func.count()).select_from(Loan)).scalar_one())
