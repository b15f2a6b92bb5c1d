"""The customer's e-accounts and loans online: balances, a top-up from the bound card, the loan's
schedule and what is due, and a repayment from the customer's own e-account. Every object is
fetched through its feature's service and narrowed to the acting customer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import NotFound
from zhanye.core.money import format_yuan
from zhanye.deposits import service as deposits
from zhanye.lending.schedules import METHOD_NAMES_ZH
from zhanye.lending.servicing import repayments
from zhanye.lending.servicing import service as servicing
from zhanye.online.service import customer_id_of

STATUS_NAMES = {"active": ("还款中", "Repaying"), "closed": ("已结清", "Paid off")}


def _yuan(fen: int) -> str:
    return format_yuan(fen)


# --- e-accounts ------------------------------------------------------------------------------------

def list_eaccounts(session: Session, *, actor: Principal) -> list[dict[str, Any]]:
    out = []
    for ea, acc in deposits.list_eaccounts(session, actor, customer_id=customer_id_of(actor), limit=20):
        out.append({"id": acc.id, "number": acc.number, "eclass": ea.eclass, "status": acc.status,
                    "balance_fen": acc.balance_fen, "balance_yuan": _yuan(acc.balance_fen),
                    "available_fen": acc.available_fen, "available_yuan": _yuan(acc.available_fen),
                    "bound_card": ea.bound_card_masked, "bound_bank": ea.bound_bank})
    return out


def own_eaccount(session: Session, actor: Principal, account_id: int) -> Any:
    ea, _acc = deposits.get_eaccount(session, actor, account_id)
    if ea.customer_id != customer_id_of(actor):
        raise NotFound("电子账户不存在", "The e-account does not exist")
    return ea


def start_topup(session: Session, *, actor: Principal, account_id: int, amount_fen: int, key: str) -> int:
    """Move money in from the bound card; credited now, held until the card's bank confirms."""
    own_eaccount(session, actor, account_id)
    order = deposits.start_clearing(session, actor=actor, account_id=account_id, direction="in",
                                    amount_fen=amount_fen, order_key=f"online:{customer_id_of(actor)}:{key}")
    return int(order.id)


def finish_topup(session: Session, *, actor: Principal, order_id: int) -> dict[str, Any]:
    order = deposits.get_order(session, actor, order_id)
    own_eaccount(session, actor, order.eaccount_id)
    order = deposits.finish_clearing(session, actor=actor, order_id=order_id)
    return {"order_id": order.id, "account_id": order.eaccount_id, "amount_fen": order.amount_fen,
            "amount_yuan": _yuan(order.amount_fen), "status": order.status, "failure_reason": order.failure_reason}


# --- loans -----------------------------------------------------------------------------------------

def list_loans(session: Session, *, actor: Principal) -> list[Any]:
    rows, _ = servicing.list_loans(session, actor=actor, customer_id=customer_id_of(actor), limit=50)
    return rows


def get_loan(session: Session, *, actor: Principal, loan_id: int) -> Any:
    loan = servicing.get_loan(session, actor=actor, loan_id=loan_id)
    if loan.customer_id != customer_id_of(actor):
        raise NotFound("贷款不存在", "The loan does not exist")
    return loan


def loan_view(session: Session, loan: Any, *, with_schedule: bool = False) -> dict[str, Any]:
    today = get_business_date(session)
    due = servicing.overdue_amounts(session, loan, today)
    due_total = sum(due.values())
    insts = servicing.installments(session, loan.id)
    upcoming = next((i for i in insts if not i.settled and i.due_date > today), None)
    zh, en = STATUS_NAMES.get(loan.status, (loan.status, loan.status))
    view: dict[str, Any] = {
        "id": loan.id, "loan_no": loan.loan_no, "product_code": loan.product_code, "status": loan.status,
        "status_name": zh, "status_name_en": en, "principal_fen": loan.principal_fen,
        "principal_yuan": _yuan(loan.principal_fen), "outstanding_principal_fen": loan.outstanding_principal_fen,
        "outstanding_principal_yuan": _yuan(loan.outstanding_principal_fen),
        "annual_rate": f"{(Decimal(loan.annual_rate) * 100).quantize(Decimal('0.01'))}%",
        "method": loan.method, "method_name": METHOD_NAMES_ZH.get(loan.method, loan.method),
        "term_months": loan.term_months, "start_date": loan.start_date, "maturity_date": loan.maturity_date,
        "days_past_due": loan.dpd, "due_now": {k: v for k, v in due.items()}, "due_now_fen": due_total,
        "due_now_yuan": _yuan(due_total),
        "next_installment": {"due_date": upcoming.due_date,
                             "amount_fen": upcoming.principal_fen + upcoming.interest_fen
                             - upcoming.principal_paid_fen - upcoming.interest_paid_fen,
                             "amount_yuan": _yuan(upcoming.principal_fen + upcoming.interest_fen
                                                  - upcoming.principal_paid_fen - upcoming.interest_paid_fen)}
        if upcoming else None,
    }
    if with_schedule:
        view["schedule"] = [{"number": i.number, "due_date": i.due_date, "principal_fen": i.principal_fen,
                             "interest_fen": i.interest_fen, "total_yuan": _yuan(i.principal_fen + i.interest_fen),
                             "paid_fen": i.principal_paid_fen + i.interest_paid_fen + i.penalty_paid_fen
                             + i.compound_paid_fen, "settled": i.settled,
                             "overdue": not i.settled and i.due_date < today} for i in insts]
    return view


def repay(session: Session, *, actor: Principal, loan_id: int, amount_fen: int, key: str) -> dict[str, Any]:
    """Repay what is due from the loan's repayment e-account (the customer's own); only the applied
    amount leaves the e-account."""
    loan = get_loan(session, actor=actor, loan_id=loan_id)
    rep = repayments.repay(session, actor=actor, loan_id=loan.id, amount_fen=amount_fen, channel="eaccount",
                           external_id=f"online:{customer_id_of(actor)}:{key}")
    return {"repayment_id": rep.id, "loan_id": rep.loan_id, "applied_fen": rep.amount_fen,
            "applied_yuan": _yuan(rep.amount_fen), "principal_fen": rep.principal_fen, "interest_fen": rep.interest_fen,
            "penalty_fen": rep.penalty_fen, "compound_fen": rep.compound_fen, "business_date": rep.business_date}


def quote_prepayment(session: Session, *, actor: Principal, loan_id: int, kind: str, principal_fen: int | None = None,
                     option: str | None = None) -> dict[str, Any]:
    """What an early repayment costs today (提前还款试算): what is due, interest to date, principal
    and the fee; for a partial one the new installments."""
    loan = get_loan(session, actor=actor, loan_id=loan_id)
    quote = repayments.quote_prepayment(session, actor=actor, loan_id=loan.id, kind=kind, principal_fen=principal_fen,
                                        option=option).as_dict()
    quote["total_yuan"] = _yuan(quote["total_fen"])
    return quote


def prepay(session: Session, *, actor: Principal, loan_id: int, kind: str, key: str, expected_total_fen: int,
           principal_fen: int | None = None, option: str | None = None) -> dict[str, Any]:
    """Repay early from the customer's e-account at the quoted total (a stale quote is refused)."""
    loan = get_loan(session, actor=actor, loan_id=loan_id)
    rep = repayments.prepay(session, actor=actor, loan_id=loan.id, kind=kind, channel="eaccount",
                            external_id=f"online:{customer_id_of(actor)}:{key}", principal_fen=principal_fen,
                            option=option, expected_total_fen=expected_total_fen)
    return {"repayment_id": rep.id, "loan_id": rep.loan_id, "kind": kind, "applied_fen": rep.amount_fen,
            "applied_yuan": _yuan(rep.amount_fen), "principal_fen": rep.principal_fen, "interest_fen": rep.interest_fen,
            "fee_fen": rep.fee_fen, "business_date": rep.business_date}
