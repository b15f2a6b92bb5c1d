"""JSON API of the workflow: inbox and task actions, instances and their timeline, process
definitions (upload with per-line errors), the SLA board, metrics and scan, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import ValidationFailed
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require
from zhanye.workflow import definitions, queries, schemas
from zhanye.workflow import service as wf
from zhanye.workflow.models import ProcessDefinition, ProcessStep, Task
from zhanye.workflow.tasks import NotSubmitter, inbox_cursor, parse_inbox_cursor

router = APIRouter(prefix="/api/v1/workflow", tags=["workflow"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def definition_out(d: ProcessDefinition, *, source: bool = False) -> dict[str, Any]:
    spec = definitions.spec_of(d)
    out: dict[str, Any] = {
        "id": d.id, "key": d.key, "version": d.version, "name": d.name_zh, "name_en": d.name_en, "owner": d.owner,
        "sla_hours": float(spec.sla_hours) if spec.sla_hours is not None else None,
        "manual_start": spec.manual_start, "is_current": d.is_current, "created_at": d.created_at,
        "created_by": d.created_by,
        "steps": [{"id": s.id, "name": s.name, "kind": s.kind, "need": s.need, "of": len(s.branches),
                   "when": s.when, "sla_hours": float(s.sla_hours) if s.sla_hours is not None else None,
                   "assign": [{"role": b.role, "level": b.level} for b in s.branches]} for s in spec.steps],
    }
    if source:
        out["source"] = d.source
    return out


# --- inbox and tasks -----------------------------------------------------------------------------

@router.get("/tasks")
def api_inbox(request: Request, process_key: Annotated[str | None, Query(max_length=64)] = None,
              sla_state: Annotated[str | None, Query(pattern="^(ok|yellow|red)$")] = None,
              claimed: bool | None = None, q: Annotated[str | None, Query(max_length=64)] = None,
              page: Annotated[int, Query(ge=1, le=100000)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 20,
              after: Annotated[str | None, Query(max_length=48)] = None,
              principal: Principal = Depends(require("task.read"))) -> Any:
    """``after``: the ``next`` of the previous page (keyset paging; ``page`` is then ignored)."""
    position = parse_inbox_cursor(after) if after else None

    def action(session: Session) -> Any:
        rows, total = wf.inbox(session, principal, process_key=process_key, sla_state=sla_state, claimed=claimed,
                               q=q, page=page, page_size=page_size, after=position)
        return {"items": [queries.task_view(principal, t, i, s) for t, i, s in rows], "total": total,
                "page": 1 if after else page, "page_size": page_size,
                "next": inbox_cursor(rows[-1][0]) if len(rows) == page_size else None}

    return read(request, action)


@router.get("/tasks/{task_id}")
def api_task(task_id: int, request: Request, principal: Principal = Depends(require("task.read"))) -> Any:
    return read(request, lambda s: queries.task_detail(s, principal, task_id))


def _task_after(session: Session, principal: Principal, task: Task) -> dict[str, Any]:
    inst = wf.get_instance(session, principal, task.instance_id)
    step = session.get(ProcessStep, task.step_id)
    assert step is not None
    return {**queries.task_view(principal, task, inst, step), "instance_status": inst.status}


@router.post("/tasks/{task_id}/claim")
def api_claim(task_id: int, request: Request, principal: Principal = Depends(require("task.act"))) -> JSONResponse:
    return run_write(request, principal, lambda s: _task_after(s, principal, wf.claim(s, principal, task_id=task_id)))


@router.post("/tasks/{task_id}/release")
def api_release(task_id: int, request: Request, principal: Principal = Depends(require("task.act"))) -> JSONResponse:
    return run_write(request, principal, lambda s: _task_after(s, principal, wf.release(s, principal, task_id=task_id)))


@router.post("/tasks/{task_id}/actions")
def api_act(task_id: int, body: schemas.ActionIn, request: Request, idempotency_key: IdemKey = None,
            principal: Principal = Depends(require("task.act"))) -> JSONResponse:
    def action(session: Session) -> Any:
        task = wf.act(session, principal, task_id=task_id, action=body.action, comment=body.comment,
                      attachments=[a.model_dump() for a in body.attachments], adjustments=body.adjustments,
                      to_step=body.to_step, staff_id=body.staff_id, facts=body.facts,
                      expected_version=body.expected_version)
        return _task_after(session, principal, task)

    return run_write(request, principal, action, payload={"task_id": task_id, **body.model_dump()},
                     key=idempotency_key)


# --- instances -----------------------------------------------------------------------------------

@router.get("/instances")
def api_instances(request: Request, process_key: Annotated[str | None, Query(max_length=64)] = None,
                  status: Annotated[str | None, Query(pattern="^(running|returned|approved|rejected|cancelled)$")] = None,
                  card: Annotated[str | None, Query(pattern="^(none|yellow|red)$")] = None,
                  page: Annotated[int, Query(ge=1, le=100000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=200)] = 20,
                  principal: Principal = Depends(require("process.read"))) -> Any:
    def action(session: Session) -> Any:
        rows, total = queries.list_instances(session, principal, process_key=process_key, status=status, card=card,
                                             page=page, page_size=page_size)
        return {"items": [queries.instance_view(i) for i in rows], "total": total, "page": page,
                "page_size": page_size}

    return read(request, action)


@router.post("/instances", status_code=201)
def api_start(body: schemas.StartIn, request: Request, idempotency_key: IdemKey = None,
              principal: Principal = Depends(require("task.act"))) -> JSONResponse:
    return run_write(request, principal, lambda s: queries.instance_view(wf.start_manual(
        s, principal, process_key=body.process_key, summary=body.summary, subject_id=body.subject_id,
        facts=body.facts)), payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/instances/{instance_id}")
def api_instance(instance_id: int, request: Request, principal: Principal = Depends(require("process.read"))) -> Any:
    return read(request, lambda s: queries.timeline(s, principal, instance_id))


@router.post("/instances/{instance_id}/cancel")
def api_cancel(instance_id: int, request: Request, principal: Principal = Depends(require("task.act"))) -> JSONResponse:
    def action(session: Session) -> Any:
        inst = wf.get_instance(session, principal, instance_id)
        if inst.submitter_id != principal.staff_id and not principal.can("process.manage"):
            raise NotSubmitter("只有提交人或流程管理员可以撤销", "Only the submitter or a process admin can withdraw")
        return queries.instance_view(wf.cancel(session, principal, instance_id=instance_id, reason="撤销"))

    return run_write(request, principal, action)


# --- definitions ---------------------------------------------------------------------------------

@router.get("/definitions")
def api_definitions(request: Request, principal: Principal = Depends(require("process.read"))) -> Any:
    return read(request, lambda s: {"items": [definition_out(d) for d in wf.list_definitions(s, principal)]})


@router.get("/definitions/{key}")
def api_definition(key: str, request: Request, principal: Principal = Depends(require("process.read"))) -> Any:
    return read(request, lambda s: {"versions": [definition_out(d, source=True)
                                                 for d in wf.definition_versions(s, principal, key)]})


@router.post("/definitions", status_code=201)
async def api_publish(request: Request, idempotency_key: IdemKey = None,
                      principal: Principal = Depends(require("process.manage"))) -> JSONResponse:
    """Upload a definition: a JSON body ``{"source": "<yaml>"}`` or the YAML itself
    (``Content-Type: application/yaml`` or ``text/yaml``). Errors come back per line."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if ctype in ("application/yaml", "text/yaml", "application/x-yaml", "text/plain"):
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed.field(["body"], "须为 UTF-8 文本", "must be UTF-8 text") from None
    else:
        from pydantic import ValidationError

        try:
            source = schemas.DefinitionIn.model_validate_json(raw or b"{}").source
        except ValidationError as exc:
            raise ValidationFailed.field(["source"], "请提交 {\"source\": YAML 文本}",
                                         f"send {{\"source\": \"<yaml>\"}} ({exc.errors()[0]['msg']})") from None

    def action(session: Session) -> Any:
        definition, created = wf.publish_definition(session, principal, source)
        return {**definition_out(definition), "created": created}

    return run_write(request, principal, action, payload={"source": source}, key=idempotency_key, status_code=201)


# --- SLA ------------------------------------------------------------------------------------------

@router.get("/sla/metrics")
def api_metrics(request: Request, process_key: Annotated[str | None, Query(max_length=64)] = None,
                days: Annotated[int | None, Query(ge=1, le=3660)] = None,
                principal: Principal = Depends(require("sla.read"))) -> Any:
    since = utcnow() - dt.timedelta(days=days) if days else None
    return read(request, lambda s: wf.metrics(s, principal, process_key=process_key, since=since))


@router.get("/sla/board")
def api_board(request: Request, principal: Principal = Depends(require("sla.read"))) -> Any:
    return read(request, lambda s: {"items": wf.board(s, principal)})


@router.post("/sla/scan")
def api_scan(request: Request, principal: Principal = Depends(require("process.manage"))) -> JSONResponse:
    def action(session: Session) -> Any:
        result = wf.scan(session, utcnow())
        return {**result.__dict__, "cards": result.cards}

    return run_write(request, principal, action)


# --- notifications ------------------------------------------------------------------------------

@router.get("/notifications")
def api_notifications(request: Request, unread: bool = False,
                      principal: Principal = Depends(require("task.read"))) -> Any:
    return read(request, lambda s: {"unread": wf.unread_count(s, principal), "items": [
        {"id": n.id, "kind": n.kind, "text": n.text, "task_id": n.task_id, "instance_id": n.instance_id,
         "created_at": n.created_at, "read": n.read_at is not None}
        for n in wf.list_notifications(s, principal, unread_only=unread)]})


@router.post("/notifications/read")
def api_notifications_read(request: Request, principal: Principal = Depends(require("task.read"))) -> JSONResponse:
    return run_write(request, principal, lambda s: {"marked": wf.mark_read(s, principal)})
