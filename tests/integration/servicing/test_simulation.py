"""A 12-month loan lived through every day of its life, with on-time, late, partial, in-grace and
missed payments, against an independent day-by-day model written here (Decimal arithmetic,
HALF_UP). After every end of day the loan's accrued interest, interest receivable, penalty,
compound interest, principal, DPD and classification equal the model's, and the ledger check and
the servicing reconciliation pass. The schedule itself comes from ``lending.schedules``."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from tests.integration.servicing.helpers import START, fund, ledger_ok, make_product, open_test_loan
from zhanye.batch import service as batch
from zhanye.lending.schedules import DayRule, build_schedule
from zhanye.lending.servicing.models import Loan

P, RATE, MONTHS, GRACE = 1_000_000, Decimal("0.0435"), 12, 3
PENALTY = RATE * Decimal("1.5")


def rnd(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Model:
    """The loan as the contract and the house rules describe it, one day at a time."""

    def __init__(self) -> None:
        sched = build_schedule(amount_fen=P, months=MONTHS, annual_rate=RATE, method="equal_installment",
                               start=START, day_rule=DayRule())
        self.m = sched.installments[1].total_fen
        self.inst = [{"due": i.due_date, "p": i.principal_fen, "i": i.interest_fen, "pp": 0, "ip": 0,
                      "pen": 0, "penp": 0, "comp": 0, "compp": 0} for i in sched.installments]
        self.period = 0
        self.accrued = 0
        self.base = P
        self.outstanding = P
        self.interest_recv = 0
        self.penalty_recv = 0
        self.compound_recv = 0
        self.balance = 0
        self.dpd = 0
        self.cls = 0
        self.closed = False

    @staticmethod
    def open_parts(x: dict) -> list[tuple[str, str, str]]:
        return [("pen", "penp", "penalty"), ("comp", "compp", "compound"), ("i", "ip", "interest"),
                ("p", "pp", "principal")]

    def settled(self, x: dict) -> bool:
        return x["pp"] >= x["p"] and x["ip"] >= x["i"] and x["penp"] >= x["pen"] and x["compp"] >= x["comp"]

    def end_of_day(self, d: dt.date) -> None:
        if self.closed:
            return
        # 1. auto-debit: oldest installment first, penalty, compound, interest, principal
        for x in self.inst:
            if x["due"] > d or self.settled(x):
                continue
            for owed, paid, recv in self.open_parts(x):
                take = min(self.balance, x[owed] - x[paid])
                if take > 0:
                    x[paid] += take
                    self.balance -= take
                    if recv == "principal":
                        self.outstanding -= take
                    else:
                        setattr(self, f"{recv}_recv", getattr(self, f"{recv}_recv") - take)
        if self._is_closed():
            self.closed, self.dpd = True, 0  # a closed loan takes no further end-of-day work
            return
        # 2. accrual: actual/360 on principal not yet due; the last day takes the rest of the period
        if self.period < len(self.inst):
            cur = self.inst[self.period]
            if d + dt.timedelta(days=1) >= cur["due"]:
                a = cur["i"] - self.accrued
                self.interest_recv += a
                self.accrued = 0
                self.base -= cur["p"]
                self.period += 1
            else:
                a = rnd(Decimal(self.base) * RATE / 360)
                self.accrued += a
                self.interest_recv += a
        # 3. DPD from the oldest unpaid due date once past the grace days
        unpaid = [x["due"] for x in self.inst if not self.settled(x)]
        oldest = min(unpaid) if unpaid else None
        self.dpd = (d - oldest).days if oldest and (oldest + dt.timedelta(days=GRACE)) < d else 0
        # 4. penalty on overdue principal, compound on overdue interest (penalty rate, per installment)
        if self.dpd > 0:
            for x in self.inst:
                if self.settled(x) or not x["due"] + dt.timedelta(days=GRACE) < d:
                    continue
                pen = rnd(Decimal(x["p"] - x["pp"]) * PENALTY / 360)
                comp = rnd(Decimal(x["i"] - x["ip"]) * PENALTY / 360)
                x["pen"] += pen
                x["comp"] += comp
                self.penalty_recv += pen
                self.compound_recv += comp
        # 5. classification: 0 | 1-90 | 91-270 | 271-360 | >360; no automatic upgrade from NPL
        by_dpd = 0 if self.dpd == 0 else 1 if self.dpd <= 90 else 2 if self.dpd <= 270 else 3 if self.dpd <= 360 else 4
        self.cls = self.cls if self.cls >= 2 and by_dpd < self.cls else by_dpd

    def _is_closed(self) -> bool:
        return (all(self.settled(x) for x in self.inst) and self.outstanding == 0
                and not (self.interest_recv or self.penalty_recv or self.compound_recv))


def test_twelve_months_day_by_day(fresh_bank) -> None:
    db = fresh_bank
    with db.unit_of_work() as s:
        pid = make_product(s, grace_days=GRACE)
        loan = open_test_loan(s, product_id=pid, principal=P, rate=str(RATE), months=MONTHS)
        loan_id, acc = loan.id, loan.repay_account_id
    model = Model()
    m = model.m
    deposits = {
        dt.date(2026, 2, 4): m,  # on time (the day before)
        dt.date(2026, 3, 5): m,  # on the due date
        dt.date(2026, 4, 20): 2 * m,  # April missed, paid late with penalty; the rest part-pays May
        dt.date(2026, 5, 15): m,  # May settled late
        dt.date(2026, 6, 5): m // 2,  # June half on time
        dt.date(2026, 7, 10): 2 * m,  # June's rest and July late
        dt.date(2026, 8, 7): m,  # August within the grace days: no penalty
        dt.date(2026, 9, 5): m + 5_000,
        dt.date(2026, 10, 5): m,
        # November, December and the January maturity missed; paid in full after DPD 91 (次级)
        dt.date(2027, 3, 20): 5 * m,
    }
    seen_classes = set()
    saw_grace_only = False
    d = START
    while d <= dt.date(2027, 3, 22):
        if d in deposits:
            with db.unit_of_work() as s:
                fund(s, acc, deposits[d])
            model.balance += deposits[d]
        batch.run(db)
        model.end_of_day(d)
        with db.unit_of_work(write=False) as s:
            loan = s.get(Loan, loan_id)
            got = (loan.outstanding_principal_fen, loan.accrued_interest_fen, loan.interest_receivable_fen,
                   loan.penalty_receivable_fen, loan.compound_receivable_fen, loan.dpd, loan.cls,
                   loan.status == "closed")
        want = (model.outstanding, model.accrued, model.interest_recv, model.penalty_recv, model.compound_recv,
                model.dpd, model.cls, model.closed)
        assert got == want, f"{d}: loan {got} != model {want}"
        ledger_ok(db)
        seen_classes.add(model.cls)
        if d == dt.date(2026, 8, 7):
            saw_grace_only = model.inst[6]["pen"] == 0 and model.settled(model.inst[6])
        d += dt.timedelta(days=1)
    assert model.closed and seen_classes >= {0, 1, 2}
    assert saw_grace_only
    assert sum(x["pen"] for x in model.inst) > 0 and sum(x["comp"] for x in model.inst) > 0
