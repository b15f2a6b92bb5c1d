"""Servicing's typed errors."""

from __future__ import annotations

from zhanye.core.errors import Conflict, DomainError, NotFound


class LoanNotFound(NotFound):
    code = "loan_not_found"
    title_zh = "贷款不存在"
    title_en = "The loan does not exist"


class LoanClosed(Conflict):
    code = "loan_closed"
    title_zh = "贷款已结清"
    title_en = "The loan is closed"


class NothingDue(DomainError):
    code = "nothing_due"
    status = 422
    title_zh = "当前没有应还款项"
    title_en = "Nothing is due on this loan"


class PrepaymentRefused(DomainError):
    code = "prepayment_refused"
    status = 422
    title_zh = "不能办理提前还款"
    title_en = "The prepayment is not possible"


class ReversalRefused(Conflict):
    code = "reversal_refused"
    title_zh = "不能冲正此笔还款"
    title_en = "This repayment cannot be reversed"
