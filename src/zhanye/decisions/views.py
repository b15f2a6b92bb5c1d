"""Pages of the decision studio: decision list, decision detail (versions, lifecycle, suite,
challenger, regression launcher), the canvas with the simulator and trace, regression reports,
PSI report and the decision record viewer. Writes go from the page to the JSON API (same origin)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from zhanye.core.context import Principal
from zhanye.decisions import records, regression, runtime, schemas, service, suites
from zhanye.web import nav
from zhanye.web.deps import require
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("decisions", "Decision studio", "/decisions", "decision.read", icon="cpu", order=600))
nav.register(nav.NavItem("decision-records", "Decision records", "/decision-records", "decision.records",
                         icon="journal-text", order=610))


def _ro(request: Request) -> Any:
    return request.app.state.db.unit_of_work(write=False)


@router.get("/decisions", response_class=HTMLResponse)
def studio(request: Request, principal: Principal = Depends(require("decision.read"))) -> HTMLResponse:
    with _ro(request) as s:
        rows = []
        for d in service.list_decisions(s, principal):
            versions = service.list_versions(s, principal, d.key)
            rows.append({"d": d, "active": service.active_version(s, principal, d.key),
                         "versions": len(versions),
                         "pending": sum(1 for v in versions if v.status in ("draft", "submitted", "approved"))})
    return render(request, "decisions/studio.html", {"rows": rows})


@router.get("/decisions/{key}", response_class=HTMLResponse)
def decision_page(key: str, request: Request, principal: Principal = Depends(require("decision.read"))) -> HTMLResponse:
    with _ro(request) as s:
        dec = service.get_decision(s, principal, key)
        versions = service.list_versions(s, principal, key)
        active = service.active_version(s, principal, key)
        cases = suites.list_cases(s, principal, key)
        route = service.get_route(s, principal, key)
        report = records.challenger_report(s, principal, key=key) if route is not None else None
        from sqlalchemy import select

        from zhanye.decisions.models import RegressionRun

        runs = list(s.execute(select(RegressionRun).where(RegressionRun.decision_id == dec.id)
                              .order_by(RegressionRun.id.desc()).limit(10)).scalars())
        runs = [r for r in runs if r.institution_id in service.visible_institutions(s, principal)]
    return render(request, "decisions/decision.html", {
        "dec": dec, "versions": versions, "active": active, "cases": cases, "route": route, "report": report,
        "runs": runs, "schema_in": json.dumps(dec.input_schema, ensure_ascii=False, indent=1),
        "schema_out": json.dumps(dec.output_schema, ensure_ascii=False, indent=1)})


@router.get("/decision-versions/{version_id}", response_class=HTMLResponse)
def canvas(version_id: int, request: Request, principal: Principal = Depends(require("decision.read"))) -> HTMLResponse:
    with _ro(request) as s:
        v = service.get_version(s, principal, version_id)
        dec = service.get_decision_by_id(s, v.decision_id)
        cases = suites.list_cases(s, principal, dec.key)
    sample = cases[0].given if cases else {k: None for k in dec.input_schema.get("required", [])}
    editable = v.status == "draft" and principal.can("decision.author") and principal.sees_institution(v.institution_id)
    return render(request, "decisions/canvas.html", {
        "v": v, "dec": dec, "graph_json": v.content, "editable": editable,
        "sample": json.dumps(sample, ensure_ascii=False, indent=1),
        "cases": [{"name": c.name, "given": c.given} for c in cases]})


@router.get("/decision-regressions/{run_id}", response_class=HTMLResponse)
def regression_page(run_id: int, request: Request,
                    principal: Principal = Depends(require("decision.read"))) -> HTMLResponse:
    with _ro(request) as s:
        run = regression.get_run(s, principal, run_id)
        dec = service.get_decision_by_id(s, run.decision_id)
    return render(request, "decisions/regression.html", {"run": run, "dec": dec,
                                                         "report_json": json.dumps(run.report or {}, ensure_ascii=False)})


@router.get("/decisions/{key}/psi", response_class=HTMLResponse)
def psi_page(key: str, request: Request, days: int = Query(30, ge=1, le=3650),
             principal: Principal = Depends(require("decision.read"))) -> HTMLResponse:
    from zhanye.decisions import dataset, psi_service

    with _ro(request) as s:
        dec = service.get_decision(s, principal, key)
        try:
            report = psi_service.report(s, key=key, training=dataset.load(), days=days)
            error = None
        except Exception as exc:  # a decision that is not a scorecard on the demo variables
            report, error = None, str(exc)[:300]
    return render(request, "decisions/psi.html", {"dec": dec, "report": report, "error": error, "days": days,
                                                  "report_json": json.dumps(report or {}, ensure_ascii=False)})


@router.get("/decision-records", response_class=HTMLResponse)
def records_page(request: Request, key: str | None = None, caller: str | None = None, day: str | None = None,
                 before_id: int | None = None,
                 principal: Principal = Depends(require("decision.records"))) -> HTMLResponse:
    import datetime as dt

    from zhanye.core.calendar import BANK_TZ

    since = until = None
    error = None
    if day:
        try:
            d = dt.date.fromisoformat(day)
            since = dt.datetime.combine(d, dt.time(), BANK_TZ).astimezone(dt.UTC)
            until = since + dt.timedelta(days=1)
        except ValueError:
            error = "bad_day"
    with _ro(request) as s:
        items = records.list_records(s, principal, key=key or None, caller=caller or None, since=since, until=until,
                                     before_id=before_id, limit=50)
        keys = [d.key for d in service.list_decisions(s, principal)]
    return render(request, "decisions/records.html", {"items": items, "keys": keys, "key": key or "",
                                                      "caller": caller or "", "day": day or "", "error": error})


@router.get("/decision-records/{record_id}", response_class=HTMLResponse)
def record_page(record_id: int, request: Request,
                principal: Principal = Depends(require("decision.records"))) -> HTMLResponse:
    with _ro(request) as s:
        rec = runtime.get_record(s, principal, record_id)
        out = schemas.record_out(rec)
    return render(request, "decisions/record.html", {"rec": out, "rec_json": json.dumps(out, ensure_ascii=False,
                                                                                         default=str)})
