"""Cancelling a disbursement whose entrusted payment came back: the disbursement reversed by a
reversal entry, accrued interest taken back out of income, the loan never accrues again."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.servicing.helpers import (
    ledger_ok,
    make_product,
    open_test_loan,
    run_eod,
    snapshot,
    system,
)
from zhanye.lending.servicing import repayments
from zhanye.lending.servicing.cancellation import LoanNotCancellable, cancel_disbursement
from zhanye.lending.servicing.models import Loan


def gl_net(s, code: str) -> int:  # type: ignore[no-untyped-def]
    return int(s.execute(text(
        "SELECT coalesce(sum(l.debit_fen - l.credit_fen), 0) FROM ledger_line l "
        "JOIN ledger_gl_account g ON g.id = l.gl_account_id WHERE g.code = :c"), {"c": code}).scalar_one())


def test_cancel_after_accrual_takes_the_interest_back(fresh_bank) -> None:  # type: ignore[no-untyped-def]
    with fresh_bank.unit_of_work() as s:
        before = {c: gl_net(s, c) for c in ("1131", "6011", "1301", "1321")}
        loan_id = open_test_loan(s, product_id=make_product(s), principal=1_200_000).id
    run_eod(fresh_bank, 3)
    with fresh_bank.unit_of_work() as s:
        loan = s.get(Loan, loan_id)
        accrued = loan.interest_receivable_fen
        assert accrued > 0 and gl_net(s, "6011") == before["6011"] - accrued
        cancel_disbursement(s, actor=system(s), loan_id=loan_id, reason="受托支付退回")
    with fresh_bank.unit_of_work(write=False) as s:
        assert {c: gl_net(s, c) for c in before} == before
        loan = s.get(Loan, loan_id)
        assert (loan.status, loan.outstanding_principal_fen, loan.interest_receivable_fen) == ("cancelled", 0, 0)
    ledger_ok(fresh_bank)
    run_eod(fresh_bank, 2)  # a cancelled loan is never accrued, debited or classified again
    with fresh_bank.unit_of_work(write=False) as s:
        assert {c: gl_net(s, c) for c in before} == before
        assert s.get(Loan, loan_id).status == "cancelled"
    ledger_ok(fresh_bank)


def test_cancel_is_refused_after_a_repayment_and_changes_nothing(fresh_bank) -> None:  # type: ignore[no-untyped-def]
    with fresh_bank.unit_of_work() as s:
        loan = open_test_loan(s, product_id=make_product(s), principal=1_200_000, funds=2_000_000)
        repayments.prepay(s, actor=system(s), loan_id=loan.id, kind="partial", channel="eaccount",
                          external_id=f"cx-{loan.id}", principal_fen=100_000, option="lower_installment")
        loan_id = loan.id
    with fresh_bank.unit_of_work(write=False) as s:
        before = snapshot(s, loan_id)
    with pytest.raises(LoanNotCancellable), fresh_bank.unit_of_work() as s:
        cancel_disbursement(s, actor=system(s), loan_id=loan_id, reason="x")
    with fresh_bank.unit_of_work(write=False) as s:
        assert snapshot(s, loan_id) == before
