"""Data scope: a staff member sees objects of their institution and its descendants only.

Every list and fetch goes through ``in_scope`` (a SQL filter) or ``ensure_in_scope`` (for one
object); an object outside scope is reported as not found, never as forbidden.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql import ColumnElement

from zhanye.core.context import Principal
from zhanye.core.errors import NotFound


def in_scope(column: Any, principal: Principal) -> ColumnElement[bool]:
    return column.in_(sorted(principal.scope_ids))


def ensure_in_scope(institution_id: int | None, principal: Principal, *, what: str = "对象",
                    what_en: str = "object") -> None:
    if not principal.sees_institution(institution_id):
        raise NotFound(f"{what}不存在", f"The {what_en} does not exist")


def get_in_scope(session: Any, model: Any, object_id: Any, principal: Principal, *,
                 institution_attr: str = "institution_id", what: str = "对象", what_en: str = "object") -> Any:
    obj = session.get(model, object_id)
    if obj is None or not principal.sees_institution(getattr(obj, institution_attr)):
        raise NotFound(f"{what}不存在", f"The {what_en} does not exist")
    return obj
