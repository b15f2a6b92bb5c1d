"""Non-accrual of non-performing loans and the manual five-category classification.

Invariant checked everywhere: interest in suspense (GL 1441, credit) equals the interest, penalty
and compound receivable of the non-performing loans; income never grows while a loan is
non-performing, and what it pays of its receivables becomes income when collected."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.servicing.helpers import (
    ledger_ok,
    make_product,
    open_test_loan,
    run_eod,
    snapshot,
    staff_principal,
    system,
)
from zhanye.core.errors import ValidationFailed
from zhanye.lending.servicing import repayments
from zhanye.lending.servicing.classification import (
    BELOW_DPD_KEY,
    ClassificationRefused,
    change_classification,
)
from zhanye.lending.servicing.models import ClassificationChange, Loan


def gl_net(s, code: str) -> int:  # type: ignore[no-untyped-def]
    return int(s.execute(text(
        "SELECT coalesce(sum(l.debit_fen - l.credit_fen), 0) FROM ledger_line l "
        "JOIN ledger_gl_account g ON g.id = l.gl_account_id WHERE g.code = :c"), {"c": code}).scalar_one())


def npl_receivable(s) -> int:  # type: ignore[no-untyped-def]
    return int(s.execute(text(
        "SELECT coalesce(sum(interest_receivable_fen + penalty_receivable_fen + compound_receivable_fen), 0) "
        "FROM servicing_loan WHERE cls >= 2")).scalar_one())


def assert_suspense(db) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        assert -gl_net(s, "1441") == npl_receivable(s)
    ledger_ok(db)


def test_a_non_performing_loan_accrues_into_suspense_and_collection_is_income(fresh_bank) -> None:  # type: ignore[no-untyped-def]
    with fresh_bank.unit_of_work() as s:
        loan = open_test_loan(s, product_id=make_product(s), principal=1_200_000, funds=2_000_000)
        loan_id, repay_acc = loan.id, loan.repay_account_id
    run_eod(fresh_bank, 3)  # performing: income
    with fresh_bank.unit_of_work() as s:
        accrued = s.get(Loan, loan_id).interest_receivable_fen
        assert accrued > 0 and gl_net(s, "6011") == -accrued
        change_classification(s, actor=staff_principal(s, "risk"), loan_id=loan_id, to_cls="substandard",
                              reason="借款人经营停滞，风险暴露")
    with fresh_bank.unit_of_work(write=False) as s:
        # the income already recognised goes back into suspense
        assert gl_net(s, "6011") == 0 and -gl_net(s, "1441") == accrued
        assert s.get(Loan, loan_id).cls == 2
    assert_suspense(fresh_bank)
    run_eod(fresh_bank, 5)  # non-performing: suspense only, income untouched
    with fresh_bank.unit_of_work(write=False) as s:
        loan = s.get(Loan, loan_id)
        assert loan.cls == 2, "never upgraded automatically"
        assert loan.interest_receivable_fen > accrued
        assert gl_net(s, "6011") == 0
        assert -gl_net(s, "1441") == loan.interest_receivable_fen
    assert_suspense(fresh_bank)
    with fresh_bank.unit_of_work() as s:
        rep = repayments.prepay(s, actor=system(s), loan_id=loan_id, kind="full", channel="eaccount",
                                account_id=repay_acc, external_id=f"na-full-{loan_id}")
        rep_id, interest_paid = rep.id, rep.interest_fen
    with fresh_bank.unit_of_work(write=False) as s:
        assert s.get(Loan, loan_id).status == "closed"
        assert gl_net(s, "6011") == -interest_paid and gl_net(s, "1441") == 0, "collected: income, cash basis"
    assert_suspense(fresh_bank)
    with fresh_bank.unit_of_work() as s:  # the reversal puts it back into suspense
        repayments.reverse_repayment(s, actor=system(s), repayment_id=rep_id)
    with fresh_bank.unit_of_work(write=False) as s:
        assert gl_net(s, "6011") == 0
    assert_suspense(fresh_bank)


def test_eod_move_to_non_performing_takes_income_into_suspense(fresh_bank) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core.models import KernelSetting
    from zhanye.lending.servicing.eod import THRESHOLDS_KEY

    with fresh_bank.unit_of_work() as s:
        s.merge(KernelSetting(key=THRESHOLDS_KEY, value="0,1,2,3"))  # 次级 from the 2nd overdue day
        loan_id = open_test_loan(s, product_id=make_product(s), principal=600_000, months=1,
                                 method="interest_first").id
    run_eod(fresh_bank, 36)  # due after ~1 month, then a few days overdue, penalty and compound
    with fresh_bank.unit_of_work(write=False) as s:
        loan = s.get(Loan, loan_id)
        assert loan.dpd >= 3 and loan.cls >= 2 and loan.penalty_receivable_fen > 0
        assert s.execute(text("SELECT count(*) FROM servicing_classification WHERE loan_id = :i AND to_cls >= 2"),
                         {"i": loan_id}).scalar_one() >= 1
    assert_suspense(fresh_bank)


def test_manual_classification_rules_and_refusals_change_nothing(fresh_bank) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core.models import KernelSetting

    with fresh_bank.unit_of_work() as s:
        loan_id = open_test_loan(s, product_id=make_product(s), principal=1_200_000).id
    with fresh_bank.unit_of_work() as s:
        s.execute(text("UPDATE servicing_loan SET dpd = 100, cls = 2, cls_day = 1 WHERE id = :i"), {"i": loan_id})
        # keep the pools in line with the forced class (principal:0 -> principal:2)
        from zhanye.ledger import service as ledger
        from zhanye.lending.servicing import accounting

        loan = s.get(Loan, loan_id)
        pools = accounting.pools(s, loan.institution_id)
        ledger.post_entry(s, actor=system(s), institution_id=loan.institution_id,
                          lines=accounting.signed_pair(loan.outstanding_principal_fen, debit_account=pools["principal:2"],
                                                       credit_account=pools["principal:0"]),
                          source_type="test.cls", source_id=str(loan_id))
    risk = None
    with fresh_bank.unit_of_work(write=False) as s:
        risk = staff_principal(s, "risk")
        before = snapshot(s, loan_id)
    refusals = [({"to_cls": "special_mention", "reason": "还款意愿良好"}, ClassificationRefused),  # better than DPD 100
                ({"to_cls": "substandard", "reason": "同级"}, ClassificationRefused),
                ({"to_cls": "doubtful", "reason": " "}, ValidationFailed),
                ({"to_cls": "excellent", "reason": "x"}, ValidationFailed)]
    for kw, exc in refusals:
        with pytest.raises(exc), fresh_bank.unit_of_work() as s:
            change_classification(s, actor=risk, loan_id=loan_id, **kw)
    with fresh_bank.unit_of_work(write=False) as s:
        assert snapshot(s, loan_id) == before
    with fresh_bank.unit_of_work() as s:
        ch = change_classification(s, actor=risk, loan_id=loan_id, to_cls="doubtful", reason="抵押物价值大幅下降")
        assert (ch.from_cls, ch.to_cls, ch.source) == (2, 3, "manual") and "risk" in ch.note
        assert s.get(Loan, loan_id).cls_floor == 3
        s.merge(KernelSetting(key=BELOW_DPD_KEY, value="true"))
    with fresh_bank.unit_of_work() as s:  # the bank allows overriding the DPD floor: back to performing
        change_classification(s, actor=risk, loan_id=loan_id, to_cls=1, reason="风险委员会认定")
        assert s.get(Loan, loan_id).cls == 1
        assert s.execute(text("SELECT count(*) FROM kernel_audit WHERE action = 'loan.classification.manual' "
                              "AND object_id = :i"), {"i": str(loan_id)}).scalar_one() == 2
        assert len(s.query(ClassificationChange).filter_by(loan_id=loan_id, source="manual").all()) == 2
    ledger_ok(fresh_bank)
    assert_suspense(fresh_bank)
