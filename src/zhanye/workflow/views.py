"""Pages: inbox, task detail with the action buttons, instance list and timeline, the SLA board,
the definition list with a read-only diagram, and the definition upload with per-line errors."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.org.permissions import ROLES
from zhanye.web import home, nav
from zhanye.web.deps import page_business_date, require
from zhanye.web.forms import domain_message
from zhanye.web.i18n import gettext_ as _
from zhanye.web.templating import render
from zhanye.workflow import definitions, queries, subjects
from zhanye.workflow import service as wf

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("workflow_inbox", "My tasks", "/workflow/inbox", "task.read", icon="inbox", order=20))
nav.register(nav.NavItem("workflow_instances", "Processes", "/workflow/instances", "process.read", icon="diagram-3",
                         order=700))
nav.register(nav.NavItem("workflow_sla", "SLA board", "/workflow/sla", "sla.read", icon="clock-history", order=710))
nav.register(nav.NavItem("workflow_definitions", "Process definitions", "/workflow/definitions", "process.read",
                         icon="diagram-2", order=720))

LEVEL_NAMES = {"origin": "Applicant's institution", "sub_branch": "Sub-branch", "branch": "Branch",
               "head_office": "Head office"}
KIND_NAMES = {"single": "Single approver", "parallel": "Parallel", "quorum": "Committee", "resubmit": "Resubmit"}


def _home_panel(session: Session, principal: Principal) -> dict[str, Any]:
    rows, total = wf.inbox(session, principal, page_size=5)
    return {"template": "workflow/_home_panel.html",
            "wf_tasks": [queries.task_view(principal, t, i, s) for t, i, s in rows], "wf_total": total,
            "wf_unread": wf.unread_count(session, principal)}


home.register(home.HomePanel("workflow_tasks", "My tasks", "task.read", _home_panel, order=10))


def _page(request: Request, session: Session) -> None:
    page_business_date(request, session)


def _names(session: Session) -> dict[str, Any]:
    from sqlalchemy import select

    from zhanye.org.models import Institution

    return {"institutions": dict(session.execute(select(Institution.id, Institution.name)).all()),
            "roles": {k: v for k, v in ROLES.items()}}


def _process_names(session: Session, principal: Principal) -> dict[str, str]:
    return {d.key: d.name_zh for d in wf.list_definitions(session, principal)}


# --- inbox -----------------------------------------------------------------------------------------

@router.get("/workflow/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, process_key: str = "", sla_state: str = "", claimed: str = "", q: str = "",
               page: int = 1, principal: Principal = Depends(require("task.read"))) -> HTMLResponse:
    page = max(1, min(page, 100000))
    sla_state = sla_state if sla_state in ("ok", "yellow", "red") else ""
    claimed_flag = {"mine": True, "pool": False}.get(claimed)
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
        rows, total = wf.inbox(session, principal, process_key=process_key[:64] or None, sla_state=sla_state or None,
                               claimed=claimed_flag, q=q[:64] or None, page=page, page_size=20)
        items = [queries.task_view(principal, t, i, s) for t, i, s in rows]
        ctx = {"items": items, "total": total, "page": page, "page_size": 20, "process_key": process_key,
               "sla_state": sla_state, "claimed": claimed, "q": q[:64],
               "processes": _process_names(session, principal), **_names(session),
               "notifications": wf.list_notifications(session, principal, unread_only=True, limit=10),
               "query": urlencode({k: v for k, v in {"process_key": process_key, "sla_state": sla_state,
                                                     "claimed": claimed, "q": q[:64]}.items() if v})}
    return render(request, "workflow/inbox.html", ctx)


@router.post("/workflow/notifications/read")
def notifications_read(request: Request, principal: Principal = Depends(require("task.read"))) -> Response:
    with request.app.state.db.unit_of_work() as session:
        wf.mark_read(session, principal)
    return RedirectResponse("/workflow/inbox", status_code=303)


# --- task detail and actions --------------------------------------------------------------------------

def _task_page(request: Request, principal: Principal, task_id: int, *, error: str | None = None,
               ok: str | None = None, status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
        task = queries.task_detail(session, principal, task_id)
        tl = queries.timeline(session, principal, task["instance_id"])
        ctx = {"task": task, "tl": tl, "error": error, "ok": ok, **_names(session),
               "subject_link": subjects.link(task["subject_type"], str(task["subject_id"]), principal),
               "process_name": _process_names(session, principal).get(task["process_key"], task["process_key"])}
    return render(request, "workflow/task.html", ctx, status_code=status_code)


@router.get("/workflow/tasks/{task_id}", response_class=HTMLResponse)
def task_page(task_id: int, request: Request, principal: Principal = Depends(require("task.read"))) -> HTMLResponse:
    return _task_page(request, principal, task_id)


def _int(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


@router.post("/workflow/tasks/{task_id}", response_class=HTMLResponse)
async def task_submit(task_id: int, request: Request, principal: Principal = Depends(require("task.act"))) -> Response:
    form = await request.form()
    op = str(form.get("op", ""))
    comment = str(form.get("comment", ""))[:2000]
    try:
        with request.app.state.db.unit_of_work() as session:
            if op == "claim":
                wf.claim(session, principal, task_id=task_id)
            elif op == "release":
                wf.release(session, principal, task_id=task_id)
            else:
                adjustments: dict[str, Any] = {}
                amount_yuan = str(form.get("approved_amount_yuan", "")).strip()
                if amount_yuan:
                    from decimal import Decimal, InvalidOperation

                    try:
                        adjustments["approved_amount_fen"] = int(Decimal(amount_yuan) * 100)
                    except InvalidOperation:
                        adjustments["approved_amount_fen"] = amount_yuan
                rate = str(form.get("approved_rate", "")).strip()
                if rate:
                    adjustments["approved_rate"] = rate
                wf.act(session, principal, task_id=task_id, action=op, comment=comment,
                       adjustments=adjustments or None, to_step=str(form.get("to_step", "")) or None,
                       staff_id=_int(form.get("staff_id")), expected_version=_int(form.get("version")))
    except DomainError as exc:
        return _task_page(request, principal, task_id, error=domain_message(exc),
                          status_code=exc.status if exc.status != 404 else 404)
    return RedirectResponse(f"/workflow/tasks/{task_id}?done={op}", status_code=303)


# --- instances -----------------------------------------------------------------------------------

@router.get("/workflow/instances", response_class=HTMLResponse)
def instances_page(request: Request, process_key: str = "", status: str = "", page: int = 1,
                   principal: Principal = Depends(require("process.read"))) -> HTMLResponse:
    page = max(1, min(page, 100000))
    status = status if status in ("running", "returned", "approved", "rejected", "cancelled") else ""
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
        rows, total = queries.list_instances(session, principal, process_key=process_key[:64] or None,
                                             status=status or None, page=page, page_size=20)
        manual = [d for d in wf.list_definitions(session, principal) if definitions.spec_of(d).manual_start]
        ctx = {"items": [queries.instance_view(i) for i in rows], "total": total, "page": page, "page_size": 20,
               "process_key": process_key, "status": status, "processes": _process_names(session, principal),
               "manual": manual, **_names(session), "error": request.query_params.get("error"),
               "query": urlencode({k: v for k, v in {"process_key": process_key, "status": status}.items() if v})}
    return render(request, "workflow/instances.html", ctx)


@router.post("/workflow/instances", response_class=HTMLResponse)
async def instances_start(request: Request, principal: Principal = Depends(require("task.act"))) -> Response:
    form = await request.form()
    from zhanye.web.forms import validate_form
    from zhanye.workflow.schemas import StartIn

    data, errors = validate_form(StartIn, {"process_key": str(form.get("process_key", "")),
                                           "summary": str(form.get("summary", ""))})
    if errors or data is None:
        return RedirectResponse("/workflow/instances?" + urlencode({"error": "; ".join(errors.values())}),
                                status_code=303)
    try:
        with request.app.state.db.unit_of_work() as session:
            inst = wf.start_manual(session, principal, process_key=data.process_key,  # type: ignore[attr-defined]
                                   summary=data.summary)  # type: ignore[attr-defined]
            inst_id = inst.id
    except DomainError as exc:
        return RedirectResponse("/workflow/instances?" + urlencode({"error": domain_message(exc)}), status_code=303)
    return RedirectResponse(f"/workflow/instances/{inst_id}", status_code=303)


@router.get("/workflow/instances/{instance_id}", response_class=HTMLResponse)
def instance_page(instance_id: int, request: Request,
                  principal: Principal = Depends(require("process.read"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
        tl = queries.timeline(session, principal, instance_id)
        ctx = {"tl": tl, "process_name": _process_names(session, principal).get(tl["instance"]["process_key"], "")}
    return render(request, "workflow/instance.html", ctx)


# --- SLA board -----------------------------------------------------------------------------------

@router.get("/workflow/sla", response_class=HTMLResponse)
def sla_page(request: Request, process_key: str = "", principal: Principal = Depends(require("sla.read"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
        metrics = wf.metrics(session, principal, process_key=process_key[:64] or None)
        processes = _process_names(session, principal)
        board = wf.board(session, principal)
    charts = {
        "institutions": [r["name"] for r in metrics["cards_by_institution"]],
        "inst_yellow": [r["yellow"] for r in metrics["cards_by_institution"]],
        "inst_red": [r["red"] for r in metrics["cards_by_institution"]],
        "processes": [processes.get(r["process_key"], r["process_key"]) for r in metrics["processes"]
                      if r["median_hours"] is not None],
        "median": [r["median_hours"] for r in metrics["processes"] if r["median_hours"] is not None],
        "p90": [r["p90_hours"] for r in metrics["processes"] if r["median_hours"] is not None],
    }
    return render(request, "workflow/sla.html", {"metrics": metrics, "board": board, "processes": processes,
                                                 "process_key": process_key, "charts_json": json.dumps(charts, ensure_ascii=False)})


# --- definitions ---------------------------------------------------------------------------------

@router.get("/workflow/definitions", response_class=HTMLResponse)
def definitions_page(request: Request, principal: Principal = Depends(require("process.read"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
        items = [(d, definitions.spec_of(d)) for d in wf.list_definitions(session, principal)]
    return render(request, "workflow/definitions.html", {"items": items,
                                                         "can_manage": principal.can("process.manage")})


@router.get("/workflow/definitions/upload", response_class=HTMLResponse)
def upload_page(request: Request, principal: Principal = Depends(require("process.manage"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
    return render(request, "workflow/upload.html", {"source": "", "errors": [], "lines": []})


@router.post("/workflow/definitions/upload", response_class=HTMLResponse)
async def upload_submit(request: Request, principal: Principal = Depends(require("process.manage"))) -> Response:
    form = await request.form()
    source = str(form.get("source", ""))
    upload = form.get("file")
    if upload is not None and hasattr(upload, "read"):
        raw = await upload.read()
        if raw:
            try:
                source = raw.decode("utf-8")
            except UnicodeDecodeError:
                source = ""
    try:
        with request.app.state.db.unit_of_work() as session:
            definition, _created = wf.publish_definition(session, principal, source)
            key = definition.key
    except DomainError as exc:
        with request.app.state.db.unit_of_work(write=False) as session:
            _page(request, session)
        from zhanye.web.i18n import get_locale

        lang = "zh" if get_locale() == "zh_CN" else "en"
        errors = [{"line": e.loc[1] if e.loc and e.loc[0] == "line" else None,
                   "message": e.as_dict(lang)["message"]} for e in exc.errors] or [{"line": None,
                                                                                   "message": domain_message(exc)}]
        bad = {e["line"] for e in errors}
        lines = [{"no": i, "text": t, "bad": i in bad} for i, t in enumerate(source.splitlines(), start=1)]
        return render(request, "workflow/upload.html", {"source": source, "errors": errors, "lines": lines},
                      status_code=exc.status)
    return RedirectResponse(f"/workflow/definitions/{key}?published=1", status_code=303)


@router.get("/workflow/definitions/{key}", response_class=HTMLResponse)
def definition_page(key: str, request: Request, version: int | None = None,
                    principal: Principal = Depends(require("process.read"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        _page(request, session)
        versions = wf.definition_versions(session, principal, key[:64])
        chosen = next((d for d in versions if d.version == version), versions[0])
        spec = definitions.spec_of(chosen)
    steps = [{"id": s.id, "name": s.name, "kind": s.kind, "need": s.need, "of": len(s.branches), "mode": s.mode,
              "when": definitions.describe_condition(s.when) if s.when else "", "sla_hours": s.sla_hours,
              "branches": s.branches, "adjustable": list(s.adjustable)} for s in spec.steps]
    return render(request, "workflow/definition.html", {
        "definition": chosen, "spec": spec, "steps": steps, "versions": versions, "level_names": LEVEL_NAMES,
        "kind_names": KIND_NAMES, "roles": ROLES, "published": request.query_params.get("published"),
        "title": _("Process definitions")})
