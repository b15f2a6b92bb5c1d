"""Typed refusals of origination (each maps to problem+json with a stable code)."""

from __future__ import annotations

from zhanye.core.errors import Conflict, DomainError, ValidationFailed


class CustomerNotVerified(DomainError):
    code = "customer_not_verified"
    status = 422
    title_zh = "客户尚未完成实名核验"
    title_en = "The customer is not verified"


class CreditLineFrozen(Conflict):
    code = "credit_line_frozen"
    title_zh = "授信额度已冻结"
    title_en = "The credit line is frozen"


class CreditLineExpired(Conflict):
    code = "credit_line_expired"
    title_zh = "授信额度已到期"
    title_en = "The credit line has expired"


class CreditLineNotActive(Conflict):
    code = "credit_line_not_active"
    title_zh = "授信额度未生效"
    title_en = "The credit line is not active"


class InsufficientLimit(Conflict):
    code = "insufficient_limit"
    title_zh = "可用额度不足"
    title_en = "Not enough available limit"


class PayeeRequired(ValidationFailed):
    code = "entrusted_payee_required"
    title_zh = "超过自主支付限额，须受托支付给收款人"
    title_en = "Above the self-payment threshold the money must go to a payee (entrusted payment)"


class RepaymentAccountMissing(Conflict):
    code = "repayment_account_missing"
    title_zh = "客户没有可用的电子账户"
    title_en = "The customer has no usable e-account"


class ServicingUnavailable(DomainError):
    code = "servicing_unavailable"
    status = 503
    title_zh = "贷款核算模块不可用"
    title_en = "Loan servicing is not available"


_TERM_FIELDS = {"amount_fen": "amount_fen", "months": "term_months", "method": "method", "guarantee": "guarantee"}


def check_terms(product: object, *, amount_fen: int, months: int, method: str, guarantee: str | None = None) -> None:
    """``lending.products.check_loan_terms`` with the refusal reported on this API's field paths."""
    from zhanye.core.errors import FieldError
    from zhanye.lending import products

    try:
        products.check_loan_terms(product, amount_fen=amount_fen, months=months, method=method,  # type: ignore[arg-type]
                                  guarantee=guarantee)
    except products.ProductTermsRefused as exc:
        if not exc.errors:
            raise
        errors = [FieldError(["body", _TERM_FIELDS.get(str(e.loc[-1]), str(e.loc[-1]))], e.message_zh, e.message_en,
                             "out_of_range") for e in exc.errors]
        raise ValidationFailed(exc.detail_zh, exc.detail_en, errors=errors) from None


class DrawdownRefused(DomainError):
    code = "drawdown_refused"
    status = 422
    title_zh = "用信前准入复核未通过"
    title_en = "The admission re-check before the drawdown refused it"
