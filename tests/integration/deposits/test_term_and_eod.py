"""Term deposits (purchase, early withdrawal full/partial, rate changes) and the EOD interest steps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.integration.deposits.helpers import eaccount
from tests.integration.ledger.helpers import snapshot, system
from zhanye.batch import service as batch
from zhanye.core.calendar import get_business_date, set_business_date
from zhanye.deposits import products, term
from zhanye.deposits.errors import DepositRuleViolation
from zhanye.deposits.models import DemandInterest, TermDeposit
from zhanye.ledger.check import check_ledger
from zhanye.ledger.models import Account, JournalLine


def _pid(s, code: str) -> int:  # type: ignore[no-untyped-def]
    return products.product_by_code(s, code).id


def test_purchase_and_full_early_withdrawal(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        ea = eaccount(s, system(s), ids["101"], funds=2_000_000)
        d = term.purchase(s, actor=system(s), eaccount_id=ea, product_id=_pid(s, "JHC1Y"), amount_fen=1_000_000)
        assert s.get(Account, ea).balance_fen == 1_000_000 and d.annual_rate == Decimal("0.0145")
        did = d.id
        set_business_date(s, get_business_date(s) + dt.timedelta(days=36))
    with db.unit_of_work() as s:
        q = term.quote_withdrawal(s, s.get(TermDeposit, did), None, get_business_date(s))
        assert q["interest_fen"] == 100  # 1,000,000 × 0.001 × 36 / 360 = 100 fen at the demand rate
        term.withdraw(s, actor=system(s), deposit_id=did)
        assert s.get(Account, ea).balance_fen == 2_000_100
        assert s.get(TermDeposit, did).status == "closed"
        res = check_ledger(s)
        assert res.ok, res.breaches


def test_one_partial_withdrawal_keeps_rate(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        ea = eaccount(s, system(s), ids["101"], funds=2_000_000)
        did = term.purchase(s, actor=system(s), eaccount_id=ea, product_id=_pid(s, "JHC3Y"), amount_fen=1_500_000).id
        term.withdraw(s, actor=system(s), deposit_id=did, amount_fen=500_000)
        d = s.get(TermDeposit, did)
        assert d.principal_fen == 1_000_000 and d.partial_done and d.annual_rate == Decimal("0.0175")
    with db.unit_of_work(write=False) as s:
        before = snapshot(s, [ea, d.account_id])
    with pytest.raises(DepositRuleViolation), db.unit_of_work() as s:
        term.withdraw(s, actor=system(s), deposit_id=did, amount_fen=100_000)
    with db.unit_of_work(write=False) as s:
        assert snapshot(s, [ea, d.account_id]) == before


@pytest.mark.parametrize("code,amount", [("JHC1Y", 4_900), ("JHC1Y", 5_050), ("CD3Y", 10_000_000), ("DEMAND", 10_000)])
def test_purchase_rules(bank, code, amount) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        ea = eaccount(s, system(s), ids["101"], funds=30_000_000 if code == "CD3Y" else 100_000)
    with db.unit_of_work(write=False) as s:
        before = snapshot(s, [ea])
    with pytest.raises(DepositRuleViolation), db.unit_of_work() as s:
        term.purchase(s, actor=system(s), eaccount_id=ea, product_id=_pid(s, code), amount_fen=amount)
    with db.unit_of_work(write=False) as s:
        assert snapshot(s, [ea]) == before


def test_rate_change_applies_to_new_deposits_only(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        ea = eaccount(s, system(s), ids["101"], funds=2_000_000)
        old = term.purchase(s, actor=system(s), eaccount_id=ea, product_id=_pid(s, "JHC6M"), amount_fen=500_000)
        products.set_rate(s, actor=system(s), product_id=_pid(s, "JHC6M"), annual_rate=Decimal("0.0120"))
        new = term.purchase(s, actor=system(s), eaccount_id=ea, product_id=_pid(s, "JHC6M"), amount_fen=500_000)
        assert old.annual_rate == Decimal("0.0135") and new.annual_rate == Decimal("0.0120")


def test_eod_accrual_settlement_and_maturity(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:  # business date 2026-12-15
        ea = eaccount(s, system(s), ids["101"], funds=1_000_000)
        ea2 = eaccount(s, system(s), ids["201"], funds=3_000_000)
        ret = term.purchase(s, actor=system(s), eaccount_id=ea2, product_id=_pid(s, "JHC3M"), amount_fen=1_000_000,
                            instruction="return").id
        ren = term.purchase(s, actor=system(s), eaccount_id=ea2, product_id=_pid(s, "JHC3M"), amount_fen=1_000_000,
                            instruction="renew_all").id
    for _ in range(6):  # 12-15 .. 12-20 (settlement day)
        report = batch.run(db)
        assert report.done
    with db.unit_of_work(write=False) as s:
        assert get_business_date(s) == dt.date(2026, 12, 21)
        di = s.get(DemandInterest, ea)
        # 6 days × 1,000,000 = 6,000,000 fen·days × 0.10% / 360 = 16.67 → 17 fen
        assert di.settled_interest_fen == 17 and di.accrual_base_fen == 0
        assert s.get(Account, ea).balance_fen == 1_000_017
        lines = s.execute(select(JournalLine).where(JournalLine.account_id == ea,
                                                    JournalLine.memo == "活期结息")).scalars().all()
        assert [ln.credit_fen for ln in lines] == [17]
    with db.unit_of_work() as s:
        set_business_date(s, dt.date(2027, 3, 15))  # maturity of the 3-month deposits
    batch.run(db)
    with db.unit_of_work(write=False) as s:
        interest = 1_000_000 * Decimal("0.0115") * 90 / 360  # 2,875.00 fen
        r, n = s.get(TermDeposit, ret), s.get(TermDeposit, ren)
        assert r.status == "closed" and r.interest_paid_fen == int(interest)
        assert n.status == "active" and n.principal_fen == 1_000_000 + int(interest)
        assert n.start_date == dt.date(2027, 3, 15) and n.maturity_date == dt.date(2027, 6, 15)
        assert s.get(Account, r.account_id).status == "closed"
        assert s.get(Account, n.account_id).balance_fen == n.principal_fen
        res = check_ledger(s)
        assert res.ok, res.breaches
    again = batch.run(db, business_date=dt.date(2027, 3, 15))  # rerun of a finished date does nothing
    assert again.done
