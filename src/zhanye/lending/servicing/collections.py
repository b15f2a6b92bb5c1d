"""Collections (催收): one open case per customer (not per loan), opened by the end of day for
customers with an overdue loan, assigned to a collector by rules (institution, amount band, DPD
band, first matching rule by priority), with a contact log and promises to pay. A case closes
(outcome ``repaid``) when none of the customer's loans is overdue any more.

A promise to pay (承诺还款) is settled by the end of day: ``kept`` as soon as the customer's
repayments (any loan, any channel, auto-debit included; reversed ones do not count) from the day
of the promise to the promised date add up to the promised amount; ``broken`` at the end of the
promised date if they do not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.scope import in_scope
from zhanye.lending.servicing.models import CollectionCase, CollectionContact, CollectionRule, Loan, Repayment

CONTACT_CHANNELS = ("phone", "visit", "sms", "letter")
CONTACT_RESULTS = ("reached", "no_answer", "promise", "refused", "wrong_number", "paid")


def _overdue_customers(day: int) -> Any:
    """Per customer with an overdue loan: institution (of the lowest loan id), overdue principal
    outstanding and the maximum DPD."""
    return (select(Loan.customer_id, func.min(Loan.institution_id).label("inst"),
                   func.sum(Loan.outstanding_principal_fen).label("amt"), func.max(Loan.dpd).label("dpd"))
            .where(Loan.status == "active", Loan.dpd > 0).group_by(Loan.customer_id))


def open_and_refresh(session: Session, business_date: dt.date) -> dict[str, int]:
    """Set-based: open missing cases, refresh figures, assign by rules, close cured cases."""
    cc = CollectionCase.__table__
    ov = _overdue_customers(business_date.toordinal()).subquery()
    rows = session.execute(select(ov.c.customer_id, ov.c.inst, ov.c.amt, ov.c.dpd)
                           .where(~exists().where(cc.c.open_key == ov.c.customer_id))).all()
    if rows:
        session.execute(insert(cc), [{"customer_id": c, "institution_id": i, "open_key": c, "opened_on": business_date,
                                      "status": "open", "overdue_fen": int(a or 0), "max_dpd": int(d or 0),
                                      "outcome": ""} for c, i, a, d in rows])
    session.execute(update(cc).where(cc.c.status == "open", cc.c.customer_id == ov.c.customer_id)
                    .values(overdue_fen=ov.c.amt, max_dpd=ov.c.dpd))
    cured = session.execute(update(cc).where(
        cc.c.status == "open", ~exists().where(and_(Loan.customer_id == cc.c.customer_id, Loan.status == "active",
                                                    Loan.dpd > 0)))
        .values(status="closed", open_key=None, closed_on=business_date, outcome="repaid")).rowcount
    assigned = assign(session)
    kept, broken = settle_promises(session, business_date)
    return {"opened": len(rows), "closed": int(cured or 0), "assigned": assigned, "promises_kept": kept,
            "promises_broken": broken}


def settle_promises(session: Session, business_date: dt.date) -> tuple[int, int]:
    """Set-based, at the end of ``business_date``: pending promises met are ``kept``; those whose
    date has ended unmet are ``broken``. Returns (kept, broken)."""
    ct, cc = CollectionContact.__table__, CollectionCase.__table__
    paid = (select(func.coalesce(func.sum(Repayment.amount_fen), 0))
            .join(Loan, Loan.id == Repayment.loan_id)
            .where(Loan.customer_id == select(cc.c.customer_id).where(cc.c.id == ct.c.case_id)
                   .correlate(ct).scalar_subquery(),
                   Repayment.status != "reversed",
                   Repayment.business_date >= func.coalesce(ct.c.promise_made_on, ct.c.promise_date),
                   Repayment.business_date <= ct.c.promise_date, Repayment.business_date <= business_date)
            .correlate(ct).scalar_subquery())
    pending = (ct.c.promise_status == "pending", ct.c.promise_date.is_not(None))
    kept = session.execute(update(ct).where(*pending, paid >= ct.c.promise_amount_fen)
                           .values(promise_status="kept")).rowcount
    broken = session.execute(update(ct).where(*pending, ct.c.promise_date <= business_date)
                             .values(promise_status="broken")).rowcount
    return int(kept or 0), int(broken or 0)


def assign(session: Session) -> int:
    """Give unassigned open cases to the collector of the first matching rule (by priority)."""
    cc, r = CollectionCase.__table__, CollectionRule.__table__
    match = (select(r.c.collector_id).where(
        or_(r.c.institution_id.is_(None), r.c.institution_id == cc.c.institution_id),
        r.c.min_amount_fen <= cc.c.overdue_fen, or_(r.c.max_amount_fen.is_(None), cc.c.overdue_fen <= r.c.max_amount_fen),
        r.c.min_dpd <= cc.c.max_dpd, or_(r.c.max_dpd.is_(None), cc.c.max_dpd <= r.c.max_dpd))
        .order_by(r.c.priority, r.c.id).limit(1).scalar_subquery())
    res = session.execute(update(cc).where(cc.c.status == "open", cc.c.collector_id.is_(None))
                          .values(collector_id=match))
    return int(res.rowcount or 0)


def close_if_cured(session: Session, *, customer_id: int, business_date: dt.date) -> bool:
    """After a repayment: close the customer's open case when no loan is past due any more (the
    loan's DPD is refreshed by the end of day; here an installment still unpaid and due counts)."""
    case = session.execute(select(CollectionCase).where(CollectionCase.open_key == customer_id)).scalar_one_or_none()
    if case is None:
        return False
    day = business_date.toordinal()
    still = session.execute(select(Loan.id).where(Loan.customer_id == customer_id, Loan.status == "active",
                                                  Loan.oldest_unpaid_day.is_not(None),
                                                  Loan.oldest_unpaid_day + Loan.grace_days < day).limit(1)).first()
    if still is not None:
        return False
    case.status, case.open_key, case.closed_on, case.outcome = "closed", None, business_date, "repaid"
    session.flush()
    audit.record(session, action="collection.case.close", object_type="collection_case", object_id=case.id,
                 changes={"outcome": "repaid"})
    return True


def add_rule(session: Session, *, actor: Principal, collector_id: int, priority: int = 100,
             institution_id: int | None = None, min_amount_fen: int = 0, max_amount_fen: int | None = None,
             min_dpd: int = 1, max_dpd: int | None = None) -> CollectionRule:
    if max_dpd is not None and max_dpd < min_dpd:
        raise ValidationFailed.field(["max_dpd"], "逾期天数区间无效", "The DPD band is not valid")
    if max_amount_fen is not None and max_amount_fen < min_amount_fen:
        raise ValidationFailed.field(["max_amount_fen"], "金额区间无效", "The amount band is not valid")
    rule = CollectionRule(priority=priority, institution_id=institution_id, min_amount_fen=min_amount_fen,
                          max_amount_fen=max_amount_fen, min_dpd=min_dpd, max_dpd=max_dpd, collector_id=collector_id)
    session.add(rule)
    session.flush()
    audit.record(session, action="collection.rule.add", object_type="collection_rule", object_id=rule.id, actor=actor,
                 changes={"collector_id": collector_id, "institution_id": institution_id, "priority": priority,
                          "amount": [min_amount_fen, max_amount_fen], "dpd": [min_dpd, max_dpd]})
    return rule


def _sees(actor: Principal, inst: int) -> bool:
    return "system" in actor.roles or actor.sees_institution(inst)


def get_case(session: Session, *, actor: Principal, case_id: int) -> CollectionCase:
    case = session.get(CollectionCase, case_id)
    if case is None or not _sees(actor, case.institution_id):
        raise NotFound("催收案件不存在", "The collection case does not exist")
    return case


def list_cases(session: Session, *, actor: Principal, status: str | None = "open", collector_id: int | None = None,
               limit: int = 100, offset: int = 0) -> list[CollectionCase]:
    stmt = select(CollectionCase)
    if "system" not in actor.roles:
        stmt = stmt.where(in_scope(CollectionCase.institution_id, actor))
    if status:
        stmt = stmt.where(CollectionCase.status == status)
    if collector_id is not None:
        stmt = stmt.where(CollectionCase.collector_id == collector_id)
    return list(session.execute(stmt.order_by(CollectionCase.max_dpd.desc(), CollectionCase.id)
                                .limit(limit).offset(offset)).scalars())


def log_contact(session: Session, *, actor: Principal, case_id: int, channel: str, result: str, note: str = "",
                promise_amount_fen: int | None = None, promise_date: dt.date | None = None) -> CollectionContact:
    case = get_case(session, actor=actor, case_id=case_id)
    if case.status != "open":
        raise InvalidTransition("案件已结案", "The case is closed")
    if channel not in CONTACT_CHANNELS:
        raise ValidationFailed.field(["channel"], "联系方式无效", "Unknown contact channel")
    if result not in CONTACT_RESULTS:
        raise ValidationFailed.field(["result"], "联系结果无效", "Unknown contact result")
    if result == "promise":
        if not promise_amount_fen or promise_amount_fen <= 0 or promise_date is None:
            raise ValidationFailed.field(["promise_amount_fen"], "承诺还款须填写金额和日期",
                                         "A promise to pay needs an amount and a date")
        if promise_date < get_business_date(session):
            raise ValidationFailed.field(["promise_date"], "承诺日期不能早于今天", "The promise date is in the past")
    contact = CollectionContact(case_id=case.id, staff_id=actor.staff_id or None, channel=channel, result=result,
                                note=note[:500], promise_amount_fen=promise_amount_fen if result == "promise" else None,
                                promise_date=promise_date if result == "promise" else None,
                                promise_status="pending" if result == "promise" else "",
                                promise_made_on=get_business_date(session) if result == "promise" else None)
    session.add(contact)
    session.flush()
    audit.record(session, action="collection.contact", object_type="collection_case", object_id=case.id, actor=actor,
                 changes={"channel": channel, "result": result, "promise_fen": promise_amount_fen,
                          "promise_date": promise_date})
    return contact


def contacts(session: Session, *, actor: Principal, case_id: int) -> list[CollectionContact]:
    get_case(session, actor=actor, case_id=case_id)
    return list(session.execute(select(CollectionContact).where(CollectionContact.case_id == case_id)
                                .order_by(CollectionContact.id)).scalars())


def close_case(session: Session, *, actor: Principal, case_id: int, outcome: str) -> CollectionCase:
    case = get_case(session, actor=actor, case_id=case_id)
    if case.status != "open":
        raise InvalidTransition("案件已结案", "The case is closed")
    if outcome not in ("repaid", "restructured", "litigation", "written_off", "transferred"):
        raise ValidationFailed.field(["outcome"], "结案结果无效", "Unknown outcome")
    case.status, case.open_key, case.closed_on, case.outcome = "closed", None, get_business_date(session), outcome
    session.flush()
    audit.record(session, action="collection.case.close", object_type="collection_case", object_id=case.id,
                 actor=actor, changes={"outcome": outcome})
    return case
