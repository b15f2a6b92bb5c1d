"""Scope cases of the workflow routes: a task or instance of 柳河支行 (own) and one of 石桥支行
(other, whose tasks escalate to 西城分行). Definitions are bank-wide, not institution objects."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES = {
    ("GET", "/api/v1/workflow/definitions/{key}"),
    ("GET", "/workflow/definitions/{key}"),
}
UNSAFE_ROUTES: set[tuple[str, str]] = set()


def _start(ctx: MatrixContext, institution_id: int) -> tuple[int, int]:
    from zhanye.org import service as org_service
    from zhanye.org.models import Staff
    from zhanye.workflow import service as wf
    from zhanye.workflow.models import Task

    with ctx.db.unit_of_work() as s:
        system = org_service.system_principal(s)
        submitter = s.execute(select(Staff.id).where(Staff.institution_id == institution_id)
                              .order_by(Staff.id).limit(1)).scalar_one_or_none()
        inst = wf.start(s, system, process_key="loan.approval", subject_type="authz_matrix",
                        subject_id=uuid.uuid4().hex[:12], facts={"amount_fen": 3_000_000}, submitter=submitter,
                        institution_id=institution_id, summary="矩阵测试")
        task_id = s.execute(select(Task.id).where(Task.instance_id == inst.id)).scalar_one()
        return inst.id, task_id


def _fresh_tasks(ctx: MatrixContext) -> tuple[dict, dict]:  # type: ignore[type-arg]
    own = _start(ctx, ctx.own_institution_id)
    other = _start(ctx, ctx.other_institution_id)
    return {"task_id": own[1], "instance_id": own[0]}, {"task_id": other[1], "instance_id": other[0]}


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    return [
        ScopeCase("GET", "/api/v1/workflow/tasks/{task_id}", {}, {}, fresh=_fresh_tasks),
        ScopeCase("POST", "/api/v1/workflow/tasks/{task_id}/claim", {}, {}, fresh=_fresh_tasks),
        ScopeCase("POST", "/api/v1/workflow/tasks/{task_id}/release", {}, {}, fresh=_fresh_tasks),
        ScopeCase("POST", "/api/v1/workflow/tasks/{task_id}/actions", {}, {}, fresh=_fresh_tasks,
                  body={"action": "comment", "comment": "矩阵"}),
        ScopeCase("GET", "/api/v1/workflow/instances/{instance_id}", {}, {}, fresh=_fresh_tasks),
        ScopeCase("POST", "/api/v1/workflow/instances/{instance_id}/cancel", {}, {}, fresh=_fresh_tasks),
        ScopeCase("GET", "/workflow/tasks/{task_id}", {}, {}, fresh=_fresh_tasks),
        ScopeCase("POST", "/workflow/tasks/{task_id}", {}, {}, fresh=_fresh_tasks,
                  form={"op": "comment", "comment": "矩阵"}),
        ScopeCase("GET", "/workflow/instances/{instance_id}", {}, {}, fresh=_fresh_tasks),
    ]
