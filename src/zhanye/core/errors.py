"""Typed domain errors. Each maps to an RFC 9457 problem+json with a stable ``code``,
a Chinese and an English title, and (for validation) the field paths at fault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass
class FieldError:
    loc: list[str | int]
    message_zh: str
    message_en: str
    type: str = "invalid"

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "field": ".".join(str(p) for p in self.loc),
            "loc": self.loc,
            "type": self.type,
            "message": self.message_zh if lang == "zh" else self.message_en,
        }


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 422
    title_zh: ClassVar[str] = "业务规则不允许此操作"
    title_en: ClassVar[str] = "The operation is not allowed by a business rule"

    def __init__(self, detail_zh: str | None = None, detail_en: str | None = None, *,
                 errors: list[FieldError] | None = None, **extra: Any) -> None:
        self.detail_zh = detail_zh
        self.detail_en = detail_en or detail_zh
        self.errors = errors or []
        self.extra = extra
        super().__init__(detail_en or detail_zh or self.title_en)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def detail(self, lang: str) -> str | None:
        return self.detail_zh if lang == "zh" else self.detail_en


class ValidationFailed(DomainError):
    code = "validation_failed"
    status = 422
    title_zh = "输入有误"
    title_en = "The input is not valid"

    @classmethod
    def field(cls, loc: list[str | int] | str, message_zh: str, message_en: str,
              type: str = "invalid") -> ValidationFailed:
        path = loc.split(".") if isinstance(loc, str) else loc
        return cls(message_zh, message_en, errors=[FieldError(list(path), message_zh, message_en, type)])


class NotFound(DomainError):
    code = "not_found"
    status = 404
    title_zh = "对象不存在"
    title_en = "Not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    title_zh = "与当前状态冲突"
    title_en = "Conflicts with the current state"


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"
    title_zh = "幂等键已用于另一请求"
    title_en = "The Idempotency-Key was used with a different request"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title_zh = "当前状态不允许此操作"
    title_en = "This action is not allowed in the current state"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    title_zh = "请先登录"
    title_en = "Authentication required"


class LoginFailed(Unauthenticated):
    code = "login_failed"
    title_zh = "用户名或密码错误"
    title_en = "Wrong username or password"


class AccountLocked(DomainError):
    code = "account_locked"
    status = 423
    title_zh = "账户已锁定"
    title_en = "The account is locked"


class AccountDisabled(Unauthenticated):
    code = "account_disabled"
    title_zh = "账户已停用"
    title_en = "The account is disabled"


class PasswordChangeRequired(DomainError):
    code = "password_change_required"
    status = 403
    title_zh = "请先修改密码"
    title_en = "The password must be changed first"


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    title_zh = "没有此操作的权限"
    title_en = "You do not have permission for this action"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    status = 413
    title_zh = "请求内容过大"
    title_en = "The request body is too large"


class ProviderUnavailable(DomainError):
    code = "provider_unavailable"
    status = 503
    title_zh = "外部服务暂不可用"
    title_en = "An external service is unavailable"
