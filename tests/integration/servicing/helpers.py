"""A small bank for the servicing tests: the demo institutions and staff, the chart, the bundled
workflow processes, a servicing test product per call, e-accounts under GL 2011 funded from
cash, and loans opened through ``servicing.open_loan`` directly."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from zhanye.core.context import Principal

START = dt.date(2026, 1, 5)
_seq = itertools.count(1)


def inst_id(session: Any, code: str) -> int:
    return int(session.execute(text("SELECT id FROM org_institution WHERE code = :c"), {"c": code}).scalar_one())


def system(session: Any) -> Principal:
    from zhanye.org.service import system_principal

    return system_principal(session)


def make_bank(db: Any, business_date: dt.date = START) -> None:
    """On an empty database: the demo tree and staff, the chart, workflow processes."""
    from zhanye.core.calendar import DEFAULT_CALENDAR_FILE, import_calendar_file, set_business_date
    from zhanye.demo import DemoContext
    from zhanye.ledger import chart
    from zhanye.org import demo as org_demo
    from zhanye.org import service as org
    from zhanye.workflow import definitions

    with db.unit_of_work() as s:
        org.sync_catalog(s)
        import_calendar_file(s, DEFAULT_CALENDAR_FILE)
        set_business_date(s, business_date)
        ctx = DemoContext(password="Zhanye#2026")
        org_demo.seed(s, ctx)
        actor = org.system_principal(s)
        chart.ensure_standard_chart(s, actor=actor, book_id=inst_id(s, "000"))
        definitions.load_bundled(s, actor)


def staff_principal(session: Any, username: str) -> Principal:
    from zhanye.org.models import Staff, StaffRole
    from zhanye.org.permissions import DEFAULT_ROLE_PERMISSIONS
    from zhanye.org.service import subtree_ids

    staff = session.execute(select(Staff).where(Staff.username == username)).scalar_one()
    roles = frozenset(session.execute(select(StaffRole.role_code).where(StaffRole.staff_id == staff.id)).scalars())
    perms = frozenset().union(*(DEFAULT_ROLE_PERMISSIONS.get(r, set()) for r in roles))
    return Principal(staff_id=staff.id, username=staff.username, display_name=staff.display_name,
                     institution_id=staff.institution_id, institution_name="", roles=roles, permissions=perms,
                     scope_ids=subtree_ids(session, staff.institution_id))


def make_product(session: Any, *, grace_days: int = 0, compound: bool = True, uplift: str = "0.5",
                 order: list[str] | None = None, fee_rule: str = "none", day_rule: str = "loan_date") -> int:
    from zhanye.lending import products
    from zhanye.lending.schemas import ProductConfig

    cfg = ProductConfig.model_validate({
        "name": "服务测试贷", "purpose_category": "consumer", "customer_type": "individual",
        "min_amount_fen": 100, "max_amount_fen": 10**10, "min_term_months": 1, "max_term_months": 360,
        "rate_type": "fixed", "fixed_rate_min": Decimal("0.01"), "fixed_rate_max": Decimal("0.24"),
        "repayment_methods": ["equal_installment", "equal_principal", "interest_first"],
        "repayment_day_rule": day_rule, "guarantee_types": ["credit"], "revolving": False,
        "line_validity_months": 12, "entrusted_threshold_fen": 0, "prepayment_fee_rule": fee_rule,
        "grace_days": grace_days, "penalty_uplift": Decimal(uplift), "compound_interest": compound,
        "allocation_order": order or ["penalty", "compound", "interest", "principal"],
        "admission_decision_key": "loan.admission.consumer", "pricing_decision_key": "loan.pricing.consumer",
        "approval_process_key": "loan.approval.standard"})
    code = f"SV{uuid.uuid4().hex[:8].upper()}"
    return products.create_product(session, actor=system(session), code=code, config=cfg).id


def eaccount(session: Any, *, customer_id: int, funds: int = 0, code: str = "101") -> int:
    from zhanye.ledger import service as ledger

    actor = system(session)
    acc = ledger.open_account(session, actor=actor, institution_id=inst_id(session, code), kind="eaccount_ii",
                              gl_code="2011", customer_id=customer_id, name="II类电子账户")
    if funds:
        fund(session, acc.id, funds)
    return acc.id


def fund(session: Any, account_id: int, amount: int) -> None:
    from zhanye.ledger import service as ledger

    acc = ledger.get_account(session, system(session), account_id)
    ledger.post_entry(session, actor=system(session), institution_id=acc.institution_id,
                      lines=[ledger.debit(amount, gl="1001"), ledger.credit(amount, account_id=account_id)],
                      source_type="test.fund", source_id=str(account_id))


def balance(session: Any, account_id: int) -> int:
    from zhanye.ledger import service as ledger

    return ledger.get_account(session, system(session), account_id).balance_fen


def new_customer() -> int:
    return 700000 + next(_seq) * 10 + uuid.uuid4().int % 7


def open_test_loan(session: Any, *, product_id: int, principal: int = 1_200_000, rate: str = "0.0600",
                   months: int = 12, method: str = "equal_installment", funds: int = 0, code: str = "101",
                   customer_id: int | None = None, repayment_day: int | None = None, line_id: int | None = None,
                   account_id: int | None = None, disburse_gl: str | None = "1131") -> Any:
    from zhanye.core.calendar import get_business_date
    from zhanye.lending.servicing import service

    customer_id = customer_id or new_customer()
    acc = account_id or eaccount(session, customer_id=customer_id, funds=funds, code=code)
    return service.open_loan(
        session, actor=system(session), customer_id=customer_id, institution_id=inst_id(session, code),
        product_version_id=product_id, line_id=line_id, drawdown_id=None, principal_fen=principal,
        annual_rate=Decimal(rate), method=method, term_months=months, start_date=get_business_date(session),
        repayment_day=repayment_day, repay_account_id=acc, disburse_to_account_id=None if disburse_gl else acc,
        disburse_to_gl=disburse_gl,
        external_id=f"test:{uuid.uuid4().hex}")


def snapshot(session: Any, loan_id: int) -> dict[str, Any]:
    """Everything a refused operation must leave unchanged."""
    from zhanye.ledger.models import JournalEntry
    from zhanye.lending.servicing.models import Allocation, Installment, Loan, LoanTxn, Repayment

    session.expire_all()
    loan = session.get(Loan, loan_id)
    cols = [c.name for c in Loan.__table__.columns]
    return {
        "loan": {c: getattr(loan, c) for c in cols},
        "installments": [tuple(r) for r in session.execute(
            select(Installment.id, Installment.principal_paid_fen, Installment.interest_paid_fen,
                   Installment.penalty_paid_fen, Installment.compound_paid_fen, Installment.settled,
                   Installment.superseded, Installment.principal_fen, Installment.interest_fen, Installment.due_date)
            .where(Installment.loan_id == loan_id).order_by(Installment.id)).all()],
        "repayments": session.execute(select(func.count()).select_from(Repayment)).scalar_one(),
        "allocations": session.execute(select(func.count()).select_from(Allocation)).scalar_one(),
        "txns": session.execute(select(func.count()).select_from(LoanTxn)).scalar_one(),
        "entries": session.execute(select(func.count()).select_from(JournalEntry)).scalar_one(),
    }


def run_eod(db: Any, days: int = 1) -> None:
    """Run the whole end of day ``days`` times (each advances the business date by one)."""
    from zhanye.batch import service as batch

    for _ in range(days):
        batch.run(db)


def run_until(db: Any, day: dt.date) -> None:
    """Run the end of day until the business date is ``day``."""
    from zhanye.core.calendar import get_business_date

    with db.unit_of_work(write=False) as s:
        current = get_business_date(s)
    run_eod(db, (day - current).days)


def ledger_ok(db: Any) -> None:
    from zhanye.ledger.check import check_ledger
    from zhanye.lending.servicing import accounting

    with db.unit_of_work(write=False) as s:
        res = check_ledger(s)
        assert res.ok, res.breaches
        assert accounting.reconcile(s) == []
