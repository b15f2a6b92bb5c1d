"""JSON API of the decision engine: decisions, versions and their lifecycle, simulation and
production evaluation, test suites, challenger routes, records and replay, batch regression."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from zhanye.core.context import Principal
from zhanye.core.errors import ValidationFailed
from zhanye.decisions import records, regression, runtime, schemas, service, suites
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["decisions"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]
MAX_UPLOAD = 20 * 1024 * 1024


def _decision(session: Any, actor: Principal, key: str) -> dict[str, Any]:
    dec = service.get_decision(session, actor, key)
    out = schemas.decision_out(dec, service.active_version(session, actor, key))
    out["versions"] = [schemas.version_out(v) for v in service.list_versions(session, actor, key)]
    route = service.get_route(session, actor, key)
    out["challenger"] = None if route is None else {
        "version_id": route.challenger_version_id, "mode": route.mode, "percent": route.percent,
        "sticky_field": route.sticky_field}
    return out


# --- decisions and versions -----------------------------------------------------------------------

@router.get("/decisions")
def api_list(request: Request, principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: {"items": [schemas.decision_out(d, service.active_version(s, principal, d.key))
                                              for d in service.list_decisions(s, principal)]})


@router.post("/decisions", status_code=201)
def api_create(body: schemas.DecisionCreate, request: Request, idempotency_key: IdemKey = None,
               principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.decision_out(service.create_decision(
        s, principal, **body.model_dump())), payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/decisions/{key}")
def api_get(key: str, request: Request, principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: _decision(s, principal, key))


@router.post("/decisions/{key}/versions", status_code=201)
def api_create_version(key: str, body: schemas.VersionCreate, request: Request, idempotency_key: IdemKey = None,
                       principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.create_version(
        s, principal, key=key, content=body.content, institution_id=body.institution_id,
        change_note=body.change_note), content=True), payload=body.model_dump(), key=idempotency_key,
        status_code=201)


@router.get("/decision-versions/{version_id}")
def api_get_version(version_id: int, request: Request,
                    principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: schemas.version_out(service.get_version(s, principal, version_id), content=True))


@router.put("/decision-versions/{version_id}/content")
def api_update_version(version_id: int, body: schemas.VersionContent, request: Request,
                       principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.update_draft(
        s, principal, version_id, content=body.content), content=True))


@router.post("/decision-versions/{version_id}/submit")
def api_submit(version_id: int, body: schemas.SubmitIn, request: Request,
               principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.submit_version(
        s, principal, version_id, change_note=body.change_note)))


@router.post("/decision-versions/{version_id}/approve")
def api_approve(version_id: int, body: schemas.ReviewIn, request: Request,
                principal: Principal = Depends(require("decision.approve"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.approve_version(
        s, principal, version_id, note=body.note)))


@router.post("/decision-versions/{version_id}/reject")
def api_reject(version_id: int, body: schemas.ReviewIn, request: Request,
               principal: Principal = Depends(require("decision.approve"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.reject_version(
        s, principal, version_id, note=body.note)))


@router.post("/decision-versions/{version_id}/activate")
def api_activate(version_id: int, request: Request,
                 principal: Principal = Depends(require("decision.activate"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.activate_version(s, principal, version_id)))


@router.post("/decision-versions/{version_id}/retire")
def api_retire(version_id: int, request: Request,
               principal: Principal = Depends(require("decision.activate"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.retire_version(s, principal, version_id)))


@router.post("/decisions/{key}/rollback")
def api_rollback(key: str, body: schemas.RollbackIn, request: Request,
                 principal: Principal = Depends(require("decision.activate"))) -> JSONResponse:
    return run_write(request, principal, lambda s: schemas.version_out(service.rollback(
        s, principal, key=key, institution_id=body.institution_id)))


# --- evaluation -----------------------------------------------------------------------------------

@router.post("/decision-versions/{version_id}/simulate")
def api_simulate(version_id: int, body: schemas.SimulateIn, request: Request,
                 principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: runtime.simulate(s, principal, version_id=version_id, facts=body.facts,
                                                    trace=body.trace).as_dict())


@router.post("/decisions/{key}/evaluate")
def api_evaluate(key: str, body: schemas.EvaluateIn, request: Request,
                 principal: Principal = Depends(require("decision.evaluate"))) -> JSONResponse:
    def action(s: Any) -> Any:
        inst = body.institution_id or principal.institution_id
        if inst not in principal.scope_ids:
            raise ValidationFailed.field("institution_id", "机构不在您的范围内", "the institution is outside your scope")
        return service.decide(s, key, body.facts, caller=body.caller, institution_id=inst, trace=body.trace).as_dict()

    return run_write(request, principal, action)


# --- test suites ----------------------------------------------------------------------------------

@router.get("/decisions/{key}/suite")
def api_suite(key: str, request: Request, principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: {"items": [schemas.case_out(c) for c in suites.list_cases(s, principal, key)]})


@router.post("/decisions/{key}/suite")
def api_save_suite(key: str, body: schemas.SuiteIn, request: Request,
                   principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    return run_write(request, principal, lambda s: {"items": [schemas.case_out(c) for c in suites.save_cases(
        s, principal, key=key, cases=[c.model_dump() for c in body.cases], replace=body.replace)]})


@router.delete("/decisions/{key}/suite/{case_id}", status_code=204)
def api_delete_case(key: str, case_id: int, request: Request,
                    principal: Principal = Depends(require("decision.author"))) -> Response:
    with request.app.state.db.unit_of_work() as s:
        suites.delete_case(s, principal, key=key, case_id=case_id)
    return Response(status_code=204)


async def _read_upload(file: UploadFile) -> bytes:
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ValidationFailed.field("file", "文件超过 20MB", "the file is larger than 20 MB", "size")
    return data


@router.post("/decisions/{key}/suite/import")
async def api_import_suite(key: str, request: Request, file: UploadFile = File(...), replace: bool = False,
                           principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    data = await _read_upload(file)
    cases = suites.parse_upload(file.filename or "cases.csv", data)
    return run_write(request, principal, lambda s: {"imported": len(suites.save_cases(
        s, principal, key=key, cases=cases, replace=replace))})


@router.get("/decisions/{key}/suite/export")
def api_export_suite(key: str, request: Request, format: str = Query("csv", pattern="^(csv|xlsx)$"),
                     principal: Principal = Depends(require("decision.read"))) -> Response:
    with request.app.state.db.unit_of_work(write=False) as s:
        cases = suites.list_cases(s, principal, key)
        if format == "xlsx":
            return Response(suites.export_xlsx(cases), media_type=(
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                headers={"Content-Disposition": f'attachment; filename="{key}-suite.xlsx"'})
        return Response(suites.export_csv(cases), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{key}-suite.csv"'})


@router.get("/decision-versions/{version_id}/suite-run")
def api_run_suite(version_id: int, request: Request, principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: suites.run_suite(s, principal, version_id=version_id))


# --- champion / challenger ------------------------------------------------------------------------

@router.put("/decisions/{key}/challenger")
def api_set_route(key: str, body: schemas.RouteIn, request: Request,
                  principal: Principal = Depends(require("decision.activate"))) -> JSONResponse:
    def action(s: Any) -> Any:
        r = service.set_route(s, principal, key=key, **body.model_dump())
        return {"version_id": r.challenger_version_id, "mode": r.mode, "percent": r.percent,
                "sticky_field": r.sticky_field}

    return run_write(request, principal, action)


@router.delete("/decisions/{key}/challenger", status_code=204)
def api_clear_route(key: str, request: Request,
                    principal: Principal = Depends(require("decision.activate"))) -> Response:
    with request.app.state.db.unit_of_work() as s:
        service.clear_route(s, principal, key=key)
    return Response(status_code=204)


@router.get("/decisions/{key}/challenger/report")
def api_route_report(key: str, request: Request, principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: records.challenger_report(s, principal, key=key))


# --- records --------------------------------------------------------------------------------------

@router.get("/decision-records")
def api_records(request: Request, key: str | None = None, caller: str | None = None, role: str | None = None,
                limit: int = Query(50, ge=1, le=500), before_id: int | None = None,
                principal: Principal = Depends(require("decision.records"))) -> Any:
    return read(request, lambda s: {"items": [schemas.record_out(r, full=False) for r in records.list_records(
        s, principal, key=key, caller=caller, role=role, limit=limit, before_id=before_id)]})


@router.get("/decision-records/{record_id}")
def api_record(record_id: int, request: Request, principal: Principal = Depends(require("decision.records"))) -> Any:
    return read(request, lambda s: schemas.record_out(runtime.get_record(s, principal, record_id)))


@router.post("/decision-records/{record_id}/replay")
def api_replay(record_id: int, request: Request, principal: Principal = Depends(require("decision.records"))) -> Any:
    return read(request, lambda s: runtime.replay(s, principal, record_id=record_id))


# --- regression -----------------------------------------------------------------------------------

def _run_out(run: Any) -> dict[str, Any]:
    return {"id": run.id, "decision_id": run.decision_id, "candidate_version_id": run.candidate_version_id,
            "baseline_version_id": run.baseline_version_id, "source": run.source, "status": run.status,
            "total": run.total, "done": run.done, "cancel_requested": run.cancel_requested,
            "report": run.report, "created_at": run.created_at, "finished_at": run.finished_at}


def _launch(request: Request, run_id: int, **kwargs: Any) -> None:
    db = request.app.state.db

    def work() -> None:
        try:
            regression.execute(db, run_id, **kwargs)
        except Exception:  # the run row says failed; keep the thread quiet
            import logging

            logging.getLogger(__name__).exception("regression %s failed", run_id)

    if getattr(request.app.state, "decisions_sync_regression", False):
        work()
    else:
        threading.Thread(target=work, name=f"regression-{run_id}", daemon=True).start()


@router.post("/decision-versions/{version_id}/regressions", status_code=202)
def api_regress_records(version_id: int, body: schemas.RegressionIn, request: Request,
                        principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    with request.app.state.db.unit_of_work() as s:
        run = regression.start(s, principal, version_id=version_id, source="records",
                               baseline_version_id=body.baseline_version_id)
        run_id = run.id
    _launch(request, run_id, since=body.since, until=body.until, limit=body.limit)
    with request.app.state.db.unit_of_work(write=False) as s:
        return JSONResponse(_jsonable(_run_out(regression.get_run(s, principal, run_id))), status_code=202)


@router.post("/decision-versions/{version_id}/regressions/upload", status_code=202)
async def api_regress_file(version_id: int, request: Request, file: UploadFile | None = File(None),
                           principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        service.get_version(s, principal, version_id)  # 404 outside scope before looking at the body
    if file is None:
        raise ValidationFailed.field("file", "请上传样本文件", "a sample file is required", "missing")
    data = await _read_upload(file)
    with request.app.state.db.unit_of_work() as s:
        v = service.get_version(s, principal, version_id)
        key = service.get_decision_by_id(s, v.decision_id).key
        inputs = regression.parse_sample_file(s, decision_key=key, filename=file.filename or "sample.csv", data=data)
        run = regression.start(s, principal, version_id=version_id, source="file", total=len(inputs))
        run_id = run.id
    _launch(request, run_id, inputs=inputs)
    with request.app.state.db.unit_of_work(write=False) as s:
        return JSONResponse(_jsonable(_run_out(regression.get_run(s, principal, run_id))), status_code=202)


def _jsonable(value: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(value)


@router.get("/decision-regressions/{run_id}")
def api_regression(run_id: int, request: Request, principal: Principal = Depends(require("decision.read"))) -> Any:
    return read(request, lambda s: _run_out(regression.get_run(s, principal, run_id)))


@router.post("/decision-regressions/{run_id}/cancel")
def api_cancel_regression(run_id: int, request: Request,
                          principal: Principal = Depends(require("decision.author"))) -> JSONResponse:
    return run_write(request, principal, lambda s: _run_out(regression.cancel(s, principal, run_id)))
