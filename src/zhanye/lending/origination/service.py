"""The use cases of origination in one place for other features, routes and pages.

Other features call (all keyword-only, caller owns the transaction):

* ``freeze_line(session, actor=..., line_id=..., reason=...)`` / ``unfreeze_line(...)`` — fraud controls;
* ``get_line`` / ``list_lines`` / ``line_out`` — reading lines;
* ``create_drawdown(...)`` — a drawdown against a line (atomic with servicing's ``open_loan``).

Subscriptions: ``loan.principal_repaid`` {line_id, amount_fen} restores a revolving line; the
workflow's outcome handler for ``loan_application`` applies approvals.
"""

from __future__ import annotations

from zhanye.lending.origination.applications import (
    SUBJECT_TYPE,
    application_out,
    create_application,
    get_application,
    list_applications,
    on_approval_outcome,
    submit,
    update_application,
    withdraw,
)
from zhanye.lending.origination.drawdowns import (
    check_can_draw,
    confirm_payment,
    create_drawdown,
    drawdown_out,
    get_drawdown,
    list_drawdowns,
)
from zhanye.lending.origination.lines import (
    expire_lines,
    freeze_line,
    get_line,
    line_out,
    list_lines,
    on_principal_repaid,
    reduce_line,
    request_signing_code,
    sign,
    unfreeze_line,
)
from zhanye.lending.origination.payments import (
    add_voucher,
    create_offline_payment,
    get_offline_payment,
    list_offline_payments,
    offline_payment_out,
    overdue_vouchers,
    review_offline_payment,
    voucher_out,
)
from zhanye.lending.origination.precredit import run_campaign

__all__ = [
    "SUBJECT_TYPE", "add_voucher", "application_out", "check_can_draw", "confirm_payment", "create_application",
    "create_drawdown", "create_offline_payment", "drawdown_out", "expire_lines", "freeze_line", "get_application",
    "get_drawdown", "get_line", "get_offline_payment", "line_out", "list_applications", "list_drawdowns",
    "list_lines", "list_offline_payments", "offline_payment_out", "on_approval_outcome", "on_principal_repaid",
    "overdue_vouchers", "reduce_line", "register", "request_signing_code", "review_offline_payment", "run_campaign",
    "sign", "submit", "unfreeze_line", "update_application", "voucher_out", "withdraw",
]


def register() -> None:
    """Wire the cross-feature reactions (idempotent; done at import and by setup.on_app)."""
    from zhanye.core import events
    from zhanye.workflow import service as workflow

    workflow.register_outcome_handler(SUBJECT_TYPE, on_approval_outcome)
    events.subscribe("loan.principal_repaid", on_principal_repaid)


register()
