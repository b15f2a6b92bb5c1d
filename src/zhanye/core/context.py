"""Per-request context: serial number (流水号), acting principal, device. Read by logs and audit."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from contextvars import ContextVar
from dataclasses import dataclass, field

_request_id: ContextVar[str | None] = ContextVar("zhanye_request_id", default=None)
_principal: ContextVar[Principal | None] = ContextVar("zhanye_principal", default=None)

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,63}$")


@dataclass(frozen=True)
class Principal:
    """Who acts: a staff member with their institution, roles, permissions and data scope."""

    staff_id: int
    username: str
    display_name: str
    institution_id: int
    institution_name: str
    roles: frozenset[str]
    permissions: frozenset[str]
    scope_ids: frozenset[int]  # the institution and all its descendants
    device_id: str | None = None
    must_change_password: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def sees_institution(self, institution_id: int | None) -> bool:
        return institution_id is not None and institution_id in self.scope_ids

    @property
    def customer_id(self) -> int | None:
        """Set when a customer acts for themselves through the online channel (not staff)."""
        raw = self.extra.get("customer_id")
        return int(raw) if raw else None

    @property
    def idempotency_scope(self) -> str:
        return f"customer:{self.customer_id}" if self.customer_id else f"staff:{self.staff_id}"

    @property
    def primary_role(self) -> str:
        return sorted(self.roles)[0] if self.roles else ""


SYSTEM = Principal(
    staff_id=0, username="system", display_name="system", institution_id=0,
    institution_name="system", roles=frozenset({"system"}), permissions=frozenset(),
    scope_ids=frozenset(),
)


def new_request_id() -> str:
    """A serial number: sortable-ish time prefix plus randomness, e.g. ``ZY20261122081530`` followed
    by 12 hex digits. The prefix is formatted once per second."""
    second = int(time.time())
    prefix = _prefix
    if prefix[0] != second:
        prefix = _set_prefix(second)
    return prefix[1] + secrets.token_hex(6)


def _set_prefix(second: int) -> tuple[int, str]:
    global _prefix
    _prefix = (second, f"ZY{dt.datetime.fromtimestamp(second, dt.UTC):%Y%m%d%H%M%S}")
    return _prefix


_prefix: tuple[int, str] = (-1, "")


def accept_request_id(raw: str | None) -> str:
    if raw and _REQUEST_ID_RE.match(raw):
        return raw
    return new_request_id()


def set_request_id(value: str | None) -> object:
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def request_id() -> str | None:
    return _request_id.get()


def set_principal(p: Principal | None) -> object:
    return _principal.set(p)


def current_principal() -> Principal | None:
    return _principal.get()
