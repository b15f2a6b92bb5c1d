"""JSON API of the ledger: trial balance, journal, accounts, statements (JSON and CSV), holds,
freezes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.ledger import schemas, service
from zhanye.ledger import views_data as vd
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["ledger"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


@router.get("/ledger/trial-balance")
def api_trial_balance(request: Request, date: dt.date | None = None,
                      principal: Principal = Depends(require("ledger.read"))) -> Any:
    def action(s: Session) -> Any:
        rows = vd.trial_balance(s, principal, on=date)
        d = sum(r["debit"]["fen"] for r in rows)
        c = sum(r["credit"]["fen"] for r in rows)
        return {"items": rows, "total_debit": vd.money(d), "total_credit": vd.money(c), "balanced": d == c}
    return read(request, action)


@router.get("/ledger/check")
def api_check(request: Request, principal: Principal = Depends(require("ledger.read"))) -> Any:
    from zhanye.ledger.check import check_ledger

    def action(s: Session) -> Any:
        res = check_ledger(s)
        return {"ok": res.ok, "entries": res.entries, "lines": res.lines, "accounts": res.accounts,
                "breaches": res.breaches}
    return read(request, action)


@router.get("/ledger/entries")
def api_entries(request: Request, date: dt.date | None = None, source_type: str | None = Query(None, max_length=48),
                page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 50,
                principal: Principal = Depends(require("ledger.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = vd.list_entries(s, principal, business_date=date, source_type=source_type, page=page,
                                      page_size=page_size)
        return {"items": [vd.entry_out(e) for e in rows], "total": total, "page": page, "page_size": page_size}
    return read(request, action)


@router.get("/ledger/entries/{entry_id}")
def api_entry(entry_id: int, request: Request, principal: Principal = Depends(require("ledger.read"))) -> Any:
    def action(s: Session) -> Any:
        entry, lines = service.get_entry(s, principal, entry_id)
        return vd.entry_out(entry, lines, vd.gl_codes(s, {ln.gl_account_id for ln in lines}))
    return read(request, action)


@router.get("/accounts")
def api_accounts(request: Request, customer_id: int | None = None, kind: str | None = Query(None, max_length=32),
                 page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 50,
                 principal: Principal = Depends(require("account.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = service.list_accounts(s, principal, customer_id=customer_id, kind=kind, limit=page_size,
                                            offset=(page - 1) * page_size)
        return {"items": [vd.account_out(a) for a in rows], "total": total, "page": page, "page_size": page_size}
    return read(request, action)


@router.get("/accounts/{account_id}")
def api_account(account_id: int, request: Request, principal: Principal = Depends(require("account.read"))) -> Any:
    def action(s: Session) -> Any:
        acc = service.get_account(s, principal, account_id)
        return vd.account_out(acc) | {"holds": [vd.hold_out(h) for h in service.list_holds(s, principal, account_id)]}
    return read(request, action)


@router.get("/accounts/{account_id}/statement")
def api_statement(account_id: int, request: Request, date_from: dt.date | None = None, date_to: dt.date | None = None,
                  page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=500)] = 50,
                  format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
                  principal: Principal = Depends(require("account.read"))) -> Any:
    if format == "csv":
        with request.app.state.db.unit_of_work(write=False) as s:
            acc, rows, _total = service.statement(s, principal, account_id, date_from=date_from, date_to=date_to,
                                                  limit=100_000, offset=0)
            body = vd.statement_csv(acc, rows)
        return Response(body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="statement-{acc.number}.csv"'})

    def action(s: Session) -> Any:
        acc, rows, total = service.statement(s, principal, account_id, date_from=date_from, date_to=date_to,
                                             limit=page_size, offset=(page - 1) * page_size)
        return {"account": vd.account_out(acc), "items": [vd.line_out(ln, e) for ln, e in rows], "total": total,
                "page": page, "page_size": page_size}
    return read(request, action)


@router.post("/accounts/{account_id}/holds", status_code=201)
def api_place_hold(account_id: int, body: schemas.HoldIn, request: Request, idempotency_key: IdemKey = None,
                   principal: Principal = Depends(require("account.hold"))) -> Any:
    return run_write(request, principal, lambda s: vd.hold_out(service.place_hold(
        s, actor=principal, account_id=account_id, amount_fen=body.amount_fen, reason=body.reason,
        expires_on=body.expires_on)), payload={"account_id": account_id, **body.model_dump(mode="json")},
        key=idempotency_key, key_required=True, status_code=201)


@router.post("/holds/{hold_id}/release")
def api_release_hold(hold_id: int, request: Request, principal: Principal = Depends(require("account.hold"))) -> Any:
    def action(s: Session) -> Any:
        from zhanye.ledger.models import Hold

        h = s.get(Hold, hold_id)
        if h is not None:
            service.get_account(s, principal, h.account_id)  # scope: 404 outside
        return vd.hold_out(service.release_hold(s, actor=principal, hold_id=hold_id))
    return run_write(request, principal, action)


@router.post("/accounts/{account_id}/freeze")
def api_freeze(account_id: int, body: schemas.FreezeIn, request: Request,
               principal: Principal = Depends(require("account.freeze"))) -> Any:
    return run_write(request, principal, lambda s: vd.account_out(service.set_freeze(
        s, actor=principal, account_id=account_id, freeze=body.freeze, reason=body.reason)))


@router.post("/accounts/{account_id}/reactivate")
def api_reactivate(account_id: int, request: Request, principal: Principal = Depends(require("account.freeze"))) -> Any:
    return run_write(request, principal, lambda s: vd.account_out(service.reactivate(
        s, actor=principal, account_id=account_id)))
