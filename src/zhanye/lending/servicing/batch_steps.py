"""Servicing's end-of-day steps, in order (see ``eod.py``)."""

from __future__ import annotations

from zhanye.batch.service import register_step
from zhanye.lending.servicing import eod

register_step("servicing.auto_debit", 310, eod.auto_debit, title="Loan auto-debit")
register_step("servicing.accrual", 320, eod.accrual, title="Loan interest accrual")
register_step("servicing.overdue", 330, eod.overdue, title="Loan overdue and DPD", chunked=False)
register_step("servicing.penalty", 340, eod.penalty, title="Penalty and compound interest")
register_step("servicing.classification", 350, eod.classification, title="Five-level classification",
              chunked=False)
register_step("servicing.overdue_tasks", 360, eod.overdue_tasks, title="Overdue inspection tasks")
register_step("servicing.collections", 370, eod.collections_step, title="Collection cases", chunked=False)
register_step("servicing.inspections", 380, eod.inspections_step, title="Post-loan inspection schedule",
              chunked=False)
