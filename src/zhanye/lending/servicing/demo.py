"""Demo data: a few loans of the demo bank's customers in 柳河支行 and 石桥支行 opened through
``open_loan`` (disbursed to clearing, repayment e-accounts funded), a collection rule per branch,
so the servicing pages have something to show."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.calendar import get_business_date
from zhanye.ledger import chart
from zhanye.ledger import service as ledger
from zhanye.lending import products
from zhanye.lending.servicing import collections, service


def seed(session: Session, ctx: Any) -> None:
    from zhanye.org import service as org_service

    actor = org_service.system_principal(session)
    ho = ctx.institutions.get("000")
    if ho is None:
        return
    chart.ensure_standard_chart(session, actor=actor, book_id=ho)
    try:
        product = products.current_product(session, code="XFD")
    except Exception:  # noqa: BLE001 - the lending demo did not run: nothing to show
        return
    bdate = get_business_date(session)
    loans = [("101", "manager1", 5_000_000, "0.0520", 12, "equal_installment"),
             ("101", "manager1", 12_000_000, "0.0480", 24, "equal_principal"),
             ("201", "manager3", 8_000_000, "0.0600", 12, "equal_installment")]
    for k, (inst, manager, amount, rate, months, method) in enumerate(loans):
        institution_id = ctx.institutions[inst]
        customer_id = 990_000 + k
        acc = ledger.open_account(session, actor=actor, institution_id=institution_id, kind="eaccount_ii",
                                  gl_code="2011", customer_id=customer_id, name="演示还款账户")
        ledger.post_entry(session, actor=actor, institution_id=institution_id,
                          lines=[ledger.debit(200_000, gl="1001"), ledger.credit(200_000, account_id=acc.id)],
                          source_type="demo.fund", source_id=str(acc.id))
        service.open_loan(session, actor=actor, customer_id=customer_id, institution_id=institution_id,
                          product_version_id=product.id, line_id=None, drawdown_id=None, principal_fen=amount,
                          annual_rate=Decimal(rate), method=method, term_months=months, start_date=bdate,
                          repayment_day=None, repay_account_id=acc.id, disburse_to_account_id=None,
                          disburse_to_gl="1131", external_id=f"demo:{uuid.uuid4().hex}",
                          manager_id=ctx.staff.get(manager))
    for inst, collector in (("101", "risk1"), ("201", "risk")):
        if collector in ctx.staff:
            collections.add_rule(session, actor=actor, collector_id=ctx.staff[collector],
                                 institution_id=ctx.institutions[inst], priority=50, min_dpd=1)
