"""Scope cases of the loan servicing routes (API and pages)."""

from __future__ import annotations

import itertools
import uuid
from decimal import Decimal
from typing import Any

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES: set[tuple[str, str]] = set()
UNSAFE_ROUTES: set[tuple[str, str]] = set()

_cid = itertools.count(880_000 + uuid.uuid4().int % 10_000 * 10)


def make_loan(ctx: MatrixContext, institution_id: int, funds: int = 500_000) -> dict[str, Any]:
    from zhanye.core.calendar import get_business_date
    from zhanye.ledger import service as ledger
    from zhanye.lending import products
    from zhanye.lending.servicing import service
    from zhanye.lending.servicing.models import Inspection
    from zhanye.org.service import system_principal

    with ctx.db.unit_of_work() as s:
        actor = system_principal(s)
        customer = next(_cid)
        acc = ledger.open_account(s, actor=actor, institution_id=institution_id, kind="eaccount_ii", gl_code="2011",
                                  customer_id=customer, name="矩阵还款账户")
        ledger.post_entry(s, actor=actor, institution_id=institution_id,
                          lines=[ledger.debit(funds, gl="1001"), ledger.credit(funds, account_id=acc.id)],
                          source_type="test.fund", source_id=str(acc.id))
        loan = service.open_loan(
            s, actor=actor, customer_id=customer, institution_id=institution_id,
            product_version_id=products.current_product(s, code="XFD").id, line_id=None, drawdown_id=None,
            principal_fen=1_000_000, annual_rate=Decimal("0.0500"), method="equal_installment", term_months=12,
            start_date=get_business_date(s), repayment_day=None, repay_account_id=acc.id,
            disburse_to_account_id=None, disburse_to_gl="1131", external_id=f"matrix:{uuid.uuid4().hex}")
        s.flush()
        from sqlalchemy import select

        insp = s.execute(select(Inspection.id).where(Inspection.loan_id == loan.id)).scalar_one()
        return {"loan_id": loan.id, "customer_id": customer, "inspection_id": insp}


def _repayment(ctx: MatrixContext, institution_id: int) -> dict[str, Any]:
    from zhanye.lending.servicing import repayments
    from zhanye.org.service import system_principal

    loan = make_loan(ctx, institution_id)
    with ctx.db.unit_of_work() as s:
        rep = repayments.prepay(s, actor=system_principal(s), loan_id=loan["loan_id"], kind="partial",
                                principal_fen=10_000, option="lower_installment", channel="cash",
                                external_id=uuid.uuid4().hex)
        return {"repayment_id": rep.id}


def _case(ctx: MatrixContext, institution_id: int) -> dict[str, Any]:
    from zhanye.core.calendar import get_business_date
    from zhanye.lending.servicing.models import CollectionCase

    customer = next(_cid)
    with ctx.db.unit_of_work() as s:
        case = CollectionCase(customer_id=customer, institution_id=institution_id, open_key=customer,
                              opened_on=get_business_date(s), status="open", overdue_fen=1000, max_dpd=5)
        s.add(case)
        s.flush()
        return {"case_id": case.id}


def _overdue_inspection(ctx: MatrixContext, institution_id: int) -> dict[str, Any]:
    from zhanye.core.calendar import get_business_date
    from zhanye.lending.servicing import eod
    from zhanye.lending.servicing.models import Loan
    from zhanye.org.service import system_principal

    loan = make_loan(ctx, institution_id)
    with ctx.db.unit_of_work() as s:
        rec = eod.start_overdue_inspection(s, system_principal(s), s.get(Loan, loan["loan_id"]), get_business_date(s))
        return {"inspection_id": rec.id}


def _pair(ctx: MatrixContext, make: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return make(ctx, ctx.own_institution_id), make(ctx, ctx.other_institution_id)


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    own, other = _pair(ctx, make_loan)
    lo, lx = {"loan_id": own["loan_id"]}, {"loan_id": other["loan_id"]}
    io, ix = {"inspection_id": own["inspection_id"]}, {"inspection_id": other["inspection_id"]}
    inspection_body = {"answers": {"funds_use": True, "operation": True, "income": True, "collateral": True,
                                   "adverse": True}, "conclusion": "normal"}
    return [
        ScopeCase("GET", "/api/v1/loans/{loan_id}", lo, lx),
        ScopeCase("GET", "/api/v1/loans/{loan_id}/ledger", lo, lx),
        ScopeCase("GET", "/api/v1/loans/{loan_id}/repayments", lo, lx),
        ScopeCase("POST", "/api/v1/loans/{loan_id}/repayments", lo, lx, body={"amount_fen": 100, "channel": "eaccount"}),
        ScopeCase("POST", "/api/v1/loans/{loan_id}/prepayment-quote", lo, lx, body={"kind": "full"}),
        ScopeCase("POST", "/api/v1/loans/{loan_id}/prepayments", lo, lx,
                  body={"kind": "partial", "principal_fen": 1000, "option": "lower_installment", "channel": "cash"}),
        ScopeCase("POST", "/api/v1/loans/{loan_id}/risk-warnings", lo, lx,
                  body={"level": "low", "disposal": "monitor", "reason": "矩阵测试"}),
        ScopeCase("POST", "/api/v1/loans/{loan_id}/classification", {}, {},
                  body={"classification": "substandard", "reason": "矩阵测试"},
                  fresh=lambda c: tuple({"loan_id": x["loan_id"]} for x in _pair(c, make_loan))),
        ScopeCase("POST", "/api/v1/repayments/{repayment_id}/reversal", {}, {}, body={"reason": "矩阵测试"},
                  fresh=lambda c: _pair(c, _repayment)),
        ScopeCase("POST", "/api/v1/overdue-inspections/{inspection_id}/plan", {}, {},
                  body={"disposal_plan": "电话催收并上门核实"}, fresh=lambda c: _pair(c, _overdue_inspection)),
        ScopeCase("GET", "/api/v1/collection-cases/{case_id}", {}, {}, fresh=lambda c: _pair(c, _case)),
        ScopeCase("POST", "/api/v1/collection-cases/{case_id}/contacts", {}, {},
                  body={"channel": "phone", "result": "no_answer"}, fresh=lambda c: _pair(c, _case)),
        ScopeCase("POST", "/api/v1/collection-cases/{case_id}/close", {}, {}, body={"outcome": "repaid"},
                  fresh=lambda c: _pair(c, _case)),
        ScopeCase("POST", "/api/v1/inspections/{inspection_id}/perform", {}, {}, body=inspection_body,
                  fresh=lambda c: tuple({"inspection_id": x["inspection_id"]} for x in _pair(c, make_loan))),
        ScopeCase("GET", "/servicing/loans/{loan_id}", lo, lx),
        ScopeCase("POST", "/servicing/loans/{loan_id}/repay", lo, lx,
                  form={"amount": "1.00", "channel": "eaccount", "token": uuid.uuid4().hex}),
        ScopeCase("POST", "/servicing/loans/{loan_id}/prepay-quote", lo, lx, form={"kind": "full"}),
        ScopeCase("POST", "/servicing/loans/{loan_id}/prepay", lo, lx,
                  form={"kind": "partial", "principal_fen": "1000", "option": "lower_installment", "channel": "cash",
                        "token": uuid.uuid4().hex}),
        ScopeCase("POST", "/servicing/repayments/{repayment_id}/reverse", {}, {}, form={"reason": "矩阵测试"},
                  fresh=lambda c: _pair(c, _repayment)),
        ScopeCase("GET", "/servicing/collections/{case_id}", {}, {}, fresh=lambda c: _pair(c, _case)),
        ScopeCase("POST", "/servicing/collections/{case_id}/contacts", {}, {},
                  form={"channel": "phone", "result": "no_answer"}, fresh=lambda c: _pair(c, _case)),
        ScopeCase("GET", "/servicing/inspections/{inspection_id}", io, ix),
        ScopeCase("POST", "/servicing/inspections/{inspection_id}", {}, {},
                  form={"conclusion": "normal", "q_funds_use": "yes"},
                  fresh=lambda c: tuple({"inspection_id": x["inspection_id"]} for x in _pair(c, make_loan))),
    ]
