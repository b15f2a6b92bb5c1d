"""Scope cases of the org routes."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES = {
    ("PUT", "/api/v1/roles/{role_code}/permissions"),
    ("POST", "/roles/{role_code}"),
    ("GET", "/lang/{locale}"),
}
UNSAFE_ROUTES: set[tuple[str, str]] = set()


def _staff_id(ctx: MatrixContext, username: str) -> int:
    from zhanye.org.models import Staff

    with ctx.db.unit_of_work(write=False) as s:
        return s.execute(select(Staff.id).where(Staff.username == username)).scalar_one()


def _fresh_staff(ctx: MatrixContext) -> tuple[dict, dict]:
    from zhanye.org import service

    ids = []
    with ctx.db.unit_of_work() as s:
        system = service.system_principal(s)
        for inst in (ctx.own_institution_id, ctx.other_institution_id):
            staff, _ = service.create_staff(s, system, username=f"m{uuid.uuid4().hex[:10]}", display_name="矩阵员工",
                                            institution_id=inst, roles=["manager"])
            ids.append(staff.id)
    return {"staff_id": ids[0]}, {"staff_id": ids[1]}


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    own_inst = {"institution_id": ctx.own_institution_id}
    other_inst = {"institution_id": ctx.other_institution_id}
    own_staff = {"staff_id": _staff_id(ctx, "manager1")}
    other_staff = {"staff_id": _staff_id(ctx, "manager3")}
    return [
        ScopeCase("GET", "/api/v1/institutions/{institution_id}", own_inst, other_inst),
        # The matrix users sit at a sub-branch, which has no child institutions: the own case
        # renames it to its own name, and closing it is refused as not empty (409), not hidden.
        ScopeCase("PATCH", "/api/v1/institutions/{institution_id}", own_inst, other_inst, body={"name": "柳河支行"}),
        ScopeCase("POST", "/api/v1/institutions/{institution_id}/move", own_inst, other_inst,
                  body={"parent_id": ctx.own_institution_id}),
        ScopeCase("POST", "/api/v1/institutions/{institution_id}/close", own_inst, other_inst),
        ScopeCase("GET", "/api/v1/staff/{staff_id}", own_staff, other_staff),
        ScopeCase("PATCH", "/api/v1/staff/{staff_id}", {}, {}, body={"display_name": "矩阵改名"}, fresh=_fresh_staff),
        ScopeCase("POST", "/api/v1/staff/{staff_id}/disable", {}, {}, fresh=_fresh_staff),
        ScopeCase("POST", "/api/v1/staff/{staff_id}/enable", {}, {}, fresh=_fresh_staff),
        ScopeCase("POST", "/api/v1/staff/{staff_id}/reset-password", {}, {}, fresh=_fresh_staff),
        ScopeCase("GET", "/staff/{staff_id}", own_staff, other_staff),
        ScopeCase("POST", "/staff/{staff_id}", {}, {}, form={"op": "update", "display_name": "矩阵改名"},
                  fresh=_fresh_staff),
    ]
