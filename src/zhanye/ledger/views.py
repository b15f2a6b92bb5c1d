"""Pages for operations and auditors: GL trial balance with the invariant check, journal browser."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from zhanye.core.context import Principal
from zhanye.ledger import service
from zhanye.ledger import views_data as vd
from zhanye.ledger.check import check_ledger
from zhanye.web import nav
from zhanye.web.deps import page_business_date, require
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("ledger", "General ledger", "/ledger", "ledger.read", icon="journal-text", order=310))


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@router.get("/ledger", response_class=HTMLResponse)
def trial_balance_page(request: Request, date: str = "",
                       principal: Principal = Depends(require("ledger.read"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        page_business_date(request, s)
        rows = vd.trial_balance(s, principal, on=_date(date))
        check = check_ledger(s)
    d = sum(r["debit"]["fen"] for r in rows)
    c = sum(r["credit"]["fen"] for r in rows)
    return render(request, "ledger/trial_balance.html", {"rows": rows, "total_debit": d, "total_credit": c,
                                                         "check": check, "date": date})


@router.get("/ledger/journal", response_class=HTMLResponse)
def journal_page(request: Request, date: str = "", source_type: str = "", page: int = 1,
                 principal: Principal = Depends(require("ledger.read"))) -> HTMLResponse:
    page = max(1, page)
    with request.app.state.db.unit_of_work(write=False) as s:
        page_business_date(request, s)
        rows, total = vd.list_entries(s, principal, business_date=_date(date), source_type=source_type[:48] or None,
                                      page=page, page_size=30)
    query = urlencode({k: v for k, v in (("date", date), ("source_type", source_type)) if v})
    return render(request, "ledger/journal.html", {"rows": rows, "total": total, "page": page, "page_size": 30,
                                                   "query": query, "date": date, "source_type": source_type})


@router.get("/ledger/journal/{entry_id}", response_class=HTMLResponse)
def entry_page(entry_id: int, request: Request, principal: Principal = Depends(require("ledger.read"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        page_business_date(request, s)
        entry, lines = service.get_entry(s, principal, entry_id)
        codes = vd.gl_codes(s, {ln.gl_account_id for ln in lines})
        from sqlalchemy import select

        from zhanye.ledger.models import GLAccount, JournalEntry

        names = dict(s.execute(select(GLAccount.id, GLAccount.name).where(GLAccount.id.in_(codes))).all())
        reversed_by = s.execute(select(JournalEntry.id).where(JournalEntry.reversal_of_id == entry_id)).scalar()
    return render(request, "ledger/entry.html", {"entry": entry, "lines": lines, "codes": codes, "names": names,
                                                 "reversed_by": reversed_by})
