"""A rejected entrusted payment (受托支付失败): the disbursement is undone by a reversal entry
pointing at the original, the loan is cancelled, the line gets its limit back, the borrower's
e-account never sees the money, and the ledger check passes."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from tests.integration.origination.helpers import principal, snapshot
from tests.integration.origination.test_lines_drawdowns import draw, granted_line
from zhanye.ledger.check import check_ledger
from zhanye.ledger.models import JournalEntry
from zhanye.lending.origination import service
from zhanye.lending.servicing import accounting
from zhanye.lending.servicing.models import Installment, Loan


def rejected_card() -> str:
    """A Luhn-valid card ending 4444: the sandbox accepts the transfer and then rejects it."""
    from stdnum import luhn

    while True:
        body = f"622202{uuid.uuid4().int % 10**9:09d}444"
        if luhn.calc_check_digit(body) == "4":
            return body + "4"


def _confirm(db, drawdown_id: int):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return service.drawdown_out(service.confirm_payment(s, actor=principal(s, "manager1"),
                                                            drawdown_id=drawdown_id))


def test_rejected_payment_undoes_the_disbursement(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
    out = draw(demo_db, cust["line_id"], 12_000_000, f"ef-{cust['line_id']}", payee_name="长春农资有限公司",
               payee_account=rejected_card())
    assert out["clearing_status"] == "submitted"
    done = _confirm(demo_db, out["id"])
    assert done["clearing_status"] == "returned"
    with demo_db.unit_of_work(write=False) as s:
        after = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
        assert after["balance"] == before["balance"], "the borrower's e-account never holds the money"
        assert after["gl_1131"] == before["gl_1131"], "clearing in transit is back where it was"
        assert after["line"][3:] == before["line"][3:], "used and drawn total are back"
        loan = s.get(Loan, out["loan_id"])
        assert loan.status == "cancelled" and loan.outstanding_principal_fen == 0
        assert loan.interest_receivable_fen == 0 and loan.period_due_day is None
        assert not s.execute(select(func.count()).select_from(Installment).where(
            Installment.loan_id == loan.id, Installment.superseded.is_(False))).scalar_one()
        rev = s.execute(select(JournalEntry).where(JournalEntry.reversal_of_id == loan.disbursement_entry_id)).scalar_one()
        assert rev.total_fen == 12_000_000
        res = check_ledger(s)
        assert res.ok, res.breaches
        assert accounting.reconcile(s) == []
        line = service.get_line(s, actor=principal(s, "manager1"), line_id=cust["line_id"])
        assert line.available_fen == 20_000_000
    # confirming again changes nothing
    with demo_db.unit_of_work(write=False) as s:
        again_before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
    assert _confirm(demo_db, out["id"])["clearing_status"] == "returned"
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"]) == again_before
    # the whole limit can be drawn again
    assert draw(demo_db, cust["line_id"], 20_000_000, f"ef2-{cust['line_id']}", payee_name="长春农资有限公司",
                payee_account="6222020000000015")["amount_fen"] == 20_000_000


def test_a_repaid_loan_is_not_undone_and_nothing_changes(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.lending.servicing import repayments

    cust = granted_line(demo_db)
    out = draw(demo_db, cust["line_id"], 12_000_000, f"efr-{cust['line_id']}", payee_name="长春农资有限公司",
               payee_account=rejected_card())
    with demo_db.unit_of_work() as s:
        repayments.prepay(s, actor=principal(s, "manager1"), loan_id=out["loan_id"], kind="partial", channel="cash",
                          external_id=f"efr-pp-{out['id']}", principal_fen=1_000_000, option="lower_installment")
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
        loan_before = s.get(Loan, out["loan_id"]).outstanding_principal_fen
    assert _confirm(demo_db, out["id"])["clearing_status"] == "failed"
    with demo_db.unit_of_work(write=False) as s:
        after = snapshot(s, line_id=cust["line_id"], account_id=cust["account_id"])
        assert after == before
        loan = s.get(Loan, out["loan_id"])
        assert loan.status == "active" and loan.outstanding_principal_fen == loan_before
        assert check_ledger(s).ok
