"""Pages. Tablet flow: customer → new application (facts and images) → submit → decision shown →
(approval) → line contract signing with the signature pad → drawdown with payee → receipt.
Back office: application list and detail, line management (freeze, unfreeze, reduce), payment
management (overdue usage vouchers, offline payment applications)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.core.money import Rounding, yuan_to_fen
from zhanye.lending import products
from zhanye.lending.origination import schemas, service
from zhanye.lending.origination.applications import STATE_NAMES
from zhanye.lending.schedules import METHOD_NAMES_ZH, Method
from zhanye.web import nav
from zhanye.web.deps import require
from zhanye.web.forms import domain_message
from zhanye.web.templating import render
from zhanye.workflow import subjects

router = APIRouter(include_in_schema=False)

subjects.register(subjects.SubjectPage("loan_application", "/origination/applications/{id}",
                                      "Open the application", "application.read"))
nav.register(nav.NavItem("loan_applications", "Loan applications", "/origination/applications", "application.read",
                         icon="file-earmark-text", order=290))
nav.register(nav.NavItem("credit_lines", "Credit lines", "/origination/lines", "line.read", icon="card-checklist",
                         order=295))
nav.register(nav.NavItem("loan_payments", "Payment management", "/origination/payments", "loan.read",
                         icon="cash-coin", order=296))

GUARANTEE_NAMES = {"credit": "信用", "guarantor": "保证", "mortgage": "抵押", "pledge": "质押"}


def _bizdate(request: Request, session: Any) -> Any:
    day = get_business_date(session)
    request.state.business_date = day
    return day


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, ValidationError):
        out: dict[str, str] = {}
        for err in exc.errors():
            field = str(err["loc"][-1]) if err["loc"] else "_"
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            out.setdefault(field, msg.split(" / ", 1)[0])
        return out
    if exc.errors:
        return {str(e.loc[-1]): e.message_zh for e in exc.errors}
    return {"_": domain_message(exc)}


def _fen(raw: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return yuan_to_fen(raw, Rounding.HALF_UP)
    except (ValueError, TypeError):
        return -1


def _customer(session: Any, principal: Principal, customer_id: int) -> dict[str, Any]:
    from zhanye.customers import service as customers

    return customers.customer_view(session, customers.get_customer(session, actor=principal, customer_id=customer_id))


# --- applications ----------------------------------------------------------------------------------

@router.get("/origination/applications", response_class=HTMLResponse)
def applications_page(request: Request, state: str = "", page: int = 1,
                      principal: Principal = Depends(require("application.read"))) -> HTMLResponse:
    page = max(1, min(page, 100000))
    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        rows, total = service.list_applications(s, actor=principal, state=state[:24] or None, page=page)
        items = [service.application_out(a) for a in rows]
    return render(request, "origination/applications.html", {
        "rows": items, "total": total, "page": page, "state": state, "states": STATE_NAMES})


def _new_context(session: Any, principal: Principal, customer_id: int | None, q: str) -> dict[str, Any]:
    from zhanye.customers import images
    from zhanye.customers import service as customers

    ctx: dict[str, Any] = {"products": [p for p in products.list_products(session, include_suspended=False)],
                           "methods": [(m.value, METHOD_NAMES_ZH[m]) for m in Method],
                           "guarantees": GUARANTEE_NAMES, "customer": None, "images": [], "found": [], "q": q}
    if customer_id:
        ctx["customer"] = _customer(session, principal, customer_id)
        ctx["images"] = [images.image_view(i) for i in images.list_images(session, actor=principal,
                                                                          customer_id=customer_id)]
    elif q:
        rows, _ = customers.search_customers(session, actor=principal, q=q[:64], page_size=10)
        ctx["found"] = [customers.customer_view(session, c) for c in rows]
    return ctx


@router.get("/origination/applications/new", response_class=HTMLResponse)
def new_application_page(request: Request, customer_id: int | None = None, q: str = "",
                         principal: Principal = Depends(require("application.create"))) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        try:
            ctx = _new_context(s, principal, customer_id, q)
        except DomainError as exc:
            return render(request, "error.html", {"status": 404, "title": domain_message(exc), "detail": None},
                          status_code=404)
    return render(request, "origination/new.html", {**ctx, "form": {}, "errors": {}})


@router.post("/origination/applications/new", response_class=HTMLResponse)
async def new_application_post(request: Request,
                               principal: Principal = Depends(require("application.create"))) -> Response:
    form = await request.form()
    raw = {k: str(v) for k, v in form.items() if k != "image_refs"}
    errors: dict[str, str] = {}
    data: dict[str, Any] = {
        "customer_id": int(raw["customer_id"]) if raw.get("customer_id", "").isdigit() else 0,
        "product_code": raw.get("product_code", ""), "amount_fen": _fen(raw.get("amount_yuan", "")),
        "term_months": int(raw["term_months"]) if raw.get("term_months", "").isdigit() else 0,
        "method": raw.get("method", ""), "guarantee": raw.get("guarantee", ""), "purpose": raw.get("purpose", ""),
        "channel": "tablet", "image_refs": [int(v) for v in form.getlist("image_refs") if str(v).isdigit()],
        "payee_name": raw.get("payee_name") or None, "payee_account": raw.get("payee_account") or None,
        "payee_bank": raw.get("payee_bank") or None,
        "declared": {k: v for k, v in {"annual_income_fen": _fen(raw.get("annual_income_yuan", "")),
                                       "debt_payment_elsewhere_fen": _fen(raw.get("monthly_debt_yuan", ""))}.items()
                     if v is not None},
    }
    try:
        body = schemas.ApplicationCreate.model_validate(data)
        with request.app.state.db.unit_of_work() as s:
            app = service.create_application(s, actor=principal, declared=body.declared.model_dump(exclude_none=True),
                                             **body.model_dump(exclude={"declared"}))
            app_id = app.id
        return RedirectResponse(f"/origination/applications/{app_id}", status_code=303)
    except (ValidationError, DomainError) as exc:
        errors = _errors(exc)
    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        ctx = _new_context(s, principal, data["customer_id"] or None, "")
    return render(request, "origination/new.html", {**ctx, "form": raw, "errors": errors}, status_code=422)


def _detail(request: Request, principal: Principal, application_id: int, *, error: str = "",
            status_code: int = 200) -> HTMLResponse:
    from zhanye.customers import images

    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        app = service.application_out(service.get_application(s, actor=principal, application_id=application_id))
        customer = _customer(s, principal, app["customer_id"])
        product = products.product_out(products.get_product(s, product_id=app["product_id"]))
        imgs = {i.id: images.image_view(i) for i in images.list_images(s, actor=principal,
                                                                       customer_id=app["customer_id"])}
        line = service.line_out(service.get_line(s, actor=principal, line_id=app["line_id"])) if app["line_id"] else None
    return render(request, "origination/application.html", {
        "a": app, "customer": customer, "product": product, "line": line, "error": error,
        "images": [imgs[i] for i in app["image_refs"] if i in imgs], "guarantees": GUARANTEE_NAMES,
        "methods": {m.value: METHOD_NAMES_ZH[m] for m in Method}}, status_code=status_code)


@router.get("/origination/applications/{application_id}", response_class=HTMLResponse)
def application_page(application_id: int, request: Request,
                     principal: Principal = Depends(require("application.read"))) -> HTMLResponse:
    return _detail(request, principal, application_id)


@router.post("/origination/applications/{application_id}/submit", response_class=HTMLResponse)
def application_submit(application_id: int, request: Request,
                       principal: Principal = Depends(require("application.create"))) -> Response:
    try:
        with request.app.state.db.unit_of_work() as s:
            service.submit(s, actor=principal, application_id=application_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _detail(request, principal, application_id, error=domain_message(exc), status_code=exc.status)
    return RedirectResponse(f"/origination/applications/{application_id}", status_code=303)


@router.post("/origination/applications/{application_id}/withdraw", response_class=HTMLResponse)
async def application_withdraw(application_id: int, request: Request,
                               principal: Principal = Depends(require("application.create"))) -> Response:
    form = await request.form()
    try:
        with request.app.state.db.unit_of_work() as s:
            service.withdraw(s, actor=principal, application_id=application_id,
                             reason=str(form.get("reason", ""))[:200] or "撤回")
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _detail(request, principal, application_id, error=domain_message(exc), status_code=exc.status)
    return RedirectResponse(f"/origination/applications/{application_id}", status_code=303)


# --- lines ------------------------------------------------------------------------------------------

@router.get("/origination/lines", response_class=HTMLResponse)
def lines_page(request: Request, status: str = "", frozen: str = "", page: int = 1,
               principal: Principal = Depends(require("line.read"))) -> HTMLResponse:
    page = max(1, min(page, 100000))
    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        rows, total = service.list_lines(s, actor=principal, status=status[:24] or None,
                                         frozen=True if frozen == "1" else None, page=page)
        items = [service.line_out(x) for x in rows]
    return render(request, "origination/lines.html", {"rows": items, "total": total, "page": page,
                                                      "status": status, "frozen": frozen})


def _line_page(request: Request, principal: Principal, line_id: int, *, error: str = "",
               status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        line = service.line_out(service.get_line(s, actor=principal, line_id=line_id))
        customer = _customer(s, principal, line["customer_id"])
        product = products.product_out(products.get_product(s, product_id=line["product_id"]))
        dds, _ = service.list_drawdowns(s, actor=principal, line_id=line_id, page_size=50)
        drawdowns = [service.drawdown_out(d) for d in dds]
    return render(request, "origination/line.html", {
        "line": line, "customer": customer, "product": product, "drawdowns": drawdowns, "error": error},
        status_code=status_code)


@router.get("/origination/lines/{line_id}", response_class=HTMLResponse)
def line_page(line_id: int, request: Request, principal: Principal = Depends(require("line.read"))) -> HTMLResponse:
    return _line_page(request, principal, line_id)


async def _line_op(request: Request, principal: Principal, line_id: int, op: str) -> Response:
    form = await request.form()
    reason = str(form.get("reason", ""))[:200]
    try:
        with request.app.state.db.unit_of_work() as s:
            if op == "freeze":
                service.freeze_line(s, actor=principal, line_id=line_id, reason=reason)
            elif op == "unfreeze":
                service.unfreeze_line(s, actor=principal, line_id=line_id, reason=reason)
            else:
                new_limit = _fen(str(form.get("new_limit_yuan", "")))
                service.reduce_line(s, actor=principal, line_id=line_id, new_limit_fen=new_limit or 0, reason=reason)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _line_page(request, principal, line_id, error=domain_message(exc), status_code=exc.status)
    return RedirectResponse(f"/origination/lines/{line_id}", status_code=303)


@router.post("/origination/lines/{line_id}/freeze", response_class=HTMLResponse)
async def line_freeze(line_id: int, request: Request,
                      principal: Principal = Depends(require("line.freeze"))) -> Response:
    return await _line_op(request, principal, line_id, "freeze")


@router.post("/origination/lines/{line_id}/unfreeze", response_class=HTMLResponse)
async def line_unfreeze(line_id: int, request: Request,
                        principal: Principal = Depends(require("line.freeze"))) -> Response:
    return await _line_op(request, principal, line_id, "unfreeze")


@router.post("/origination/lines/{line_id}/reduce", response_class=HTMLResponse)
async def line_reduce(line_id: int, request: Request,
                      principal: Principal = Depends(require("line.manage"))) -> Response:
    return await _line_op(request, principal, line_id, "reduce")


@router.get("/origination/lines/{line_id}/sign", response_class=HTMLResponse)
def line_sign_page(line_id: int, request: Request,
                   principal: Principal = Depends(require("contract.sign"))) -> HTMLResponse:
    from zhanye.lending import contracts

    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        line = service.line_out(service.get_line(s, actor=principal, line_id=line_id))
        contract_html, contract = "", None
        if line["contract_id"]:
            c = contracts.get_contract(s, actor=principal, contract_id=line["contract_id"])
            contract_html, contract = contracts.render_html(c), contracts.contract_out(c)
    return render(request, "origination/sign.html", {"line": line, "contract": contract,
                                                     "contract_html": contract_html})


# --- drawdowns -------------------------------------------------------------------------------------

def _drawdown_form(request: Request, principal: Principal, line_id: int, *, form: dict[str, str] | None = None,
                   errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        line = service.line_out(service.get_line(s, actor=principal, line_id=line_id))
        product = products.product_out(products.get_product(s, product_id=line["product_id"]))
        customer = _customer(s, principal, line["customer_id"])
    form = form or {"request_token": uuid.uuid4().hex}
    return render(request, "origination/drawdown.html", {
        "line": line, "product": product, "customer": customer, "form": form, "errors": errors or {},
        "methods": [(m, METHOD_NAMES_ZH[Method(m)]) for m in product["repayment_methods"]]}, status_code=status_code)


@router.get("/origination/lines/{line_id}/drawdown", response_class=HTMLResponse)
def drawdown_page(line_id: int, request: Request,
                  principal: Principal = Depends(require("drawdown.create"))) -> HTMLResponse:
    return _drawdown_form(request, principal, line_id)


@router.post("/origination/lines/{line_id}/drawdown", response_class=HTMLResponse)
async def drawdown_post(line_id: int, request: Request,
                        principal: Principal = Depends(require("drawdown.create"))) -> Response:
    form = await request.form()
    raw = {k: str(v)[:200] for k, v in form.items()}
    token = raw.get("request_token", "")
    if not (8 <= len(token) <= 64 and token.isalnum()):
        raw["request_token"] = uuid.uuid4().hex
        return _drawdown_form(request, principal, line_id, form=raw, errors={"_": "请刷新页面后重试"},
                              status_code=422)
    data = {"amount_fen": _fen(raw.get("amount_yuan", "")),
            "term_months": int(raw["term_months"]) if raw.get("term_months", "").isdigit() else 0,
            "method": raw.get("method", ""), "payee_name": raw.get("payee_name") or None,
            "payee_account": raw.get("payee_account") or None, "payee_bank": raw.get("payee_bank") or None,
            "purpose": raw.get("purpose", "")}
    try:
        body = schemas.DrawdownIn.model_validate(data)
        with request.app.state.db.unit_of_work() as s:
            dd = service.create_drawdown(s, actor=principal, line_id=line_id,
                                         request_key=f"page:{principal.staff_id}:{token}", **body.model_dump())
            dd_id = dd.id
        return RedirectResponse(f"/origination/drawdowns/{dd_id}", status_code=303)
    except DomainError as exc:
        if exc.status == 404:
            raise
        errors = _errors(exc)
        status = exc.status
    except ValidationError as exc:
        errors, status = _errors(exc), 422
    return _drawdown_form(request, principal, line_id, form=raw, errors=errors, status_code=status)


def _receipt(request: Request, principal: Principal, drawdown_id: int, *, error: str = "",
             status_code: int = 200) -> HTMLResponse:
    from zhanye.customers import images

    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        dd = service.drawdown_out(service.get_drawdown(s, actor=principal, drawdown_id=drawdown_id))
        line = service.line_out(service.get_line(s, actor=principal, line_id=dd["line_id"]))
        customer = _customer(s, principal, dd["customer_id"])
        product = products.product_out(products.get_product(s, product_id=dd["product_id"]))
        payments = [service.offline_payment_out(p) for p in service.list_offline_payments(
            s, actor=principal, drawdown_id=drawdown_id)]
        imgs = [images.image_view(i) for i in images.list_images(s, actor=principal, customer_id=dd["customer_id"])]
    return render(request, "origination/receipt.html", {
        "dd": dd, "line": line, "customer": customer, "product": product, "payments": payments, "images": imgs,
        "error": error, "methods": {m.value: METHOD_NAMES_ZH[m] for m in Method}}, status_code=status_code)


@router.get("/origination/drawdowns/{drawdown_id}", response_class=HTMLResponse)
def drawdown_receipt(drawdown_id: int, request: Request,
                     principal: Principal = Depends(require("loan.read"))) -> HTMLResponse:
    return _receipt(request, principal, drawdown_id)


@router.post("/origination/drawdowns/{drawdown_id}/vouchers", response_class=HTMLResponse)
async def voucher_post(drawdown_id: int, request: Request,
                       principal: Principal = Depends(require("drawdown.create"))) -> Response:
    form = await request.form()
    try:
        body = schemas.VoucherIn.model_validate({
            "amount_fen": _fen(str(form.get("amount_yuan", ""))), "description": str(form.get("description", "")),
            "image_refs": [int(v) for v in form.getlist("image_refs") if str(v).isdigit()]})
        with request.app.state.db.unit_of_work() as s:
            service.add_voucher(s, actor=principal, drawdown_id=drawdown_id, **body.model_dump())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _receipt(request, principal, drawdown_id, error=domain_message(exc), status_code=exc.status)
    except ValidationError as exc:
        return _receipt(request, principal, drawdown_id, error="；".join(_errors(exc).values()), status_code=422)
    return RedirectResponse(f"/origination/drawdowns/{drawdown_id}", status_code=303)


@router.post("/origination/drawdowns/{drawdown_id}/offline-payments", response_class=HTMLResponse)
async def offline_payment_post(drawdown_id: int, request: Request,
                               principal: Principal = Depends(require("drawdown.create"))) -> Response:
    form = await request.form()
    try:
        body = schemas.OfflinePaymentIn.model_validate({
            "amount_fen": _fen(str(form.get("amount_yuan", ""))), "counterparty": str(form.get("counterparty", "")),
            "purpose": str(form.get("purpose", "")), "reason": str(form.get("reason", ""))})
        with request.app.state.db.unit_of_work() as s:
            service.create_offline_payment(s, actor=principal, drawdown_id=drawdown_id, **body.model_dump())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _receipt(request, principal, drawdown_id, error=domain_message(exc), status_code=exc.status)
    except ValidationError as exc:
        return _receipt(request, principal, drawdown_id, error="；".join(_errors(exc).values()), status_code=422)
    return RedirectResponse(f"/origination/drawdowns/{drawdown_id}", status_code=303)


# --- payment management ----------------------------------------------------------------------------

@router.get("/origination/payments", response_class=HTMLResponse)
def payments_page(request: Request, principal: Principal = Depends(require("loan.read"))) -> HTMLResponse:
    return _payments(request, principal)


@router.post("/origination/offline-payments/{payment_id}/review", response_class=HTMLResponse)
async def offline_payment_review(payment_id: int, request: Request,
                                 principal: Principal = Depends(require("loan.approve"))) -> Response:
    form = await request.form()
    try:
        with request.app.state.db.unit_of_work() as s:
            service.review_offline_payment(s, actor=principal, payment_id=payment_id,
                                           approve=str(form.get("approve", "")) == "1",
                                           comment=str(form.get("comment", ""))[:500])
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _payments(request, principal, error=domain_message(exc), status_code=exc.status)
    return RedirectResponse("/origination/payments", status_code=303)


def _payments(request: Request, principal: Principal, *, error: str = "", status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        overdue = [service.drawdown_out(d) for d in service.overdue_vouchers(s, actor=principal)]
        pending = [service.offline_payment_out(p) for p in service.list_offline_payments(s, actor=principal,
                                                                                         status="submitted")]
    return render(request, "origination/payments.html", {"overdue": overdue, "pending": pending, "error": error},
                  status_code=status_code)


# --- village pre-credit ----------------------------------------------------------------------------

def _precredit(request: Request, principal: Principal, campaign_id: int, *, result: dict[str, Any] | None = None,
               error: str = "", status_code: int = 200) -> HTMLResponse:
    from zhanye.villages import service as villages

    with request.app.state.db.unit_of_work(write=False) as s:
        _bizdate(request, s)
        camp = villages.get_campaign(s, actor=principal, campaign_id=campaign_id)
        campaign = {"id": camp.id, "name": camp.name, "status": camp.status, "village_id": camp.village_id}
        rows, _ = service.list_lines(s, actor=principal, page_size=200, campaign_id=campaign_id)
        lines = [service.line_out(x) for x in rows]
        items = [p for p in products.list_products(s, include_suspended=False) if p.revolving]
    return render(request, "origination/precredit.html", {
        "campaign": campaign, "lines": lines, "result": result, "error": error, "products": items},
        status_code=status_code)


@router.get("/origination/campaigns/{campaign_id}/precredit", response_class=HTMLResponse)
def precredit_page(campaign_id: int, request: Request,
                   principal: Principal = Depends(require("campaign.manage"))) -> HTMLResponse:
    return _precredit(request, principal, campaign_id)


@router.post("/origination/campaigns/{campaign_id}/precredit", response_class=HTMLResponse)
async def precredit_run(campaign_id: int, request: Request,
                        principal: Principal = Depends(require("campaign.manage"))) -> Response:
    form = await request.form()
    try:
        with request.app.state.db.unit_of_work() as s:
            result = service.run_campaign(s, actor=principal, campaign_id=campaign_id,
                                          product_code=str(form.get("product_code", "NHXYD"))[:32] or "NHXYD")
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _precredit(request, principal, campaign_id, error=domain_message(exc), status_code=exc.status)
    return _precredit(request, principal, campaign_id, result=result)
