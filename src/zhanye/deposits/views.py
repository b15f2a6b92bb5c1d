"""Pages: customer accounts (balances, holds, state), open e-account, transfers with the bound card
and within the bank, buy / withdraw term deposits with the interest shown first (试算), statement."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from zhanye.core import idempotency
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import DomainError, ValidationFailed
from zhanye.core.money import yuan_to_fen
from zhanye.deposits import service
from zhanye.ledger import service as ledger
from zhanye.web import nav
from zhanye.web.deps import page_business_date, require
from zhanye.web.forms import domain_message
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("accounts", "Accounts", "/accounts", "account.read", icon="wallet2", order=300))

DONE_MESSAGES = {"opened": "The e-account was opened.", "moved": "The transfer was made.",
                 "pending": "The transfer is pending confirmation.", "failed": "The card's bank refused; reversed.",
                 "bought": "The term deposit was bought.", "withdrawn": "The withdrawal was made."}


def _ctx(request: Request) -> None:
    page_business_date(request)


def _amount(raw: str, field: str = "amount") -> int:
    try:
        fen = yuan_to_fen(raw.strip())
    except (ValueError, TypeError):
        raise ValidationFailed.field([field], "金额格式不正确", "Not an amount") from None
    return ledger.check_amount(fen, field)


def _page_write(request: Request, principal: Principal, key: str, payload: dict[str, Any], action: Any) -> Any:
    """Run a page form's write once per form key (the hidden ``idem`` field is the Idempotency-Key)."""
    key = idempotency.check_key(key or secrets.token_hex(8))
    endpoint = f"PAGE {request.url.path}"
    fp = idempotency.request_fingerprint(endpoint, payload)
    scope = f"staff:{principal.staff_id}"
    with request.app.state.db.unit_of_work() as s:
        stored = idempotency.lookup(s, scope=scope, key=key, endpoint=endpoint, fingerprint=fp)
        if stored is not None:
            return stored.body
        body = action(s)
        idempotency.store(s, scope=scope, key=key, endpoint=endpoint, fingerprint=fp, status_code=200, body=body)
        return body


@router.get("/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, customer_id: int | None = None,
                  principal: Principal = Depends(require("account.read"))) -> HTMLResponse:
    _ctx(request)
    with request.app.state.db.unit_of_work(write=False) as s:
        rows = service.list_eaccounts(s, principal, customer_id=customer_id, limit=200)
    return render(request, "deposits/accounts.html", {"rows": rows, "customer_id": customer_id,
                                                      "can_open": principal.can("account.open")})


@router.get("/accounts/new", response_class=HTMLResponse)
def open_page(request: Request, principal: Principal = Depends(require("account.open"))) -> HTMLResponse:
    _ctx(request)
    return render(request, "deposits/open.html", {"error": None, "form": {}, "idem": secrets.token_hex(12)})


@router.post("/accounts/new", response_class=HTMLResponse)
def open_submit(request: Request, customer_id: str = Form(""), eclass: str = Form("II"), bound_card: str = Form(""),
                idem: str = Form(""), principal: Principal = Depends(require("account.open"))) -> Response:
    from zhanye.deposits.api import customer_facts
    from zhanye.deposits.schemas import EAccountOpenIn

    _ctx(request)
    form = {"customer_id": customer_id, "eclass": eclass, "bound_card": bound_card}
    try:
        if not customer_id.strip().isdigit():
            raise ValidationFailed.field(["customer_id"], "客户编号须为数字", "The customer id must be a number")
        body = EAccountOpenIn(customer_id=int(customer_id), eclass=eclass if eclass in ("II", "III") else "II",
                              bound_card=bound_card.replace(" ", "") or "000000000000")

        def action(s: Session) -> Any:
            inst, verified = customer_facts(s, principal, body)
            _ea, acc = service.open_eaccount(s, actor=principal, institution_id=inst, customer_id=body.customer_id,
                                             eclass=body.eclass, bound_card=body.bound_card, customer_verified=verified)
            return {"account_id": acc.id}
        out = _page_write(request, principal, idem, form, action)
    except DomainError as exc:
        return render(request, "deposits/open.html", {"error": domain_message(exc), "form": form, "idem": idem},
                      status_code=422)
    except ValueError:
        return render(request, "deposits/open.html", {"error": _msg("The input is not valid"), "form": form,
                                                      "idem": idem}, status_code=422)
    return RedirectResponse(f"/accounts/{out['account_id']}?done=opened", status_code=303)


def _msg(text: str) -> str:
    from zhanye.web.i18n import gettext_

    return gettext_(text)


def _account_context(s: Session, principal: Principal, account_id: int) -> dict[str, Any]:
    ea, acc = service.get_eaccount(s, principal, account_id)
    return {"ea": ea, "acc": acc, "holds": ledger.list_holds(s, principal, account_id),
            "terms": [service.term_view(s, d) for d in service.list_terms(s, principal, eaccount_id=account_id)],
            "products": [p for p in service.list_products(s, active_only=True) if p.kind != "demand"]}


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def account_page(account_id: int, request: Request, done: str | None = None,
                 principal: Principal = Depends(require("account.read"))) -> HTMLResponse:
    _ctx(request)
    with request.app.state.db.unit_of_work(write=False) as s:
        ctx = _account_context(s, principal, account_id)
    return render(request, "deposits/account.html", ctx | {
        "done": _msg(DONE_MESSAGES[done]) if done in DONE_MESSAGES else None, "error": None,
        "idem": secrets.token_hex(12), "can_transfer": principal.can("account.transfer"),
        "can_trade": principal.can("deposit.trade")})


def _account_error(request: Request, principal: Principal, account_id: int, exc: DomainError) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        ctx = _account_context(s, principal, account_id)
    return render(request, "deposits/account.html", ctx | {
        "done": None, "error": domain_message(exc), "idem": secrets.token_hex(12),
        "can_transfer": principal.can("account.transfer"), "can_trade": principal.can("deposit.trade")},
        status_code=422)


@router.post("/accounts/{account_id}/bound", response_class=HTMLResponse)
def bound_submit(account_id: int, request: Request, direction: str = Form(""), amount: str = Form(""),
                 idem: str = Form(""), principal: Principal = Depends(require("account.transfer"))) -> Response:
    _ctx(request)
    try:
        if direction not in ("in", "out"):
            raise ValidationFailed.field(["direction"], "方向无效", "Bad direction")
        fen = _amount(amount)
        out = _page_write(request, principal, idem, {"a": account_id, "d": direction, "f": fen},
                          lambda s: {"order_id": service.start_clearing(
                              s, actor=principal, account_id=account_id, direction=direction, amount_fen=fen,
                              order_key=f"{principal.staff_id}:{idem}").id})
        with request.app.state.db.unit_of_work() as s:
            order = service.finish_clearing(s, actor=principal, order_id=out["order_id"])
            status = order.status
    except DomainError as exc:
        return _account_error(request, principal, account_id, exc)
    done = {"confirmed": "moved", "failed": "failed"}.get(status, "pending")
    return RedirectResponse(f"/accounts/{account_id}?done={done}", status_code=303)


@router.post("/accounts/{account_id}/transfer", response_class=HTMLResponse)
def transfer_submit(account_id: int, request: Request, to_account: str = Form(""), amount: str = Form(""),
                    idem: str = Form(""), principal: Principal = Depends(require("account.transfer"))) -> Response:
    _ctx(request)
    try:
        fen = _amount(amount)
        with request.app.state.db.unit_of_work(write=False) as s:
            from sqlalchemy import select

            from zhanye.ledger.models import Account

            to_id = s.execute(select(Account.id).where(Account.number == to_account.strip())).scalar()
        if to_id is None:
            raise ValidationFailed.field(["to_account"], "收款账号不存在", "The payee account does not exist")
        _page_write(request, principal, idem, {"a": account_id, "t": to_id, "f": fen},
                    lambda s: {"entry_id": service.internal_transfer(s, actor=principal, from_account_id=account_id,
                                                                     to_account_id=to_id, amount_fen=fen)})
    except DomainError as exc:
        return _account_error(request, principal, account_id, exc)
    return RedirectResponse(f"/accounts/{account_id}?done=moved", status_code=303)


@router.get("/accounts/{account_id}/quote", response_class=HTMLResponse)
def quote_partial(account_id: int, request: Request, product_id: int = 0, amount: str = "",
                  principal: Principal = Depends(require("deposit.read"))) -> HTMLResponse:
    """试算 shown before the customer confirms (HTMX partial)."""
    from zhanye.deposits.term import check_purchase

    with request.app.state.db.unit_of_work(write=False) as s:
        service.get_eaccount(s, principal, account_id)  # outside scope: 404, not an inline error
    try:
        fen = _amount(amount)
        with request.app.state.db.unit_of_work(write=False) as s:
            check_purchase(s, product_id, fen)
            q = service.quote(service.get_product(s, product_id), fen, get_business_date(s))
        return render(request, "deposits/_quote.html", {"q": q, "error": None})
    except DomainError as exc:
        return render(request, "deposits/_quote.html", {"q": None, "error": domain_message(exc)})


@router.post("/accounts/{account_id}/buy", response_class=HTMLResponse)
def buy_submit(account_id: int, request: Request, product_id: int = Form(0), amount: str = Form(""),
               instruction: str = Form(""), idem: str = Form(""),
               principal: Principal = Depends(require("deposit.trade"))) -> Response:
    _ctx(request)
    try:
        fen = _amount(amount)
        _page_write(request, principal, idem, {"a": account_id, "p": product_id, "f": fen, "i": instruction},
                    lambda s: {"deposit_id": service.purchase(s, actor=principal, eaccount_id=account_id,
                                                              product_id=product_id, amount_fen=fen,
                                                              instruction=instruction or None).id})
    except DomainError as exc:
        return _account_error(request, principal, account_id, exc)
    return RedirectResponse(f"/accounts/{account_id}?done=bought", status_code=303)


@router.get("/term-deposits/{deposit_id}/quote", response_class=HTMLResponse)
def withdraw_quote(deposit_id: int, request: Request, amount: str = "",
                   principal: Principal = Depends(require("deposit.read"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        service.get_term(s, principal, deposit_id)  # outside scope: 404
    try:
        fen = _amount(amount) if amount.strip() else None
        with request.app.state.db.unit_of_work(write=False) as s:
            d = service.get_term(s, principal, deposit_id)
            q = service.quote_withdrawal(s, d, fen, get_business_date(s))
        return render(request, "deposits/_quote.html", {"q": q, "error": None, "withdrawal": True})
    except DomainError as exc:
        return render(request, "deposits/_quote.html", {"q": None, "error": domain_message(exc)})


@router.post("/term-deposits/{deposit_id}/withdraw", response_class=HTMLResponse)
def withdraw_submit(deposit_id: int, request: Request, amount: str = Form(""), idem: str = Form(""),
                    principal: Principal = Depends(require("deposit.trade"))) -> Response:
    _ctx(request)
    with request.app.state.db.unit_of_work(write=False) as s:
        account_id = service.get_term(s, principal, deposit_id).eaccount_id
    try:
        fen = _amount(amount) if amount.strip() else None
        _page_write(request, principal, idem, {"d": deposit_id, "f": fen},
                    lambda s: {"deposit_id": service.withdraw(s, actor=principal, deposit_id=deposit_id,
                                                              amount_fen=fen).id})
    except DomainError as exc:
        return _account_error(request, principal, account_id, exc)
    return RedirectResponse(f"/accounts/{account_id}?done=withdrawn", status_code=303)


@router.get("/accounts/{account_id}/statement", response_class=HTMLResponse)
def statement_page(account_id: int, request: Request, date_from: str = "", date_to: str = "", page: int = 1,
                   principal: Principal = Depends(require("account.read"))) -> HTMLResponse:
    _ctx(request)
    error = None
    try:
        d_from = dt.date.fromisoformat(date_from) if date_from else None
        d_to = dt.date.fromisoformat(date_to) if date_to else None
    except ValueError:
        d_from = d_to = None
        error = _msg("Enter dates as YYYY-MM-DD")
    page = max(1, page)
    page_size = 20
    with request.app.state.db.unit_of_work(write=False) as s:
        try:
            acc, rows, total = ledger.statement(s, principal, account_id, date_from=d_from, date_to=d_to,
                                                limit=page_size, offset=(page - 1) * page_size)
        except ValidationFailed as exc:
            error = domain_message(exc)
            acc, rows, total = ledger.statement(s, principal, account_id, limit=page_size, offset=(page - 1) * page_size)
    query = urlencode({k: v for k, v in (("date_from", date_from), ("date_to", date_to)) if v})
    return render(request, "deposits/statement.html", {
        "acc": acc, "rows": rows, "total": total, "page": page, "page_size": page_size, "query": query,
        "date_from": date_from, "date_to": date_to, "error": error,
        "csv_href": f"/api/v1/accounts/{account_id}/statement?format=csv" + (f"&{query}" if query else "")})
