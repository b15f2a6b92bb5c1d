"""A failed entrusted payment (受托支付失败): the payee's bank rejected the transfer, so the money
is back in clearing. The borrower's e-account never held it and must not now either: the
disbursement itself is undone — servicing reverses the disbursement entry (a ledger reversal
entry pointing at the original) and cancels the loan — the line gets its limit back (the
drawdown never happened, revolving or not), a village campaign's drawn figures of the household
drop by the amount, and the drawdown says ``returned``. All in the caller's transaction.

When the loan can no longer be cancelled (already repaid or reclassified, see
``servicing.cancellation``) the drawdown stays ``failed`` for the back office and nothing else
changes."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.db import lock_for_update
from zhanye.lending.origination.models import CreditLine, Drawdown


def payment_failed(session: Session, *, actor: Principal, dd: Drawdown, reason: str) -> Drawdown:
    from zhanye.lending.servicing.cancellation import LoanNotCancellable, cancel_disbursement

    line = session.execute(lock_for_update(select(CreditLine).where(CreditLine.id == dd.line_id),
                                           session)).scalar_one()
    note = f"受托支付失败 {dd.number}：{reason}"[:200]
    try:
        loan = cancel_disbursement(session, actor=actor, loan_id=dd.loan_id, reason=note) if dd.loan_id else None
    except LoanNotCancellable as exc:
        dd.clearing_status = "failed"
        session.flush()
        audit.record(session, action="drawdown.payment_failed", object_type="drawdown", object_id=dd.id, actor=actor,
                     changes={"ref": dd.clearing_ref, "reason": reason, "returned": False, "why": exc.detail_en})
        return dd
    used_from = line.used_fen
    line.used_fen -= dd.amount_fen
    line.drawn_total_fen -= dd.amount_fen
    dd.clearing_status = "returned"
    if line.household_id:  # the campaign's drawn figures count only money that reached the payee
        from zhanye.villages import service as villages

        villages.unmark_drawn(session, actor=actor, household_id=line.household_id, amount_fen=dd.amount_fen,
                              campaign_id=line.campaign_id)
    session.flush()
    audit.record(session, action="drawdown.payment_returned", object_type="drawdown", object_id=dd.id, actor=actor,
                 changes={"ref": dd.clearing_ref, "reason": reason, "loan_id": dd.loan_id,
                          "loan_status": loan.status if loan else None, "line_used_from": used_from,
                          "line_used_to": line.used_fen})
    return dd
