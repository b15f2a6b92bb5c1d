"""Typed refusals of the ledger. Each maps to problem+json with a stable code."""

from __future__ import annotations

from zhanye.core.errors import Conflict, DomainError, ValidationFailed


class UnbalancedEntry(ValidationFailed):
    code = "ledger_unbalanced"
    title_zh = "借贷不平衡"
    title_en = "Debits do not equal credits"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    status = 422
    title_zh = "可用余额不足"
    title_en = "Insufficient available balance"


class AccountFrozen(DomainError):
    code = "account_frozen"
    status = 422
    title_zh = "账户已冻结"
    title_en = "The account is frozen"


class AccountClosed(DomainError):
    code = "account_closed"
    status = 422
    title_zh = "账户已销户"
    title_en = "The account is closed"


class AccountDormant(DomainError):
    code = "account_dormant"
    status = 422
    title_zh = "账户为久悬户，须先激活"
    title_en = "The account is dormant and must be reactivated first"


class BalanceCapExceeded(DomainError):
    code = "balance_cap_exceeded"
    status = 422
    title_zh = "超过账户余额上限"
    title_en = "The account's balance cap would be exceeded"


class AlreadyReversed(Conflict):
    code = "entry_already_reversed"
    title_zh = "该分录已冲正"
    title_en = "The entry was already reversed"
