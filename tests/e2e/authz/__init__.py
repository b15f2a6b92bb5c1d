"""Scope cases for the authorization matrix, one module per feature (``org.py``, ...).

Each module defines ``scope_cases(ctx: MatrixContext) -> list[ScopeCase]``: for a route whose
path names an object, the parameters of one object in the caller's own institution and one in
another institution (and, for writes, a valid body). The matrix then proves: a role with the
route's permission gets the own object (not 401/403/404) and a 404 for the other one; a role
without it gets 403 for both.

A module may also define ``NO_OBJECT_ROUTES`` (a set of (method, path) whose path parameters do
not name an institution-scoped object, e.g. a role code) and ``UNSAFE_ROUTES`` (routes the
permission sweep must not call with an allowed role, e.g. one that starts end-of-day; only the
denial is checked for them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ScopeCase:
    method: str
    path: str  # the route's path template, e.g. "/api/v1/staff/{staff_id}"
    own: dict[str, Any]
    other: dict[str, Any]
    body: dict[str, Any] | None = None
    form: dict[str, Any] | None = None  # for page routes that take a form
    # Writes that would spoil the shared objects for later cases may set a factory that makes
    # fresh own/other params per call: fresh(ctx) -> (own, other)
    fresh: Any = None


@dataclass
class MatrixContext:
    client: Any
    db: Any
    own_institution_id: int  # 柳河支行 (101): where the matrix users sit
    other_institution_id: int  # 石桥支行 (201)
    admin_headers: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)
