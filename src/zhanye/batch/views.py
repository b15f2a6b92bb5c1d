"""The EOD page: the steps of a business date with state, rows and timings; run / resume."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhanye.batch import service
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.web import nav
from zhanye.web.deps import require
from zhanye.web.forms import domain_message
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("eod", "End of day", "/eod", "eod.read", icon="clock-history", order=320))


@router.get("/eod", response_class=HTMLResponse)
def eod_page(request: Request, date: str = "", error: str = "",
             principal: Principal = Depends(require("eod.read"))) -> HTMLResponse:
    try:
        day = dt.date.fromisoformat(date) if date else None
    except ValueError:
        day = None
    with request.app.state.db.unit_of_work(write=False) as s:
        request.state.business_date = get_business_date(s)
        report = service.status(s, day)
        recent = service.last_dates(s)
    return render(request, "batch/eod.html", {"report": report, "recent": recent, "error": error or None,
                                              "can_run": principal.can("eod.run")})


@router.post("/eod/run", response_class=HTMLResponse)
def eod_run(request: Request, principal: Principal = Depends(require("eod.run"))) -> Response:
    try:
        report = service.run(request.app.state.db, actor=principal)
    except DomainError as exc:
        with request.app.state.db.unit_of_work(write=False) as s:
            request.state.business_date = get_business_date(s)
            report = service.status(s)
        return render(request, "batch/eod.html", {"report": report, "recent": [], "error": domain_message(exc),
                                                  "can_run": True}, status_code=422)
    return RedirectResponse(f"/eod?date={report.business_date}", status_code=303)
