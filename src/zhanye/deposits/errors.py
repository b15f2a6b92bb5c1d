"""Typed refusals of e-accounts and deposits."""

from __future__ import annotations

from zhanye.core.errors import DomainError


class LimitExceeded(DomainError):
    code = "eaccount_limit_exceeded"
    status = 422
    title_zh = "超过电子账户限额"
    title_en = "The e-account limit would be exceeded"


class CustomerNotVerified(DomainError):
    code = "customer_not_verified"
    status = 422
    title_zh = "客户未完成身份核验"
    title_en = "The customer is not verified"


class CardBindingRefused(DomainError):
    code = "card_binding_refused"
    status = 422
    title_zh = "绑定账户校验未通过"
    title_en = "The bound card check failed"


class DepositRuleViolation(DomainError):
    code = "deposit_rule"
    status = 422
    title_zh = "不符合存款产品规则"
    title_en = "The deposit product's rules do not allow this"
