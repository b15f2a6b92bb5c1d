"""Repayments, allocation order, partial and over-payment, prepayment both ways and reversal:
the schedule and the ledger are exactly as the figures computed by hand here."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from tests.integration.servicing.helpers import (
    balance,
    fund,
    ledger_ok,
    make_product,
    open_test_loan,
    run_until,
    snapshot,
    staff_principal,
    system,
)
from zhanye.core.errors import DomainError
from zhanye.lending.servicing import repayments, service
from zhanye.lending.servicing.models import Loan, Repayment

P, RATE = 1_200_000, "0.0600"
# 12,000 yuan at 6% over 12 months, equal installments from 2026-01-05 (loan-date rule):
# M = round(P·r(1+r)^12/((1+r)^12−1)), r = 0.005 → 103,280; first interest 1,200,000 × 0.005 = 6,000.
FIRST = {"principal": 97_280, "interest": 6_000}


def _loan(db, **kw):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        pid = make_product(s, **{k: v for k, v in kw.items() if k in ("grace_days", "order", "fee_rule")})
        loan = open_test_loan(s, product_id=pid, principal=P, rate=RATE, months=12,
                              **{k: v for k, v in kw.items() if k in ("funds", "method")})
        return loan.id, loan.repay_account_id


def _repay(db, loan_id, amount, channel="eaccount", key=None):  # type: ignore[no-untyped-def]
    import uuid

    with db.unit_of_work() as s:
        rep = repayments.repay(s, actor=system(s), loan_id=loan_id, amount_fen=amount, channel=channel,
                               external_id=key or uuid.uuid4().hex)
        return rep.id


def _state(db, loan_id):  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        loan = s.get(Loan, loan_id)
        insts = service.installments(s, loan_id)
        return loan, insts


def test_schedule_and_accrual_to_first_due_date(fresh_bank) -> None:
    loan_id, _ = _loan(fresh_bank)
    loan, insts = _state(fresh_bank, loan_id)
    assert (insts[0].principal_fen, insts[0].interest_fen, loan.installment_fen) == (97_280, 6_000, 103_280)
    assert sum(i.principal_fen for i in insts) == P
    run_until(fresh_bank, dt.date(2026, 2, 5))
    loan, insts = _state(fresh_bank, loan_id)
    # 31 nights Jan 5 .. Feb 4: 30 × round(1,200,000 × 0.06 / 360 = 200) and the rest of the period's
    # scheduled interest on the last night: 6,000 − 6,000 = 0. The period rolled over.
    assert loan.interest_receivable_fen == 6_000
    assert loan.accrued_interest_fen == 0
    assert loan.period_no == 2 and loan.accrual_base_fen == P - 97_280
    ledger_ok(fresh_bank)


def test_allocation_partial_and_overpayment(fresh_bank) -> None:
    loan_id, acc = _loan(fresh_bank, funds=50_000)
    run_until(fresh_bank, dt.date(2026, 2, 5))
    # Partial payment from the e-account (the EOD of Feb 4 did not debit: nothing was due yet).
    with fresh_bank.unit_of_work() as s:
        assert balance(s, acc) == 50_000
    _repay(fresh_bank, loan_id, 50_000)
    loan, insts = _state(fresh_bank, loan_id)
    assert (insts[0].interest_paid_fen, insts[0].principal_paid_fen, insts[0].settled) == (6_000, 44_000, False)
    assert loan.outstanding_principal_fen == P - 44_000 and loan.interest_receivable_fen == 0
    # Over-payment in cash: only what is due is applied, the excess goes to the e-account.
    _repay(fresh_bank, loan_id, 60_000, channel="cash")
    loan, insts = _state(fresh_bank, loan_id)
    assert insts[0].settled and insts[0].principal_paid_fen == 97_280
    with fresh_bank.unit_of_work() as s:
        assert balance(s, acc) == 60_000 - (97_280 - 44_000)
        rep = s.execute(select(Repayment).where(Repayment.loan_id == loan_id).order_by(Repayment.id.desc())).scalars().first()
        assert (rep.tendered_fen, rep.amount_fen, rep.principal_fen) == (60_000, 53_280, 53_280)
    # Nothing is due now: a repayment is refused and changes nothing.
    with fresh_bank.unit_of_work() as s:
        before = snapshot(s, loan_id)
    with pytest.raises(DomainError) as err:
        _repay(fresh_bank, loan_id, 1_000)
    assert err.value.code == "nothing_due"
    with fresh_bank.unit_of_work() as s:
        assert snapshot(s, loan_id) == before
    ledger_ok(fresh_bank)


@pytest.mark.parametrize(("order", "expected"), [
    (None, {"penalty": 24, "compound": 2, "interest": 5_984, "principal": 0}),
    (["principal", "interest", "penalty", "compound"], {"penalty": 0, "compound": 0, "interest": 0, "principal": 6_010}),
    (["interest", "principal", "penalty", "compound"], {"penalty": 0, "compound": 0, "interest": 6_000, "principal": 10}),
])
def test_allocation_order_with_penalty_and_compound(fresh_bank, order, expected) -> None:  # type: ignore[no-untyped-def]
    loan_id, acc = _loan(fresh_bank, order=order)
    # Due Feb 5, grace 0, unpaid: overdue on Feb 6 (DPD 1); penalty rate 6% × 1.5 = 9%:
    # penalty round(97,280 × 0.09 / 360 = 24.32) = 24, compound round(6,000 × 0.09 / 360 = 1.5) = 2.
    run_until(fresh_bank, dt.date(2026, 2, 7))
    loan, insts = _state(fresh_bank, loan_id)
    assert loan.dpd == 1 and insts[0].penalty_fen == 24 and insts[0].compound_fen == 2
    assert (loan.penalty_receivable_fen, loan.compound_receivable_fen) == (24, 2)
    with fresh_bank.unit_of_work() as s:
        fund(s, acc, 6_010)
    rid = _repay(fresh_bank, loan_id, 6_010)
    with fresh_bank.unit_of_work() as s:
        rep = s.get(Repayment, rid)
        got = {"penalty": rep.penalty_fen, "compound": rep.compound_fen, "interest": rep.interest_fen,
               "principal": rep.principal_fen}
    assert got == expected
    ledger_ok(fresh_bank)


def _annuity(p: int, n: int, rate: Decimal) -> int:
    r = rate / 12
    g = (1 + r) ** n
    return int((Decimal(p) * r * g / (g - 1)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_prepayment_quote_and_both_options(fresh_bank) -> None:
    loan_id, acc = _loan(fresh_bank, funds=103_280)
    run_until(fresh_bank, dt.date(2026, 2, 15))  # Feb 5 auto-debit paid installment 1
    loan, insts = _state(fresh_bank, loan_id)
    assert insts[0].settled and loan.outstanding_principal_fen == 1_102_720
    # 10 nights Feb 5 .. Feb 14 on 1,102,720: round(183.79) = 184 each.
    assert loan.accrued_interest_fen == 1_840
    with fresh_bank.unit_of_work() as s:
        full = repayments.quote_prepayment(s, actor=system(s), loan_id=loan_id, kind="full")
        assert (full.principal_fen, full.accrued_interest_fen, full.fee_fen, full.total_fen) == (
            1_102_720, 1_840, 0, 1_104_560)
        lower = repayments.quote_prepayment(s, actor=system(s), loan_id=loan_id, kind="partial",
                                            principal_fen=500_000, option="lower_installment")
        shorter = repayments.quote_prepayment(s, actor=system(s), loan_id=loan_id, kind="partial",
                                              principal_fen=500_000, option="shorten_term")
    rate = Decimal(RATE)
    rest = 602_720
    # Lower installment: 11 installments on 602,720; the first one's interest runs from Feb 15 to
    # Mar 5 (18 days, actual/360): round(602,720 × 0.06 × 18 / 360 = 1,808.16) = 1,808.
    m = _annuity(rest, 11, rate)
    first_principal = m - int((Decimal(rest) * rate / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert len(lower.new_installments) == 11
    assert lower.new_installments[0]["principal_fen"] == first_principal
    assert lower.new_installments[0]["interest_fen"] == 1_808
    assert lower.new_installments[0]["due_date"] == "2026-03-05"
    assert sum(x["principal_fen"] for x in lower.new_installments) == rest
    assert lower.total_fen == 500_000 + 1_840
    # Shorten the term: the fewest installments whose amount is not above 103,280.
    n = next(k for k in range(1, 12) if _annuity(rest, k, rate) <= 103_280)
    assert len(shorter.new_installments) == n == 6
    assert shorter.new_installments[-1]["due_date"] == "2026-08-05"
    # Confirm the shorten-term prepayment (cash): schedule regenerated, the rest superseded.
    with fresh_bank.unit_of_work() as s:
        repayments.prepay(s, actor=system(s), loan_id=loan_id, kind="partial", principal_fen=500_000,
                          option="shorten_term", channel="cash", external_id="pp-1",
                          expected_total_fen=shorter.total_fen)
    loan, insts = _state(fresh_bank, loan_id)
    assert [i.principal_fen for i in insts[1:]] == [x["principal_fen"] for x in shorter.new_installments]
    assert loan.outstanding_principal_fen == rest and loan.accrued_interest_fen == 0
    assert loan.maturity_date == dt.date(2026, 8, 5) and loan.period_interest_fen == 1_808
    ledger_ok(fresh_bank)
    # A stale quote is refused and changes nothing.
    with fresh_bank.unit_of_work() as s:
        before = snapshot(s, loan_id)
    with pytest.raises(DomainError):
        with fresh_bank.unit_of_work() as s:
            repayments.prepay(s, actor=system(s), loan_id=loan_id, kind="full", channel="cash", external_id="pp-2",
                              expected_total_fen=full.total_fen)
    with fresh_bank.unit_of_work() as s:
        assert snapshot(s, loan_id) == before
    # Full prepayment at today's quote closes the loan.
    with fresh_bank.unit_of_work() as s:
        q = repayments.quote_prepayment(s, actor=system(s), loan_id=loan_id, kind="full")
        assert q.total_fen == rest
        repayments.prepay(s, actor=system(s), loan_id=loan_id, kind="full", channel="transfer", external_id="pp-3",
                          expected_total_fen=q.total_fen)
    loan, insts = _state(fresh_bank, loan_id)
    assert loan.status == "closed" and loan.outstanding_principal_fen == 0 and loan.interest_receivable_fen == 0
    ledger_ok(fresh_bank)


def test_prepayment_fee(fresh_bank) -> None:
    loan_id, _ = _loan(fresh_bank, fee_rule="percent:0.01:12")
    run_until(fresh_bank, dt.date(2026, 1, 6))
    with fresh_bank.unit_of_work() as s:
        q = repayments.quote_prepayment(s, actor=system(s), loan_id=loan_id, kind="full")
    # One night on 1,200,000 = 200; fee 1% of the principal = 12,000.
    assert (q.accrued_interest_fen, q.fee_fen, q.total_fen) == (200, 12_000, P + 200 + 12_000)


def _approve_reversal(db, rid, reason="柜员录错金额"):  # type: ignore[no-untyped-def]
    from zhanye.workflow import service as workflow

    with db.unit_of_work() as s:
        repayments.request_reversal(s, actor=staff_principal(s, "risk"), repayment_id=rid, reason=reason)
    with db.unit_of_work() as s:
        risk1 = staff_principal(s, "risk1")
        tasks, _ = workflow.inbox(s, risk1, process_key=repayments.REVERSAL_PROCESS)
        task = next(t for t, inst, _ in tasks if inst.subject_id == str(rid))
        workflow.act(s, risk1, task_id=task.id, action="approve", comment="同意冲正")


def test_reversal_restores_schedule_and_ledger(fresh_bank) -> None:
    loan_id, acc = _loan(fresh_bank)
    run_until(fresh_bank, dt.date(2026, 2, 7))
    with fresh_bank.unit_of_work() as s:
        fund(s, acc, 120_000)
        before = snapshot(s, loan_id)
        bal_before = balance(s, acc)
    rid = _repay(fresh_bank, loan_id, 110_000)
    loan, insts = _state(fresh_bank, loan_id)
    assert insts[0].settled and insts[0].penalty_paid_fen == 24
    # Reversal needs approval: while pending nothing changes on the loan.
    _approve_reversal(fresh_bank, rid)
    with fresh_bank.unit_of_work() as s:
        after = snapshot(s, loan_id)
        rep = s.get(Repayment, rid)
        assert rep.status == "reversed" and rep.reversal_entry_id is not None
        assert balance(s, acc) == bal_before
    assert after["loan"] == before["loan"]
    assert after["installments"] == before["installments"]
    ledger_ok(fresh_bank)


def test_reversal_of_prepayment_restores_replaced_installments(fresh_bank) -> None:
    loan_id, acc = _loan(fresh_bank, funds=103_280)
    run_until(fresh_bank, dt.date(2026, 2, 15))
    with fresh_bank.unit_of_work() as s:
        before = snapshot(s, loan_id)
        rep = repayments.prepay(s, actor=system(s), loan_id=loan_id, kind="partial", principal_fen=300_000,
                                option="lower_installment", channel="cash", external_id="pp-r")
        rid = rep.id
    _approve_reversal(fresh_bank, rid)
    with fresh_bank.unit_of_work() as s:
        after = snapshot(s, loan_id)
    assert after["loan"] == before["loan"]
    assert after["installments"] == before["installments"]
    ledger_ok(fresh_bank)


def test_reversal_refused_for_older_repayment(fresh_bank) -> None:
    loan_id, acc = _loan(fresh_bank)
    run_until(fresh_bank, dt.date(2026, 2, 5))
    with fresh_bank.unit_of_work() as s:
        fund(s, acc, 20_000)
    first = _repay(fresh_bank, loan_id, 10_000)
    _repay(fresh_bank, loan_id, 10_000)
    with fresh_bank.unit_of_work() as s:
        before = snapshot(s, loan_id)
    with pytest.raises(DomainError) as err:
        with fresh_bank.unit_of_work() as s:
            repayments.request_reversal(s, actor=staff_principal(s, "risk"), repayment_id=first, reason="错")
    assert err.value.code == "reversal_refused"
    with fresh_bank.unit_of_work() as s:
        assert snapshot(s, loan_id) == before


def test_idempotent_repayment_and_open_loan(fresh_bank) -> None:
    loan_id, acc = _loan(fresh_bank)
    run_until(fresh_bank, dt.date(2026, 2, 5))
    with fresh_bank.unit_of_work() as s:
        fund(s, acc, 10_000)
    a = _repay(fresh_bank, loan_id, 5_000, key="same-key")
    b = _repay(fresh_bank, loan_id, 5_000, key="same-key")
    assert a == b
    with fresh_bank.unit_of_work() as s:
        assert balance(s, acc) == 5_000
    with pytest.raises(DomainError) as err:
        _repay(fresh_bank, loan_id, 4_000, key="same-key")
    assert err.value.status == 409
