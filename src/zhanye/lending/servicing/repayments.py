"""Repayments (还款), prepayments (提前还款) with a quote (试算), and reversal (冲正) of a repayment
posted in error (back office, approved through the workflow).

* A repayment applies an amount to what is due (installments due on or before the business
  date), oldest installment first, components in the product's order; over-payment is never put
  on the loan: from the e-account only the applied amount is debited; cash or a transfer's excess
  is credited to the borrower's e-account.
* Prepayment first settles what is due and the current period's interest accrued to date, then
  principal (plus the product's fee). Partial prepayment regenerates the schedule from the current
  period (the next due date keeps its date): ``lower_installment`` keeps the number of
  installments, ``shorten_term`` keeps the installment amount and drops the last ones.
* A reversal is allowed for the loan's latest posted repayment (last in, first out); a prepayment
  can be reversed on the business date it was made. The reversal posts a reversal entry and
  restores the schedule exactly: the allocations are taken back and a prepayment's regenerated
  installments give way to the ones they replaced.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from zhanye.core import audit, events
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import Conflict, NotFound, ValidationFailed
from zhanye.core.money import Rounding, interest_fen
from zhanye.ledger import service as ledger
from zhanye.lending.products import parse_prepayment_rule
from zhanye.lending.schedules import DayRule, Method, build_schedule, installment_amount
from zhanye.lending.servicing import accounting
from zhanye.lending.servicing.allocation import Due, Result, allocate, parse_order
from zhanye.lending.servicing.errors import LoanClosed, NothingDue, PrepaymentRefused, ReversalRefused
from zhanye.lending.servicing.models import Allocation, Installment, Loan, Repayment
from zhanye.lending.servicing.service import add_txn, get_loan, installment_row, installments, sees

CHANNELS = ("eaccount", "cash", "transfer", "field")
SOURCE_GL = {"cash": accounting.CASH_GL, "field": accounting.CASH_GL, "transfer": accounting.CLEARING_GL}
REVERSAL_PROCESS = "loan.repayment_reversal"
SNAPSHOT_FIELDS = ("outstanding_principal_fen", "accrual_base_fen", "interest_receivable_fen", "penalty_receivable_fen",
                   "compound_receivable_fen", "accrued_interest_fen", "period_no", "period_due_day",
                   "period_interest_fen", "generation", "installment_fen", "term_months", "status",
                   "oldest_unpaid_day")


# --- the shared core: apply an allocation to a loan ------------------------------------------------

def dues_of(insts: list[Installment], day: int) -> list[Due]:
    """What each installment due on or before ``day`` still owes, oldest first."""
    out = []
    for i in sorted(insts, key=lambda x: x.number):
        if i.superseded or i.settled or i.due_day > day:
            continue
        out.append(Due(key=i.id, number=i.number, penalty=i.penalty_fen - i.penalty_paid_fen,
                       compound=i.compound_fen - i.compound_paid_fen, interest=i.interest_fen - i.interest_paid_fen,
                       principal=i.principal_fen - i.principal_paid_fen))
    return out


_PAID = {"principal": "principal_paid_fen", "interest": "interest_paid_fen", "penalty": "penalty_paid_fen",
         "compound": "compound_paid_fen"}
_RECEIVABLE = {"principal": "outstanding_principal_fen", "interest": "interest_receivable_fen",
               "penalty": "penalty_receivable_fen", "compound": "compound_receivable_fen"}


def _is_settled(i: Installment) -> bool:
    return (i.principal_paid_fen >= i.principal_fen and i.interest_paid_fen >= i.interest_fen
            and i.penalty_paid_fen >= i.penalty_fen and i.compound_paid_fen >= i.compound_fen)


def apply_result(session: Session, loan: Loan, insts: list[Installment], result: Result, rep: Repayment,
                 bdate: dt.date, sign: int = 1) -> None:
    """Add (sign=1) or take back (sign=-1) the allocation ``result`` on the installments and the loan."""
    by_id = {i.id: i for i in insts}
    for key, comp, amt in result.parts:
        if key is None:  # the current period's accrued interest, or principal not tied to an installment
            if comp == "interest":
                loan.accrued_interest_fen -= sign * amt
        else:
            inst = by_id[key]
            setattr(inst, _PAID[comp], getattr(inst, _PAID[comp]) + sign * amt)
            settled = _is_settled(inst)
            if settled != inst.settled:
                inst.settled = settled
                inst.settled_on = bdate if settled else None
        setattr(loan, _RECEIVABLE[comp], getattr(loan, _RECEIVABLE[comp]) - sign * amt)
        if sign > 0:
            session.add(Allocation(repayment_id=rep.id, installment_id=key, component=comp, amount_fen=amt))


def refresh_state(session: Session, loan: Loan, insts: list[Installment], bdate: dt.date) -> bool:
    """Recompute the oldest unpaid due day; close the loan when everything is paid. Returns True
    when the loan closed now."""
    open_days = [i.due_day for i in insts if not i.superseded and not i.settled]
    loan.oldest_unpaid_day = min(open_days) if open_days else None
    nothing_left = (not open_days and loan.outstanding_principal_fen == 0 and loan.interest_receivable_fen == 0
                    and loan.penalty_receivable_fen == 0 and loan.compound_receivable_fen == 0)
    if nothing_left and loan.status == "active":
        loan.status, loan.closed_on, loan.dpd = "closed", bdate, 0
        loan.period_due_day = None
        events.publish(session, "loan.closed", {"loan_id": loan.id, "line_id": loan.line_id,
                                                 "customer_id": loan.customer_id})
        return True
    if not nothing_left and loan.status == "closed":
        loan.status, loan.closed_on = "active", None
    return False


def components(result: Result) -> dict[str, int]:
    return result.by_component()


def ledger_legs(session: Session, loan: Loan, comps: dict[str, int], fee: int, *, cls: int) -> list[ledger.Leg]:
    """Credit legs of a repayment: the receivable pools and the fee income."""
    pools = accounting.pools(session, loan.institution_id)
    legs = []
    if comps["principal"]:
        legs.append(ledger.credit(comps["principal"], account_id=pools[f"principal:{cls}"], memo=loan.loan_no))
    for comp in ("interest", "penalty", "compound"):
        if comps[comp]:
            legs.append(ledger.credit(comps[comp], account_id=pools[comp], memo=loan.loan_no))
    if fee:
        legs.append(ledger.credit(fee, gl=accounting.FEE_INCOME_GL, memo=loan.loan_no))
    return legs


def after_repayment(session: Session, loan: Loan, rep: Repayment) -> None:
    if rep.principal_fen:
        events.publish(session, "loan.principal_repaid", {"line_id": loan.line_id, "loan_id": loan.id,
                                                          "amount_fen": rep.principal_fen})
    from zhanye.lending.servicing import collections

    collections.close_if_cured(session, customer_id=loan.customer_id, business_date=rep.business_date)


# --- regular repayment ----------------------------------------------------------------------------

def _check_channel(loan: Loan, channel: str, account_id: int | None) -> int | None:
    if channel not in CHANNELS:
        raise ValidationFailed.field(["channel"], "还款渠道须为 eaccount、cash、transfer 或 field",
                                     "The channel must be eaccount, cash, transfer or field")
    if channel == "eaccount":
        acc = account_id or loan.repay_account_id
        if acc is None:
            raise ValidationFailed.field(["account_id"], "贷款未绑定还款账户", "The loan has no repayment account")
        return acc
    return loan.repay_account_id


def _check_amount(amount_fen: Any) -> int:
    return ledger.check_amount(amount_fen, "amount_fen")


def _existing(session: Session, external_id: str | None, loan_id: int, amount: int) -> Repayment | None:
    if external_id is None:
        return None
    prior = session.execute(select(Repayment).where(Repayment.external_id == external_id)).scalar_one_or_none()
    if prior is not None and (prior.loan_id != loan_id or prior.tendered_fen != amount):
        raise Conflict("该还款流水号已用于另一笔还款", "This external id was used for another repayment")
    return prior


def _post(session: Session, actor: Principal, loan: Loan, rep: Repayment, *, channel: str, account_id: int | None,
          tendered: int, applied_total: int, comps: dict[str, int], fee: int, external_id: str) -> None:
    """One balanced entry: the source (e-account, cash or clearing) against the pools; a cash or
    transfer excess goes to the borrower's e-account."""
    credits = ledger_legs(session, loan, comps, fee, cls=loan.cls)
    if accounting.nonperforming(loan.cls):  # non-accrual: what is collected becomes income now
        credits += accounting.suspense_legs(comps, memo=loan.loan_no)
    if channel == "eaccount":
        legs = [ledger.debit(applied_total, account_id=account_id, memo=loan.loan_no), *credits]
    else:
        legs = [ledger.debit(tendered, gl=SOURCE_GL[channel], memo=loan.loan_no), *credits]
        excess = tendered - applied_total
        if excess:
            legs.append(ledger.credit(excess, account_id=account_id, memo=f"{loan.loan_no} 溢缴款"))
    entry = ledger.post_entry(session, actor=actor, institution_id=loan.institution_id, lines=legs,
                              source_type="loan.repayment", source_id=str(rep.id),
                              description=f"还款 {loan.loan_no}", external_id=f"servicing:repay:{external_id}")
    rep.entry_id = entry.id


def repay(session: Session, *, actor: Principal, loan_id: int, amount_fen: int, channel: str,
          external_id: str, account_id: int | None = None) -> Repayment:
    """Take a repayment of what is due (see the module docstring)."""
    amount = _check_amount(amount_fen)
    prior = _existing(session, external_id, loan_id, amount)
    if prior is not None:
        return prior
    loan = get_loan(session, actor=actor, loan_id=loan_id, lock=True)
    if loan.status != "active":
        raise LoanClosed("贷款已结清", "The loan is closed")
    acc = _check_channel(loan, channel, account_id)
    bdate = get_business_date(session)
    insts = installments(session, loan.id)
    result = allocate(amount, dues_of(insts, bdate.toordinal()), parse_order(loan.allocation_order))
    if result.applied == 0:
        raise NothingDue("当前没有应还款项，如需提前还款请使用提前还款", "Nothing is due; use a prepayment to repay early")
    if channel != "eaccount" and result.remainder and acc is None:
        raise ValidationFailed.field(["amount_fen"], "金额超过应还款项，且贷款没有可存入溢缴款的电子账户",
                                     "The amount exceeds what is due and the loan has no e-account for the excess")
    comps = components(result)
    rep = Repayment(loan_id=loan.id, institution_id=loan.institution_id, external_id=external_id,
                    business_date=bdate, kind="regular", channel=channel, account_id=acc, tendered_fen=amount,
                    amount_fen=result.applied, principal_fen=comps["principal"], interest_fen=comps["interest"],
                    penalty_fen=comps["penalty"], compound_fen=comps["compound"], fee_fen=0, cls_at_posting=loan.cls,
                    status="posted", created_by=actor.username)
    session.add(rep)
    session.flush()
    _post(session, actor, loan, rep, channel=channel, account_id=acc,
          tendered=result.applied if channel == "eaccount" else amount, applied_total=result.applied,
          comps=comps, fee=0, external_id=external_id)
    apply_result(session, loan, insts, result, rep, bdate)
    refresh_state(session, loan, insts, bdate)
    add_txn(session, loan, bdate, "repayment", principal=-comps["principal"], interest=-comps["interest"],
            penalty=-comps["penalty"], compound=-comps["compound"], repayment_id=rep.id, memo=f"还款 {channel}")
    session.flush()
    after_repayment(session, loan, rep)
    audit.record(session, action="loan.repayment", object_type="loan", object_id=loan.id, actor=actor,
                 changes={"repayment_id": rep.id, "channel": channel, "tendered_fen": amount,
                          "applied_fen": result.applied, **{f"{k}_fen": v for k, v in comps.items()},
                          "loan_status": loan.status})
    return rep


# --- prepayment -----------------------------------------------------------------------------------

@dataclass
class Quote:
    loan_id: int
    kind: str  # full | partial
    option: str | None  # shorten_term | lower_installment (partial)
    business_date: dt.date
    due_fen: int  # installments already due (all components)
    accrued_interest_fen: int  # current period's interest to date
    principal_fen: int  # principal prepaid now
    fee_fen: int
    total_fen: int
    remaining_principal_fen: int
    new_installments: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["business_date"] = self.business_date.isoformat()
        return d


def _fee(loan: Loan, principal: int, bdate: dt.date) -> int:
    rule = parse_prepayment_rule(loan.prepayment_fee_rule)
    if rule is None or principal == 0:
        return 0
    rate, months = rule
    if months is not None:
        from zhanye.lending.schedules import add_months

        if bdate >= add_months(loan.start_date, months):
            return 0
    return int((Decimal(principal) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _future(insts: list[Installment], loan: Loan) -> list[Installment]:
    return sorted([i for i in insts if not i.superseded and i.number >= loan.period_no], key=lambda i: i.number)


def _period_start(insts: list[Installment], loan: Loan) -> dt.date:
    prev = [i for i in insts if not i.superseded and i.number == loan.period_no - 1]
    return prev[0].due_date if prev else loan.start_date


def regenerate(loan: Loan, insts: list[Installment], new_principal: int, option: str,
               bdate: dt.date) -> list[tuple[int, dt.date, int, int]]:
    """The installments replacing the current and later periods after a partial prepayment:
    (number, due date, principal, interest). Due dates keep the original ones."""
    future = _future(insts, loan)
    dates = [i.due_date for i in future]
    method = Method(loan.method)
    n = len(future)
    rate = Decimal(loan.annual_rate)
    if option == "shorten_term":
        if method == Method.EQUAL_INSTALLMENT:
            n = next((k for k in range(1, len(future) + 1)
                      if installment_amount(new_principal, k, rate) <= loan.installment_fen), len(future))
        elif method == Method.EQUAL_PRINCIPAL:
            part = max(loan.installment_fen, 1)
            n = min(len(future), max(1, -(-new_principal // part)))
        else:
            raise PrepaymentRefused("先息后本、利随本清贷款只能选择减少月供（本金到期一次还）",
                                    "Interest-first and bullet loans cannot shorten the term",
                                    errors=[])
    elif option != "lower_installment":
        raise ValidationFailed.field(["option"], "请选择缩短期限或减少月供", "Choose shorten_term or lower_installment")
    start = _period_start(insts, loan)
    sched = build_schedule(amount_fen=new_principal, months=n, annual_rate=rate,
                           method=method if method != Method.BULLET else Method.INTEREST_FIRST,
                           start=start, day_rule=DayRule())
    out = []
    for idx, inst in enumerate(sched.installments):
        if idx == 0:  # interest from the business date (interest to date is paid now), actual / 360
            interest = interest_fen(new_principal, rate, dates[0].toordinal() - bdate.toordinal(), Rounding.HALF_UP)
        else:
            interest = inst.interest_fen
        out.append((future[0].number + idx, dates[idx], inst.principal_fen, interest))
    return out


def quote_prepayment(session: Session, *, actor: Principal, loan_id: int, kind: str, principal_fen: int | None = None,
                     option: str | None = None) -> Quote:
    loan = get_loan(session, actor=actor, loan_id=loan_id)
    return _quote(session, loan, installments(session, loan.id), kind, principal_fen, option)


def _quote(session: Session, loan: Loan, insts: list[Installment], kind: str, principal_fen: int | None,
           option: str | None) -> Quote:
    if loan.status != "active":
        raise LoanClosed("贷款已结清", "The loan is closed")
    if kind not in ("full", "partial"):
        raise ValidationFailed.field(["kind"], "提前还款类型须为 full 或 partial", "kind must be full or partial")
    bdate = get_business_date(session)
    dues = dues_of(insts, bdate.toordinal())
    due_total = sum(d.total for d in dues)
    future = _future(insts, loan)
    future_principal = sum(i.principal_fen - i.principal_paid_fen for i in future)
    if not future or future[0].due_day <= bdate.toordinal():
        raise PrepaymentRefused("贷款已没有未到期的期次，请办理正常还款", "Nothing is left to prepay; take a regular repayment")
    new_rows: list[tuple[int, dt.date, int, int]] = []
    if kind == "full":
        principal = future_principal
        option = None
    else:
        if principal_fen is None:
            raise ValidationFailed.field(["principal_fen"], "请输入提前归还的本金", "Give the principal to prepay")
        principal = ledger.check_amount(principal_fen, "principal_fen")
        if principal >= future_principal:
            raise ValidationFailed.field(["principal_fen"], "提前还本金额不小于剩余本金，请办理全部提前还款",
                                         "The amount is the whole remaining principal: prepay in full")
        new_rows = regenerate(loan, insts, future_principal - principal, option or "", bdate)
    fee = _fee(loan, principal, bdate)
    total = due_total + loan.accrued_interest_fen + principal + fee
    return Quote(loan_id=loan.id, kind=kind, option=option, business_date=bdate, due_fen=due_total,
                 accrued_interest_fen=loan.accrued_interest_fen, principal_fen=principal, fee_fen=fee, total_fen=total,
                 remaining_principal_fen=future_principal - principal,
                 new_installments=[{"number": n, "due_date": d.isoformat(), "principal_fen": p, "interest_fen": i,
                                    "total_fen": p + i} for n, d, p, i in new_rows])


def prepay(session: Session, *, actor: Principal, loan_id: int, kind: str, channel: str, external_id: str,
           principal_fen: int | None = None, option: str | None = None, expected_total_fen: int | None = None,
           account_id: int | None = None) -> Repayment:
    """Confirm a prepayment at the quoted total (``expected_total_fen`` guards a stale quote)."""
    loan = get_loan(session, actor=actor, loan_id=loan_id, lock=True)
    insts = installments(session, loan.id)
    q = _quote(session, loan, insts, kind, principal_fen, option)
    prior = _existing(session, external_id, loan_id, q.total_fen)
    if prior is not None:
        return prior
    if expected_total_fen is not None and expected_total_fen != q.total_fen:
        raise Conflict("试算金额已变化，请重新试算", "The quote has changed; quote again", total_fen=q.total_fen)
    acc = _check_channel(loan, channel, account_id)
    bdate = q.business_date
    snapshot = {f: getattr(loan, f) for f in SNAPSHOT_FIELDS}
    snapshot["maturity_date"] = loan.maturity_date.isoformat()
    order = parse_order(loan.allocation_order)
    result = allocate(q.due_fen, dues_of(insts, bdate.toordinal()), order)
    if q.accrued_interest_fen:
        result.parts.append((None, "interest", q.accrued_interest_fen))
    if q.principal_fen:
        result.parts.append((None, "principal", q.principal_fen))
    comps = components(result)
    rep = Repayment(loan_id=loan.id, institution_id=loan.institution_id, external_id=external_id, business_date=bdate,
                    kind=f"prepay_{kind}", channel=channel, account_id=acc, tendered_fen=q.total_fen,
                    amount_fen=q.total_fen, principal_fen=comps["principal"], interest_fen=comps["interest"],
                    penalty_fen=comps["penalty"], compound_fen=comps["compound"], fee_fen=q.fee_fen,
                    cls_at_posting=loan.cls, status="posted", created_by=actor.username)
    session.add(rep)
    session.flush()
    _post(session, actor, loan, rep, channel=channel, account_id=acc, tendered=q.total_fen, applied_total=q.total_fen,
          comps=comps, fee=q.fee_fen, external_id=external_id)
    apply_result(session, loan, insts, result, rep, bdate)
    # The current and later periods give way to the regenerated ones (none after a full prepayment).
    future = _future(insts, loan)
    new_gen = loan.generation + 1
    for i in future:
        i.superseded = True
    snapshot["superseded_ids"] = [i.id for i in future]
    if kind == "partial":
        new = [installment_row(loan, n, dt.date.fromisoformat(d["due_date"]), d["principal_fen"], d["interest_fen"],
                               new_gen) for n, d in zip([r["number"] for r in q.new_installments],
                                                        q.new_installments, strict=True)]
        session.add_all(new)
        session.flush()
        first = new[0]
        loan.period_due_day, loan.period_interest_fen = first.due_day, first.interest_fen
        loan.accrual_base_fen = q.remaining_principal_fen
        loan.maturity_date = new[-1].due_date
        if Method(loan.method) == Method.EQUAL_INSTALLMENT:
            loan.installment_fen = installment_amount(q.remaining_principal_fen, len(new), Decimal(loan.annual_rate))
        insts = [i for i in insts if not i.superseded] + new
    else:
        loan.period_due_day, loan.period_interest_fen = None, 0
        loan.accrual_base_fen = 0
        loan.maturity_date = bdate
        insts = [i for i in insts if not i.superseded]
    loan.generation = new_gen
    loan.accrued_interest_fen = 0
    rep.snapshot = json.dumps(snapshot)
    refresh_state(session, loan, insts, bdate)
    add_txn(session, loan, bdate, rep.kind, principal=-comps["principal"], interest=-comps["interest"],
            penalty=-comps["penalty"], compound=-comps["compound"], repayment_id=rep.id,
            memo=f"提前还款 {option or 'full'} 手续费 {q.fee_fen}")
    session.flush()
    after_repayment(session, loan, rep)
    audit.record(session, action="loan.prepayment", object_type="loan", object_id=loan.id, actor=actor,
                 changes={"repayment_id": rep.id, "kind": kind, "option": option, "total_fen": q.total_fen,
                          "principal_fen": q.principal_fen, "fee_fen": q.fee_fen, "loan_status": loan.status})
    return rep


# --- reversal --------------------------------------------------------------------------------------

def get_repayment(session: Session, *, actor: Principal, repayment_id: int) -> Repayment:
    rep = session.get(Repayment, repayment_id)
    if rep is None or not sees(actor, rep.institution_id):
        raise NotFound("还款记录不存在", "The repayment does not exist")
    return rep


def list_repayments(session: Session, *, actor: Principal, loan_id: int) -> list[Repayment]:
    get_loan(session, actor=actor, loan_id=loan_id)
    return list(session.execute(select(Repayment).where(Repayment.loan_id == loan_id).order_by(Repayment.id)).scalars())


def _check_reversible(session: Session, rep: Repayment) -> None:
    latest = session.execute(select(Repayment.id).where(Repayment.loan_id == rep.loan_id,
                                                        Repayment.status != "reversed")
                             .order_by(Repayment.id.desc()).limit(1)).scalar_one()
    if latest != rep.id:
        raise ReversalRefused("只能冲正该贷款最近一笔还款（请先冲正其后的还款）",
                              "Only the loan's latest repayment can be reversed (reverse the later ones first)")
    if rep.kind.startswith("prepay") and rep.business_date != get_business_date(session):
        raise ReversalRefused("提前还款只能在当日冲正", "A prepayment can only be reversed on the day it was made")


def request_reversal(session: Session, *, actor: Principal, repayment_id: int, reason: str) -> Repayment:
    """Ask for the reversal of a repayment; the workflow's approval performs it."""
    rep = get_repayment(session, actor=actor, repayment_id=repayment_id)
    if not reason or not reason.strip():
        raise ValidationFailed.field(["reason"], "请填写冲正原因", "A reason is required")
    if rep.status != "posted":
        raise ReversalRefused("该笔还款已冲正或正在审批冲正", "The repayment is already reversed or awaiting approval")
    _check_reversible(session, rep)
    from zhanye.workflow import service as workflow

    ensure_reversal_process(session, actor)
    loan = session.get(Loan, rep.loan_id)
    assert loan is not None
    inst = workflow.start(session, actor, process_key=REVERSAL_PROCESS, subject_type="loan_repayment",
                          subject_id=rep.id, facts={"amount_fen": rep.amount_fen, "loan_no": loan.loan_no,
                                                    "channel": rep.channel, "reason": reason[:200]},
                          institution_id=rep.institution_id,
                          summary=f"冲正还款 {loan.loan_no} {rep.amount_fen / 100:.2f}元"[:200])
    rep.status, rep.reversal_reason, rep.reversal_instance_id = "reversal_pending", reason[:200], inst.id
    session.flush()
    audit.record(session, action="loan.repayment.reversal_request", object_type="loan_repayment", object_id=rep.id,
                 actor=actor, changes={"reason": reason, "instance_id": inst.id})
    return rep


def ensure_reversal_process(session: Session, actor: Principal) -> None:
    from pathlib import Path

    from zhanye.workflow import service as workflow

    if workflow.current_definition(session, REVERSAL_PROCESS, missing_ok=True) is None:
        from zhanye.core.context import SYSTEM

        source = (Path(__file__).parent / "processes" / f"{REVERSAL_PROCESS}.yaml").read_text(encoding="utf-8")
        workflow.publish_definition(session, SYSTEM, source)


def on_reversal_outcome(session: Session, outcome: Any) -> None:
    """Workflow outcome handler for subject type ``loan_repayment``."""
    rep = session.get(Repayment, int(outcome.subject_id))
    if rep is None or rep.status != "reversal_pending":
        return
    from zhanye.core.context import SYSTEM

    if outcome.status == "approved":
        try:
            with session.begin_nested():
                reverse_repayment(session, actor=SYSTEM, repayment_id=rep.id, approved_by=outcome.decided_by)
        except ReversalRefused as exc:
            rep.status = "posted"
            audit.record(session, action="loan.repayment.reversal_refused", object_type="loan_repayment",
                         object_id=rep.id, changes={"reason": str(exc)})
    elif outcome.status in ("rejected", "cancelled"):
        rep.status = "posted"
        audit.record(session, action="loan.repayment.reversal_rejected", object_type="loan_repayment",
                     object_id=rep.id, changes={"status": outcome.status})
    session.flush()


def reverse_repayment(session: Session, *, actor: Principal, repayment_id: int,
                      approved_by: int | None = None) -> Repayment:
    """Post the reversal entry and restore the schedule exactly (called on approval)."""
    rep = get_repayment(session, actor=actor, repayment_id=repayment_id)
    if rep.status == "reversed":
        raise ReversalRefused("该笔还款已冲正", "The repayment is already reversed")
    loan = get_loan(session, actor=actor, loan_id=rep.loan_id, lock=True)
    _check_reversible(session, rep)
    bdate = get_business_date(session)
    allocs = list(session.execute(select(Allocation).where(Allocation.repayment_id == rep.id)
                                  .order_by(Allocation.id)).scalars())
    insts = installments(session, loan.id, include_superseded=True)
    result = Result(parts=[(a.installment_id, a.component, a.amount_fen) for a in allocs])
    # Ledger: the mirror of what the repayment posted.
    if rep.entry_id is not None and not rep.entry_shared:
        entry = ledger.reverse_entry(session, actor=actor, entry_id=rep.entry_id,
                                     reason=rep.reversal_reason or "还款冲正", external_id=f"servicing:reverse:{rep.id}")
    else:
        comps = {"principal": rep.principal_fen, "interest": rep.interest_fen, "penalty": rep.penalty_fen,
                 "compound": rep.compound_fen}
        credits = ledger_legs(session, loan, comps, rep.fee_fen, cls=rep.cls_at_posting)
        legs = [ledger.Leg(debit_fen=c.credit_fen, account_id=c.account_id, gl=c.gl, memo="冲正") for c in credits]
        legs.append(ledger.credit(rep.amount_fen + rep.fee_fen, account_id=rep.account_id, memo="冲正"))
        if accounting.nonperforming(rep.cls_at_posting):
            legs += accounting.suspense_legs(comps, -1, memo="冲正")
        entry = ledger.post_entry(session, actor=actor, institution_id=loan.institution_id, lines=legs,
                                  source_type="loan.repayment_reversal", source_id=str(rep.id),
                                  description=f"还款冲正 {loan.loan_no}", external_id=f"servicing:reverse:{rep.id}",
                                  enforce_state=False)
    if rep.principal_fen and loan.cls != rep.cls_at_posting:
        pools = accounting.pools(session, loan.institution_id)
        ledger.post_entry(session, actor=actor, institution_id=loan.institution_id,
                          lines=[ledger.debit(rep.principal_fen, account_id=pools[f"principal:{loan.cls}"]),
                                 ledger.credit(rep.principal_fen, account_id=pools[f"principal:{rep.cls_at_posting}"])],
                          source_type="loan.reclassification", source_id=str(rep.id),
                          description=f"冲正后调整分类科目 {loan.loan_no}", external_id=f"servicing:reverse-cls:{rep.id}")
    if accounting.nonperforming(loan.cls) != accounting.nonperforming(rep.cls_at_posting):
        # the restored receivables belong where the loan's class puts them now: income or suspense
        ipc = {"interest": rep.interest_fen, "penalty": rep.penalty_fen, "compound": rep.compound_fen}
        moved = accounting.suspense_legs(ipc, -1 if accounting.nonperforming(loan.cls) else 1)
        if moved:
            ledger.post_entry(session, actor=actor, institution_id=loan.institution_id, lines=moved,
                              source_type="loan.nonaccrual", source_id=str(rep.id),
                              description=f"冲正后调整利息挂账 {loan.loan_no}",
                              external_id=f"servicing:reverse-suspense:{rep.id}")
    apply_result(session, loan, insts, result, rep, bdate, sign=-1)
    session.flush()
    if rep.kind.startswith("prepay"):
        snap = json.loads(rep.snapshot)
        superseded = set(snap.get("superseded_ids", []))
        session.execute(delete(Installment).where(Installment.loan_id == loan.id,
                                                  Installment.generation == loan.generation,
                                                  Installment.id.not_in(superseded)))
        session.execute(update(Installment).where(Installment.id.in_(superseded)).values(superseded=False))
        session.expire_all()
        loan = get_loan(session, actor=actor, loan_id=rep.loan_id)
        for f in SNAPSHOT_FIELDS:
            setattr(loan, f, snap[f])
        loan.maturity_date = dt.date.fromisoformat(snap["maturity_date"])
        if loan.status == "active":
            loan.closed_on = None
        insts = installments(session, loan.id)
    else:
        insts = [i for i in insts if not i.superseded]
    refresh_state(session, loan, insts, bdate)
    rep = session.get(Repayment, repayment_id)  # type: ignore[assignment]
    assert rep is not None
    rep.status, rep.reversal_entry_id = "reversed", entry.id
    add_txn(session, loan, bdate, "reversal", principal=rep.principal_fen, interest=rep.interest_fen,
            penalty=rep.penalty_fen, compound=rep.compound_fen, repayment_id=rep.id, memo=f"冲正 #{rep.id}")
    session.flush()
    if rep.principal_fen:
        events.publish(session, "loan.principal_repaid", {"line_id": loan.line_id, "loan_id": loan.id,
                                                          "amount_fen": -rep.principal_fen})
    audit.record(session, action="loan.repayment.reverse", object_type="loan_repayment", object_id=rep.id,
                 actor=actor, changes={"entry_id": entry.id, "approved_by": approved_by, "loan_status": loan.status})
    return rep


# --- demand early repayment (risk disposal) ---------------------------------------------------------

def accelerate(session: Session, *, actor: Principal, loan: Loan, reason: str) -> None:
    """The remaining principal and the current period's interest to date fall due today: the
    future installments give way to one installment due on the business date."""
    if loan.status != "active":
        raise LoanClosed("贷款已结清", "The loan is closed")
    bdate = get_business_date(session)
    insts = installments(session, loan.id)
    future = [i for i in _future(insts, loan) if i.due_day > bdate.toordinal()]
    if not future:
        return
    principal = sum(i.principal_fen - i.principal_paid_fen for i in future)
    for i in future:
        i.superseded = True
    loan.generation += 1
    row = installment_row(loan, future[0].number, bdate, principal, loan.accrued_interest_fen, loan.generation)
    session.add(row)
    loan.accrued_interest_fen = 0
    loan.period_no = future[0].number + 1
    loan.period_due_day, loan.period_interest_fen = None, 0
    loan.accrual_base_fen = 0
    loan.maturity_date = bdate
    session.flush()
    refresh_state(session, loan, [i for i in insts if not i.superseded] + [row], bdate)
    audit.record(session, action="loan.accelerate", object_type="loan", object_id=loan.id, actor=actor,
                 changes={"principal_fen": principal, "reason": reason})


def _register() -> None:
    from zhanye.workflow import service as workflow

    workflow.register_outcome_handler("loan_repayment", on_reversal_outcome)


_register()
