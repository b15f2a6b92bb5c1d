"""Term deposits: purchase from a class II e-account, early withdrawal (full, or one partial),
with interest at the demand rate for the withdrawn part; maturity is handled by the EOD step."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.money import Rounding, format_yuan, interest_fen
from zhanye.deposits.errors import DepositRuleViolation
from zhanye.deposits.models import INSTRUCTIONS, EAccount, TermDeposit
from zhanye.deposits.products import add_months, demand_rate, get_product, quote
from zhanye.ledger import service as ledger
from zhanye.ledger.models import Account
from zhanye.ledger.service import sees

INTEREST_EXPENSE_GL = "6411"


def _gl_for(kind: str) -> str:
    return "2014" if kind == "cd" else "2013"


def get_term(session: Session, actor: Principal, deposit_id: int) -> TermDeposit:
    d = session.get(TermDeposit, deposit_id)
    if d is None or not sees(actor, d.institution_id):
        raise NotFound("定期存款不存在", "The term deposit does not exist")
    return d


def list_terms(session: Session, actor: Principal, *, eaccount_id: int | None = None,
               customer_id: int | None = None, limit: int = 100) -> list[TermDeposit]:
    stmt = select(TermDeposit).where(TermDeposit.institution_id.in_(sorted(actor.scope_ids)))
    if eaccount_id is not None:
        stmt = stmt.where(TermDeposit.eaccount_id == eaccount_id)
    if customer_id is not None:
        stmt = stmt.where(TermDeposit.customer_id == customer_id)
    return list(session.execute(stmt.order_by(TermDeposit.id.desc()).limit(limit)).scalars())


def check_purchase(session: Session, product_id: int, amount_fen: int) -> None:
    p = get_product(session, product_id)
    ledger.check_amount(amount_fen)
    if p.kind == "demand" or not p.active:
        raise DepositRuleViolation("该产品不可购买", "The product cannot be bought")
    if amount_fen < p.min_amount_fen:
        raise DepositRuleViolation(f"起存金额 {format_yuan(p.min_amount_fen)}",
                                   f"The minimum amount is {format_yuan(p.min_amount_fen)}")
    if (amount_fen - p.min_amount_fen) % p.increment_fen:
        raise DepositRuleViolation(f"须按 {format_yuan(p.increment_fen)} 递增",
                                   f"The amount must grow in steps of {format_yuan(p.increment_fen)}")


def purchase(session: Session, *, actor: Principal, eaccount_id: int, product_id: int, amount_fen: int,
             instruction: str | None = None, external_id: str | None = None) -> TermDeposit:
    check_purchase(session, product_id, amount_fen)
    p = get_product(session, product_id)
    instruction = instruction or p.default_instruction
    if instruction not in INSTRUCTIONS:
        raise ValidationFailed.field(["instruction"], "到期处理方式无效", "Unknown maturity instruction")
    ea = session.get(EAccount, eaccount_id)
    if ea is None or not sees(actor, ea.institution_id):
        raise NotFound("电子账户不存在", "The e-account does not exist")
    if ea.eclass != "II":
        raise DepositRuleViolation("III 类户不能购买定期存款", "A class III e-account cannot buy term deposits")
    bdate = get_business_date(session)
    ledger.lock_accounts(session, [eaccount_id])
    term_acc = ledger.open_account(session, actor=actor, institution_id=ea.institution_id, kind="term",
                                   gl_code=_gl_for(p.kind), customer_id=ea.customer_id, name=p.name,
                                   business_date=bdate)
    ledger.transfer(session, actor=actor, from_account_id=eaccount_id, to_account_id=term_acc.id,
                    amount_fen=amount_fen, description=f"购买{p.name}", source_type="deposit.purchase",
                    source_id=str(term_acc.id), external_id=external_id, business_date=bdate)
    q = quote(p, amount_fen, bdate)
    d = TermDeposit(account_id=term_acc.id, eaccount_id=eaccount_id, institution_id=ea.institution_id,
                    customer_id=ea.customer_id, product_id=p.id, principal_fen=amount_fen, annual_rate=p.annual_rate,
                    start_date=bdate, maturity_date=q["maturity_date"], instruction=instruction, status="active")
    session.add(d)
    session.flush()
    audit.record(session, action="deposit.term.purchase", object_type="deposit_term", object_id=d.id,
                 changes={"product": p.code, "amount_fen": amount_fen, "rate": str(p.annual_rate),
                          "maturity": d.maturity_date}, actor=actor)
    return d


def check_withdrawal(session: Session, d: TermDeposit, amount_fen: int | None) -> bool:
    """Refuse an early withdrawal the rules do not allow; True when it takes all of the deposit."""
    if d.status != "active":
        raise InvalidTransition("存款已支取", "The deposit is already closed")
    p = get_product(session, d.product_id)
    if not p.early_withdrawal:
        raise DepositRuleViolation("该产品不允许提前支取", "The product does not allow early withdrawal")
    if amount_fen is None or amount_fen == d.principal_fen:
        return True
    ledger.check_amount(amount_fen)
    if d.partial_done:
        raise DepositRuleViolation("只允许一次部分提前支取", "Only one partial early withdrawal is allowed")
    if amount_fen > d.principal_fen:
        raise DepositRuleViolation("支取金额超过本金", "The amount is more than the principal")
    if d.principal_fen - amount_fen < p.min_amount_fen:
        raise DepositRuleViolation(f"剩余本金不得低于起存金额 {format_yuan(p.min_amount_fen)}",
                                   f"The rest must stay at least {format_yuan(p.min_amount_fen)}")
    return False


def quote_withdrawal(session: Session, d: TermDeposit, amount_fen: int | None, on: dt.date) -> dict[str, object]:
    """试算 of an early withdrawal (refused as the withdrawal would be): the withdrawn part earns
    the demand rate for the days held."""
    amount = d.principal_fen if check_withdrawal(session, d, amount_fen) else amount_fen
    assert amount is not None
    days = (on - d.start_date).days
    rate = demand_rate(session)
    interest = interest_fen(amount, rate, days, Rounding.HALF_UP)
    return {"amount_fen": amount, "days": days, "demand_rate": rate, "interest_fen": interest,
            "remaining_fen": d.principal_fen - amount, "total_fen": amount + interest}


def withdraw(session: Session, *, actor: Principal, deposit_id: int, amount_fen: int | None = None) -> TermDeposit:
    """Early withdrawal: ``amount_fen=None`` withdraws all; a smaller amount is the one partial
    withdrawal allowed (the rest keeps its rate and term and must stay above the minimum)."""
    d = get_term(session, actor, deposit_id)
    ledger.lock_accounts(session, [d.account_id, d.eaccount_id])
    session.refresh(d)
    bdate = get_business_date(session)
    q = quote_withdrawal(session, d, amount_fen, bdate)  # refuses what the rules do not allow
    full = q["remaining_fen"] == 0
    amount, interest = int(q["amount_fen"]), int(q["interest_fen"])  # type: ignore[call-overload]
    lines = [ledger.debit(amount, account_id=d.account_id, memo="提前支取本金")]
    if interest:
        lines.append(ledger.debit(interest, gl=INTEREST_EXPENSE_GL, memo="活期利息"))
    lines.append(ledger.credit(amount + interest, account_id=d.eaccount_id, memo="提前支取"))
    ledger.post_entry(session, actor=actor, institution_id=d.institution_id, lines=lines,
                      source_type="deposit.early_withdrawal", source_id=str(d.id),
                      description="定期提前支取" if full else "定期部分提前支取", business_date=bdate,
                      customer_initiated=True)
    d.interest_paid_fen += interest
    if full:
        d.principal_fen, d.status, d.closed_on = 0, "closed", bdate
        ledger.close_account(session, actor=actor, account_id=d.account_id)
    else:
        d.principal_fen -= amount
        d.partial_done = True
    session.flush()
    audit.record(session, action="deposit.term.withdraw", object_type="deposit_term", object_id=d.id,
                 changes={"amount_fen": amount, "interest_fen": interest, "full": full}, actor=actor)
    return d


def term_view(session: Session, d: TermDeposit) -> dict[str, object]:
    acc = session.get(Account, d.account_id)
    p = get_product(session, d.product_id)
    days = (d.maturity_date - d.start_date).days
    return {"id": d.id, "account_id": d.account_id, "account_number": acc.number if acc else "",
            "eaccount_id": d.eaccount_id, "product_code": p.code, "product_name": p.name,
            "principal_fen": d.principal_fen, "annual_rate": d.annual_rate, "start_date": d.start_date,
            "maturity_date": d.maturity_date, "instruction": d.instruction, "status": d.status,
            "partial_done": d.partial_done, "interest_paid_fen": d.interest_paid_fen, "renewals": d.renewals,
            "interest_at_maturity_fen": interest_fen(d.principal_fen, d.annual_rate, days, Rounding.HALF_UP)}


def renew_dates(start: dt.date, months: int) -> tuple[dt.date, dt.date]:
    return start, add_months(start, months)
