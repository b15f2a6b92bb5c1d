"""Loan servicing use cases other features call: ``open_loan`` (origination disburses through it),
``exposure`` (admission), reads of loans, schedules and the loan ledger. Repayments, prepayments
and reversals live in ``repayments.py``; end-of-day work in ``eod.py``.

Events published (zhanye.core.events, same transaction): ``loan.principal_repaid``
{"line_id", "loan_id", "amount_fen"} whenever principal is repaid (negative on a reversal) and
``loan.closed`` {"loan_id", "line_id", "customer_id"}.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.db import is_postgresql, pg_execute
from zhanye.core.errors import Conflict, ValidationFailed
from zhanye.core.pg_writes import insert_instance
from zhanye.core.scope import in_scope
from zhanye.ledger import service as ledger
from zhanye.lending import products as product_service
from zhanye.lending.schedules import DayRule, Method, build_schedule, installment_amount
from zhanye.lending.servicing import accounting
from zhanye.lending.servicing.errors import LoanNotFound
from zhanye.lending.servicing.models import CLASS_CODES, Inspection, Installment, Loan, LoanTxn

MAX_PRINCIPAL_FEN = 10**10  # 1亿元: keeps end-of-day integer interest arithmetic exact on SQLite
RATE_SCALE = 10**8


def sees(actor: Principal, institution_id: int | None) -> bool:
    return "system" in actor.roles or actor.sees_institution(institution_id)


def rate_e8(rate: Decimal) -> int:
    scaled = rate * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise ValidationFailed.field(["annual_rate"], "利率最多 8 位小数", "The rate has more than 8 decimals")
    return int(scaled)


def penalty_rate(rate: Decimal, uplift: Decimal) -> int:
    """Penalty rate = contract rate × (1 + uplift), scaled by 10^8, rounded HALF_UP."""
    return int((rate * (1 + uplift) * RATE_SCALE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def day_interest(principal_fen: int, rate_scaled: int, days: int = 1) -> int:
    """round_half_up(principal × rate × days / 360) with the rate scaled by 10^8: the exact
    Python reference of the end-of-day SQL (integer arithmetic, no float)."""
    den = 360 * RATE_SCALE
    return (2 * principal_fen * rate_scaled * days + den) // (2 * den)


def _day_rule(product: Any, repayment_day: int | None) -> DayRule:
    rule = DayRule.parse(product.repayment_day_rule)
    if repayment_day is not None:
        return DayRule.parse(f"fixed_day:{repayment_day}")
    return rule


def _check_open(principal_fen: int, term_months: int, annual_rate: Decimal, start_date: dt.date,
                bdate: dt.date, disburse_to_account_id: int | None, disburse_to_gl: str | None) -> None:
    if isinstance(principal_fen, bool) or not isinstance(principal_fen, int) or not 0 < principal_fen <= MAX_PRINCIPAL_FEN:
        raise ValidationFailed.field(["principal_fen"], "本金须为 1 分到 1 亿元之间的整数分",
                                     "The principal must be a whole number of fen up to 100,000,000 yuan")
    if not isinstance(annual_rate, Decimal):
        raise ValidationFailed.field(["annual_rate"], "利率须为 Decimal", "The rate must be a Decimal")
    if start_date != bdate:
        raise ValidationFailed.field(["start_date"], f"起息日须为当前会计日期 {bdate}",
                                     f"The start date must be the business date {bdate}")
    if (disburse_to_account_id is None) == (disburse_to_gl is None):
        raise ValidationFailed.field(["disburse_to_account_id"], "须指定放款入账账户或科目之一",
                                     "Give exactly one of the disbursement account or GL code")


def open_loan(session: Session, *, actor: Principal, customer_id: int, institution_id: int,
              product_version_id: int, line_id: int | None, drawdown_id: int | None, principal_fen: int,
              annual_rate: Decimal, method: str, term_months: int, start_date: dt.date,
              repayment_day: int | None, repay_account_id: int | None, disburse_to_account_id: int | None,
              disburse_to_gl: str | None, external_id: str, manager_id: int | None = None,
              business_date: dt.date | None = None, new_external_id: bool = False) -> Loan:
    """Create the loan account and its installments and post the disbursement (debit loans
    receivable, credit the given account or GL) in the caller's transaction. Idempotent by
    ``external_id`` (the same id returns the loan made the first time).

    A caller that has already read the business date in this transaction passes it as
    ``business_date``; one that minted ``external_id`` itself in this transaction from a key that
    is unique by constraint (a drawdown number) passes ``new_external_id=True`` and skips the
    look-up of an earlier loan (the unique constraint still guards it).

    The disbursement is posted last, after the loan, its schedule, its loan-ledger line and its
    first inspection are written: the posting locks the institution's principal pool account and
    the audit chain head, which are then held only for the remaining writes and the commit."""
    if not new_external_id:
        prior = session.execute(select(Loan).where(Loan.external_id == external_id)).scalar_one_or_none()
        if prior is not None:
            if (prior.principal_fen, prior.customer_id, prior.product_version_id) != (principal_fen, customer_id,
                                                                                      product_version_id):
                raise Conflict("该放款号已用于另一笔贷款", "This external id was used for another loan")
            return prior
    if not sees(actor, institution_id):
        raise ValidationFailed.field(["institution_id"], "机构不在权限范围内", "The institution is outside your scope")
    bdate = business_date or get_business_date(session)
    _check_open(principal_fen, term_months, annual_rate, start_date, bdate, disburse_to_account_id, disburse_to_gl)
    product = product_service.get_product(session, product_id=product_version_id)
    rule = _day_rule(product, repayment_day)
    sched = build_schedule(amount_fen=principal_fen, months=term_months, annual_rate=annual_rate,
                           method=method, start=start_date, day_rule=rule)
    if repay_account_id is not None:
        acc = ledger.get_account(session, actor, repay_account_id)
        if acc.customer_id != customer_id:
            raise ValidationFailed.field(["repay_account_id"], "还款账户不属于该客户",
                                         "The repayment account does not belong to the customer")
    r8 = rate_e8(annual_rate)
    p8 = penalty_rate(annual_rate, Decimal(product.penalty_uplift))
    first = sched.installments[0]
    if Method(method) == Method.EQUAL_INSTALLMENT:
        inst_amount = installment_amount(principal_fen, term_months, annual_rate)
    elif Method(method) == Method.EQUAL_PRINCIPAL:
        inst_amount = first.principal_fen
    else:
        inst_amount = 0
    start_ord = start_date.toordinal()
    loan = Loan(loan_no=f"L{bdate:%Y%m%d}{secrets.token_hex(5).upper()}", external_id=external_id,
                institution_id=institution_id, customer_id=customer_id, manager_id=manager_id or (actor.staff_id or None),
                product_version_id=product.id, product_code=product.code, line_id=line_id, drawdown_id=drawdown_id,
                method=str(Method(method)), term_months=term_months, repayment_day=repayment_day,
                start_date=start_date, maturity_date=sched.maturity, principal_fen=principal_fen,
                annual_rate=annual_rate, rate_e8=r8, penalty_rate_e8=p8, grace_days=product.grace_days,
                compound=bool(product.compound_interest), allocation_order=product.allocation_order,
                prepayment_fee_rule=product.prepayment_fee_rule, installment_fen=inst_amount,
                repay_account_id=repay_account_id, status="active", cls=0, cls_floor=0, dpd=0,
                oldest_unpaid_day=first.due_date.toordinal(), outstanding_principal_fen=principal_fen,
                accrual_base_fen=principal_fen,
                accrued_day=start_ord - 1, period_no=1, period_due_day=first.due_date.toordinal(),
                period_interest_fen=first.interest_fen, penalty_day=start_ord - 1, cls_day=0, generation=1,
                created_by=actor.username)
    if is_postgresql(session):
        insert_instance(session, loan)  # (a flush of this wide row cost more CPU than the rest of open_loan)
    else:
        session.add(loan)
        session.flush()
    from zhanye.lending.servicing import inspections

    _insert_opening_rows(
        session, [installment_values(loan, i.number, i.due_date, i.principal_fen, i.interest_fen, 1)
                  for i in sched.installments],
        txn_values(loan, bdate, "disbursement", principal=principal_fen, memo="放款"),
        inspections.first_values(session, loan, due_date=not is_postgresql(session)))
    pools = accounting.ensure_pools(session, actor=actor, institution_id=institution_id)
    entry = ledger.post_entry(
        session, actor=actor, institution_id=institution_id,
        lines=[ledger.debit(principal_fen, account_id=pools["principal:0"], memo=loan.loan_no),
               ledger.credit(principal_fen, account_id=disburse_to_account_id, gl=disburse_to_gl, memo=loan.loan_no)],
        source_type="loan.disbursement", source_id=loan.loan_no, description=f"放款 {loan.loan_no}",
        external_id=f"servicing:disburse:{external_id}", new_external_id=new_external_id)
    if is_postgresql(session):
        pg_execute(session, "UPDATE servicing_loan SET disbursement_entry_id = CAST(%(e)s AS BIGINT) "
                   "WHERE id = CAST(%(id)s AS BIGINT)", {"e": entry.id, "id": loan.id})
        set_committed_value(loan, "disbursement_entry_id", entry.id)
    else:
        loan.disbursement_entry_id = entry.id
    audit.record(session, action="loan.open", object_type="loan", object_id=loan.id, actor=actor,
                 changes={"loan_no": loan.loan_no, "customer_id": customer_id, "principal_fen": principal_fen,
                          "rate": str(annual_rate), "method": loan.method, "months": term_months,
                          "line_id": line_id, "drawdown_id": drawdown_id, "entry_id": entry.id})
    return loan


def _insert_opening_rows(session: Session, installment_rows: list[dict[str, Any]], txn: dict[str, Any],
                         inspection: dict[str, Any]) -> None:
    """A new loan's installments, its disbursement line in the loan ledger and its first
    inspection: one round trip on PostgreSQL (data-modifying CTEs), three on SQLite. Core inserts
    without RETURNING: nothing in the use case needs these rows as objects in the session."""
    if session.get_bind().dialect.name == "postgresql":
        params: dict[str, Any] = {"loan_id": txn["loan_id"]}
        params |= {f"i{j}": [row.get(c) for row in installment_rows] for j, c in enumerate(_OPENING_COLS["i"])}
        params |= {f"t{j}": txn.get(c) for j, c in enumerate(_OPENING_COLS["t"])}
        params |= {f"p{j}": inspection.get(c) for j, c in enumerate(_OPENING_COLS["p"])}
        pg_execute(session, _pg_opening_sql(), params)
    else:
        session.execute(insert(Installment.__table__), installment_rows)
        session.execute(insert(LoanTxn.__table__), [txn])
        session.execute(insert(Inspection.__table__), [inspection])


_OPENING_COLS = {prefix: [c.name for c in model.__table__.columns if c.name not in ("id", "loan_id")]
                 for prefix, model in (("i", Installment), ("t", LoanTxn), ("p", Inspection))}


@functools.cache
def _pg_opening_sql() -> str:
    """The statement of ``_insert_opening_rows``: the installments as one array per column
    (``unnest``), so the statement has one shape whatever the term and few enough parameters
    for psycopg to convert it once and prepare it once per connection (``core.db.pg_execute``).
    Built from column names only."""
    from sqlalchemy.dialects import postgresql

    from zhanye.lending.servicing import inspections

    pg = postgresql.dialect()
    inst = Installment.__table__

    def cols(prefix: str) -> str:
        return ", ".join(f'"{c}"' for c in ["loan_id", *_OPENING_COLS[prefix]])

    arrays = ", ".join(f"CAST(%(i{j})s AS {inst.c[c].type.compile(dialect=pg)}[])"
                       for j, c in enumerate(_OPENING_COLS["i"]))
    txn = ", ".join(f"%(t{j})s" for j in range(len(_OPENING_COLS["t"])))
    # the first inspection's due date: the loan's start (the business date of its disbursement line,
    # `_check_open`) plus the setting's days, read by the statement
    insp = ", ".join(f"CAST(%(t{_OPENING_COLS['t'].index('business_date')})s AS DATE) + "
                     f"{inspections.first_days_sql()}" if c == "due_date" else f"%(p{j})s"
                     for j, c in enumerate(_OPENING_COLS["p"]))
    loan = "CAST(%(loan_id)s AS BIGINT)"
    return (f"WITH zy_inst AS (INSERT INTO servicing_installment ({cols('i')}) "  # noqa: S608
                f"SELECT {loan}, u.* FROM unnest({arrays}) AS u),\n"
                f"zy_txn AS (INSERT INTO servicing_loan_txn ({cols('t')}) VALUES ({loan}, {txn}))\n"
                f"INSERT INTO servicing_inspection ({cols('p')}) VALUES ({loan}, {insp})")


def installment_values(loan: Loan, number: int, due_date: dt.date, principal: int, interest: int,
                       generation: int) -> dict[str, Any]:
    due = due_date.toordinal()
    return {"loan_id": loan.id, "number": number, "generation": generation, "superseded": False,
            "due_date": due_date, "due_day": due, "principal_fen": principal, "interest_fen": interest,
            "principal_paid_fen": 0, "interest_paid_fen": 0, "penalty_fen": 0, "penalty_paid_fen": 0,
            "compound_fen": 0, "compound_paid_fen": 0, "penalty_rate_e8": loan.penalty_rate_e8,
            "compound": loan.compound, "penalty_day": due + loan.grace_days, "today_penalty_fen": 0,
            "today_compound_fen": 0, "settled": False}


def installment_row(loan: Loan, number: int, due_date: dt.date, principal: int, interest: int,
                    generation: int) -> Installment:
    return Installment(**installment_values(loan, number, due_date, principal, interest, generation))


def txn_values(loan: Loan, bdate: dt.date, kind: str, *, principal: int = 0, interest: int = 0, penalty: int = 0,
               compound: int = 0, repayment_id: int | None = None, memo: str = "") -> dict[str, Any]:
    return {"loan_id": loan.id, "institution_id": loan.institution_id, "business_date": bdate, "kind": kind,
            "principal_fen": principal, "interest_fen": interest, "penalty_fen": penalty, "compound_fen": compound,
            "principal_after_fen": loan.outstanding_principal_fen, "interest_after_fen": loan.interest_receivable_fen,
            "penalty_after_fen": loan.penalty_receivable_fen, "compound_after_fen": loan.compound_receivable_fen,
            "repayment_id": repayment_id, "memo": memo[:200]}


def add_txn(session: Session, loan: Loan, bdate: dt.date, kind: str, *, principal: int = 0, interest: int = 0,
            penalty: int = 0, compound: int = 0, repayment_id: int | None = None, memo: str = "") -> LoanTxn:
    """A loan-ledger line; the loan's running totals must already include the deltas."""
    txn = LoanTxn(**txn_values(loan, bdate, kind, principal=principal, interest=interest, penalty=penalty,
                               compound=compound, repayment_id=repayment_id, memo=memo))
    session.add(txn)
    return txn


# --- reads ---------------------------------------------------------------------------------------

def get_loan(session: Session, *, actor: Principal, loan_id: int, lock: bool = False) -> Loan:
    if lock:
        from zhanye.core.db import lock_for_update

        loan = session.execute(lock_for_update(select(Loan).where(Loan.id == loan_id), session)
                               .execution_options(populate_existing=True)).scalar_one_or_none()
    else:
        loan = session.get(Loan, loan_id)
    if loan is None or not sees(actor, loan.institution_id):
        raise LoanNotFound("贷款不存在", "The loan does not exist")
    return loan


def installments(session: Session, loan_id: int, *, include_superseded: bool = False) -> list[Installment]:
    stmt = select(Installment).where(Installment.loan_id == loan_id)
    if not include_superseded:
        stmt = stmt.where(Installment.superseded.is_(False))
    return list(session.execute(stmt.order_by(Installment.number, Installment.generation)).scalars())


def loan_ledger(session: Session, *, actor: Principal, loan_id: int, limit: int = 500,
                offset: int = 0) -> list[LoanTxn]:
    get_loan(session, actor=actor, loan_id=loan_id)
    return list(session.execute(select(LoanTxn).where(LoanTxn.loan_id == loan_id).order_by(LoanTxn.id)
                                .limit(limit).offset(offset)).scalars())


def list_loans(session: Session, *, actor: Principal, customer_id: int | None = None, status: str | None = None,
               manager_id: int | None = None, overdue: bool | None = None, limit: int = 100,
               offset: int = 0) -> tuple[list[Loan], int]:
    stmt = select(Loan)
    if "system" not in actor.roles:
        stmt = stmt.where(in_scope(Loan.institution_id, actor))
    if customer_id is not None:
        stmt = stmt.where(Loan.customer_id == customer_id)
    if status:
        stmt = stmt.where(Loan.status == status)
    if manager_id is not None:
        stmt = stmt.where(Loan.manager_id == manager_id)
    if overdue is True:
        stmt = stmt.where(Loan.dpd > 0)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Loan.id.desc()).limit(limit).offset(offset)).scalars().all()
    return list(rows), int(total)


def overdue_amounts(session: Session, loan: Loan, bdate: dt.date | None = None) -> dict[str, int]:
    """What is due and unpaid today by component (installments due on or before the date)."""
    day = (bdate or get_business_date(session)).toordinal()
    out = {"principal": 0, "interest": 0, "penalty": 0, "compound": 0}
    for i in installments(session, loan.id):
        if i.settled or i.due_day > day:
            continue
        out["principal"] += i.principal_fen - i.principal_paid_fen
        out["interest"] += i.interest_fen - i.interest_paid_fen
        out["penalty"] += i.penalty_fen - i.penalty_paid_fen
        out["compound"] += i.compound_fen - i.compound_paid_fen
    return out


def max_dpd(session: Session, *, customer_id: int) -> int:
    """The customer's worst days past due over their active loans (0 without any): ``exposure``'s
    ``max_dpd`` in one aggregate query, for checks that need nothing else."""
    return int(session.execute(_MAX_DPD, {"zm_customer_id": customer_id}).scalar() or 0)


_MAX_DPD = select(func.max(Loan.dpd)).where(Loan.customer_id == bindparam("zm_customer_id"), Loan.status == "active")


def exposure(session: Session, *, customer_id: int) -> dict[str, Any]:
    """The customer's loans for admission: outstanding principal, overdue amount, max DPD."""
    loans = list(session.execute(select(Loan).where(Loan.customer_id == customer_id, Loan.status == "active")
                                 .order_by(Loan.id)).scalars())
    bdate = get_business_date(session)
    out_loans = []
    overdue_total = 0
    for loan in loans:
        due = overdue_amounts(session, loan, bdate) if loan.dpd > 0 else {"principal": 0, "interest": 0,
                                                                           "penalty": 0, "compound": 0}
        overdue = sum(due.values())
        overdue_total += overdue
        out_loans.append({"loan_id": loan.id, "loan_no": loan.loan_no, "line_id": loan.line_id,
                          "product_code": loan.product_code, "outstanding_fen": loan.outstanding_principal_fen,
                          "overdue_fen": overdue, "dpd": loan.dpd, "classification": CLASS_CODES[loan.cls],
                          "maturity_date": loan.maturity_date.isoformat()})
    return {"customer_id": customer_id,
            "outstanding_fen": sum(v["outstanding_fen"] for v in out_loans),
            "overdue_fen": overdue_total, "max_dpd": max((v["dpd"] for v in out_loans), default=0),
            "loans": out_loans}
