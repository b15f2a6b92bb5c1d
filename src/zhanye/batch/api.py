"""JSON API of the end-of-day batch: status per step, and a run."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request

from zhanye.batch import service
from zhanye.core.context import Principal
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["eod"])


def report_out(report: service.RunReport) -> dict[str, Any]:
    return {"business_date": report.business_date, "done": report.done,
            "steps": [dataclasses.asdict(s) for s in report.steps]}


@router.get("/eod")
def api_status(request: Request, date: dt.date | None = None,
               principal: Principal = Depends(require("eod.read"))) -> Any:
    with request.app.state.db.unit_of_work(write=False) as s:
        return report_out(service.status(s, date))


@router.post("/eod/run")
def api_run(request: Request, principal: Principal = Depends(require("eod.run"))) -> Any:
    """Run (or resume) the EOD of the current business date; each step commits on its own."""
    report = service.run(request.app.state.db, actor=principal)
    return report_out(report)
