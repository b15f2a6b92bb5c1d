"""Cancellation of a disbursement that never reached its payee (受托支付退回).

When the clearing provider rejects the entrusted payment, the money comes back from clearing: the
disbursement entry is reversed by a ledger reversal entry pointing at it (debit clearing in
transit, credit loans receivable), interest, penalty and compound interest accrued since are
taken back out of income, the schedule is withdrawn and the loan is ``cancelled`` (nothing owed,
never accrued again). One call, in the caller's transaction.

Refused (``LoanNotCancellable``, nothing changed) once the loan has a posted repayment or has
been reclassified: the borrower is then in a relationship with the bank that a back-office
reversal has to unwind first.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import InvalidTransition
from zhanye.ledger import service as ledger
from zhanye.lending.servicing import accounting
from zhanye.lending.servicing.models import Inspection, Installment, Loan, Repayment
from zhanye.lending.servicing.service import add_txn, get_loan


class LoanNotCancellable(InvalidTransition):
    code = "loan_not_cancellable"


def cancel_disbursement(session: Session, *, actor: Principal, loan_id: int, reason: str) -> Loan:
    loan = get_loan(session, actor=actor, loan_id=loan_id, lock=True)
    if loan.status != "active" or loan.disbursement_entry_id is None:
        raise LoanNotCancellable("贷款不是可撤销的放款状态", "The loan is not in a state whose disbursement can be cancelled",
                                 status=loan.status)
    repaid = session.execute(select(Repayment.id).where(Repayment.loan_id == loan.id,
                                                        Repayment.status != "reversed").limit(1)).first()
    if repaid is not None or loan.cls != 0 or loan.outstanding_principal_fen != loan.principal_fen:
        raise LoanNotCancellable("贷款已有还款或已调整分类，须先冲正后再撤销放款",
                                 "The loan has repayments or was reclassified; reverse them before cancelling")
    bdate = get_business_date(session)
    entry = ledger.reverse_entry(session, actor=actor, entry_id=loan.disbursement_entry_id, reason=reason[:100],
                                 external_id=f"servicing:cancel:{loan.external_id}")
    taken = {"interest": loan.interest_receivable_fen, "penalty": loan.penalty_receivable_fen,
             "compound": loan.compound_receivable_fen}
    pools = accounting.pools(session, loan.institution_id)
    legs: list[ledger.Leg] = []
    income = {"interest": accounting.INTEREST_INCOME_GL, "penalty": accounting.PENALTY_INCOME_GL,
              "compound": accounting.PENALTY_INCOME_GL}
    for comp, amount in taken.items():
        legs += accounting.signed_pair(amount, debit_gl=income[comp], credit_account=pools[comp], memo=loan.loan_no)
    if legs:
        ledger.post_entry(session, actor=actor, institution_id=loan.institution_id,
                          lines=accounting.merge_legs(legs), source_type="loan.cancellation", source_id=loan.loan_no,
                          description=f"撤销放款冲回计提 {loan.loan_no}",
                          external_id=f"servicing:cancel-accrual:{loan.external_id}")
    principal = loan.outstanding_principal_fen
    loan.outstanding_principal_fen = loan.accrual_base_fen = 0
    loan.interest_receivable_fen = loan.penalty_receivable_fen = loan.compound_receivable_fen = 0
    loan.accrued_interest_fen = loan.dpd = 0
    loan.period_due_day = loan.oldest_unpaid_day = loan.overdue_start_day = None
    loan.status, loan.closed_on = "cancelled", bdate
    session.execute(update(Installment).where(Installment.loan_id == loan.id, Installment.superseded.is_(False))
                    .values(superseded=True))
    session.execute(update(Inspection).where(Inspection.loan_id == loan.id, Inspection.status.in_(("scheduled", "late")))
                    .values(status="cancelled"))
    add_txn(session, loan, bdate, "cancellation", principal=-principal, interest=-taken["interest"],
            penalty=-taken["penalty"], compound=-taken["compound"], memo=f"撤销放款：{reason}")
    session.flush()
    audit.record(session, action="loan.cancel_disbursement", object_type="loan", object_id=loan.id, actor=actor,
                 changes={"reason": reason, "reversal_entry_id": entry.id, "principal_fen": principal,
                          "accrual_taken_back": taken})
    return loan
