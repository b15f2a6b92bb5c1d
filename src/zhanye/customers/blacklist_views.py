"""Blacklist pages: the entries of internal and imported external lists (masked), add an entry,
import an external list from CSV (columns id_number, name, reason, expires_on)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.customers import kyc, schemas
from zhanye.web import nav
from zhanye.web.deps import require
from zhanye.web.forms import domain_message, validate_form
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)
nav.register(nav.NavItem("blacklist", "Blacklists", "/blacklist", "blacklist.read", icon="exclamation-triangle",
                         order=25))


def _page(request: Request, principal: Principal, *, q: str = "", error: str | None = None,
          ok: str | None = None, errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        entries = [kyc.blacklist_view(e) for e in kyc.list_blacklist(session, actor=principal, q=q or None)]
    return render(request, "customers/blacklist.html", {"entries": entries, "error": error, "ok": ok,
                                                        "errors": errors or {}, "q": ""}, status_code=status_code)


@router.get("/blacklist", response_class=HTMLResponse)
def blacklist_page(request: Request, q: str = "",
                   principal: Principal = Depends(require("blacklist.read"))) -> HTMLResponse:
    return _page(request, principal, q=q[:24])


@router.post("/blacklist", response_class=HTMLResponse)
def blacklist_add(request: Request, list_code: str = Form("internal"), source: str = Form(""),
                  id_number: str = Form(""), name: str = Form(""), reason: str = Form(""),
                  expires_on: str = Form(""), principal: Principal = Depends(require("blacklist.manage"))) -> HTMLResponse:
    data = {"list_code": list_code, "source": source, "kind": "internal", "id_number": id_number,
            "name": name or None, "reason": reason, "expires_on": expires_on or None}
    body, errors = validate_form(schemas.BlacklistIn, data)
    if body is None:
        return _page(request, principal, errors=errors, status_code=422)
    try:
        with request.app.state.db.unit_of_work() as session:
            kyc.add_blacklist_entry(session, actor=principal, **body.model_dump())
    except DomainError as exc:
        return _page(request, principal, error=domain_message(exc), status_code=exc.status)
    return _page(request, principal, ok="OK")


@router.post("/blacklist/import", response_class=HTMLResponse)
async def blacklist_import(request: Request, file: UploadFile | None = File(None), list_code: str = Form(""),
                           source: str = Form(""), expires_on: str = Form(""),
                           principal: Principal = Depends(require("blacklist.manage"))) -> HTMLResponse:
    import re

    if file is None or not re.match(r"^[a-z][a-z0-9_]{0,31}$", list_code) or not 0 < len(source) <= 100:
        return _page(request, principal, error="请选择文件并填写名单代码（小写字母）和来源", status_code=422)
    try:
        exp = dt.date.fromisoformat(expires_on) if expires_on else None
    except ValueError:
        return _page(request, principal, error="到期日格式应为 YYYY-MM-DD", status_code=422)
    data = await file.read(20 * 1024 * 1024)
    with request.app.state.db.unit_of_work() as session:
        rep = kyc.import_external_list(session, actor=principal, list_code=list_code, source=source,
                                       rows=kyc.csv_rows(data), expires_on=exp)
    msg = f"accepted {rep.accepted}, unchanged {rep.unchanged}, refused {len(rep.refused)}"
    if rep.refused:
        msg += ": " + "; ".join(f"{r['line']}: {r['reason']}" for r in rep.refused[:20])
    return _page(request, principal, ok=msg)
