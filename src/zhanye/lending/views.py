"""Pages: repayment calculator (shown to the customer on the tablet), loan products and their
versions, LPR maintenance, contracts (view, download, verify) and the tablet signing screen."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.core.money import Rounding, yuan_to_fen
from zhanye.lending import contracts, lpr, products
from zhanye.lending.schedules import METHOD_NAMES_ZH, DayRule, Method, build_schedule
from zhanye.lending.schemas import ProductConfig
from zhanye.web import nav
from zhanye.web.deps import require
from zhanye.web.forms import domain_message
from zhanye.web.i18n import gettext_
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("loan_calculator", "Repayment calculator", "/loans/calculator", "loan_product.read",
                         icon="cash-coin", order=300))
nav.register(nav.NavItem("loan_products", "Loan products", "/loan-products", "loan_product.read",
                         icon="card-checklist", order=310))
nav.register(nav.NavItem("lpr", "LPR", "/lpr", "loan_product.read", icon="graph-up", order=320))
nav.register(nav.NavItem("contracts", "Contracts", "/contracts", "line.read", icon="file-earmark-text",
                         order=330))


def _bizdate(request: Request) -> dt.date:
    with request.app.state.db.unit_of_work(write=False) as session:
        day = get_business_date(session)
    request.state.business_date = day
    return day


def _msg(text: str) -> str:
    return gettext_(text)


# --- repayment calculator -----------------------------------------------------------------------

@router.get("/loans/calculator", response_class=HTMLResponse)
def calculator_page(request: Request, product_id: str = "", amount: str = "", months: str = "",
                    rate_percent: str = "", method: str = "", start: str = "", day_rule: str = "",
                    principal: Principal = Depends(require("loan_product.read"))) -> HTMLResponse:
    today = _bizdate(request)
    form = {"product_id": product_id[:12], "amount": amount[:20], "months": months[:4], "rate_percent": rate_percent[:12],
            "method": method[:32], "start": start[:10] or today.isoformat(), "day_rule": day_rule[:16] or "loan_date"}
    errors: dict[str, str] = {}
    result: dict[str, Any] | None = None
    note = ""
    with request.app.state.db.unit_of_work(write=False) as session:
        items = products.list_products(session, include_suspended=False)
        product = None
        if form["product_id"].isdigit():
            try:
                product = products.get_product(session, product_id=int(form["product_id"]))
            except DomainError:
                errors["product_id"] = _msg("Unknown product")
        if amount or months or rate_percent:
            result, note = _calculate(session, form, product, today, errors)
    return render(request, "lending/calculator.html", {
        "form": form, "errors": errors, "result": result, "note": note, "products": items,
        "methods": [(m.value, METHOD_NAMES_ZH[m]) for m in Method],
        "chart": json.dumps(_chart(result)) if result else "null",
    }, status_code=422 if errors else 200)


def _calculate(session: Any, form: dict[str, str], product: Any, today: dt.date,
               errors: dict[str, str]) -> tuple[dict[str, Any] | None, str]:
    note = ""
    try:
        amount_fen = yuan_to_fen(form["amount"].replace(",", ""), Rounding.HALF_UP)
        if Decimal(form["amount"].replace(",", "")) != Decimal(form["amount"].replace(",", "")).quantize(Decimal("0.01")):
            raise ValueError
        if amount_fen <= 0:
            raise ValueError
    except (ValueError, InvalidOperation):
        errors["amount"] = _msg("Enter an amount in yuan, e.g. 100000")
        amount_fen = 0
    months = int(form["months"]) if form["months"].isdigit() else 0
    if not 1 <= months <= 600:
        errors["months"] = _msg("Enter a term of 1 to 600 months")
    rate: Decimal | None = None
    if form["rate_percent"]:
        try:
            rate = Decimal(form["rate_percent"]) / 100
            if not rate.is_finite() or not Decimal(0) <= rate <= Decimal("0.36"):
                raise InvalidOperation
        except InvalidOperation:
            errors["rate_percent"] = _msg("Enter an annual rate in percent between 0 and 36, e.g. 4.35")
            rate = None
    try:
        start = dt.date.fromisoformat(form["start"])
    except ValueError:
        errors["start"] = _msg("Enter a date as YYYY-MM-DD")
        start = today
    if form["method"] not in {m.value for m in Method}:
        errors["method"] = _msg("Choose a repayment method")
    try:
        rule = DayRule.parse(form["day_rule"])
    except DomainError:
        errors["day_rule"] = _msg("Unknown repayment day rule")
        rule = DayRule()
    if product is not None and not errors:
        try:
            products.check_loan_terms(product, amount_fen=amount_fen, months=months, method=form["method"])
            if rate is None:
                rate = products.price(session, product, on_date=start)
                note = _msg("Rate from the product: the lowest price on the start date")
        except DomainError as exc:
            errors["product_id"] = domain_message(exc)
    if rate is None and "rate_percent" not in errors:
        errors["rate_percent"] = _msg("Enter an annual rate or choose a product")
    if errors:
        return None, note
    assert rate is not None
    try:
        s = build_schedule(amount_fen=amount_fen, months=months, annual_rate=rate, method=form["method"],
                           start=start, day_rule=rule)
    except DomainError as exc:
        errors["amount"] = domain_message(exc)
        return None, note
    return {"schedule": s, "rate_percent": f"{(rate * 100).normalize():f}", "method_name": METHOD_NAMES_ZH[s.method],
            "odd": any(not i.regular for i in s.installments)}, note


def _chart(result: dict[str, Any] | None) -> dict[str, Any]:
    s = result["schedule"] if result else None
    if s is None:
        return {}
    return {"labels": [i.number for i in s.installments],
            "principal": [i.principal_fen / 100 for i in s.installments],  # display only, never computed on
            "interest": [i.interest_fen / 100 for i in s.installments],
            "total_principal": s.amount_fen / 100, "total_interest": s.total_interest_fen / 100}


# --- loan products ------------------------------------------------------------------------------

@router.get("/loan-products", response_class=HTMLResponse)
def products_page(request: Request, principal: Principal = Depends(require("loan_product.read"))) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        items = [products.product_out(p) for p in products.list_products(session)]
    return render(request, "lending/products.html", {"items": items,
                                                     "can_manage": principal.can("loan_product.manage")})


def _product_context(session: Any, code: str, version: int | None = None) -> dict[str, Any]:
    versions = products.product_versions(session, code=code)
    chosen = next((v for v in versions if v.version == version), versions[0])
    return {"p": products.product_out(chosen), "versions": [products.product_out(v) for v in versions],
            "current_version": versions[0].version}


@router.get("/loan-products/{code}", response_class=HTMLResponse)
def product_page(code: str, request: Request, version: int | None = None,
                 principal: Principal = Depends(require("loan_product.read"))) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        ctx = _product_context(session, code[:32], version)
    return render(request, "lending/product.html", {**ctx, "can_manage": principal.can("loan_product.manage"),
                                                    "edit": request.query_params.get("edit") == "1",
                                                    "errors": {}, "saved": request.query_params.get("saved")})


def _form_config(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, info in ProductConfig.model_fields.items():
        if name in products.LIST_FIELDS:
            data[name] = form.getlist(name) if hasattr(form, "getlist") else form.get(name, [])
        elif info.annotation is bool:
            data[name] = form.get(name) == "on"
        else:
            raw = form.get(name)
            data[name] = None if raw in (None, "") and name in (
                "lpr_tenor", "fixed_rate_min", "fixed_rate_max", "spread_min_bp", "spread_max_bp") else raw
    return data


@router.post("/loan-products/{code}", response_class=HTMLResponse)
async def product_new_version(code: str, request: Request,
                              principal: Principal = Depends(require("loan_product.manage"))) -> Response:
    """The edit form: saving adds a new version (earlier versions stay as they were)."""
    _bizdate(request)
    form = await request.form()
    errors: dict[str, str] = {}
    try:
        config = ProductConfig.model_validate(_form_config(form))  # type: ignore[arg-type]
    except ValidationError as exc:
        for err in exc.errors():
            errors.setdefault(".".join(str(p) for p in err["loc"]), str(err["msg"]).removeprefix("Value error, "))
        config = None
    base = str(form.get("base_version", ""))
    if config is not None:
        try:
            with request.app.state.db.unit_of_work() as session:
                row = products.edit_product(session, actor=principal, code=code[:32], config=config,
                                            change_note=str(form.get("change_note", ""))[:500],
                                            base_version=int(base) if base.isdigit() else None)
                version = row.version
            return RedirectResponse(f"/loan-products/{code}?saved={version}", status_code=303)
        except DomainError as exc:
            errors.update({".".join(map(str, e.loc)): e.as_dict("zh")["message"] for e in exc.errors})
            if not exc.errors:
                errors["_"] = domain_message(exc)
    with request.app.state.db.unit_of_work(write=False) as session:
        ctx = _product_context(session, code[:32])
    return render(request, "lending/product.html", {**ctx, "can_manage": True, "edit": True, "errors": errors,
                                                    "saved": None}, status_code=422)


# --- LPR ----------------------------------------------------------------------------------------

def _lpr_page(request: Request, principal: Principal, *, error: str | None = None, ok: str | None = None,
              status_code: int = 200) -> HTMLResponse:
    today = _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        rows = lpr.list_lpr(session)
        current = lpr.current_values(session, today)
    return render(request, "lending/lpr.html", {"rows": rows, "current": current, "today": today, "error": error,
                                                "ok": ok, "can_manage": principal.can("lpr.manage")},
                  status_code=status_code)


@router.get("/lpr", response_class=HTMLResponse)
def lpr_page(request: Request, principal: Principal = Depends(require("loan_product.read"))) -> HTMLResponse:
    return _lpr_page(request, principal)


@router.post("/lpr", response_class=HTMLResponse)
def lpr_action(request: Request, op: str = Form("add"), tenor: str = Form(""), rate_percent: str = Form(""),
               effective_date: str = Form(""), note: str = Form(""), lpr_id: str = Form(""),
               principal: Principal = Depends(require("lpr.manage"))) -> HTMLResponse:
    try:
        with request.app.state.db.unit_of_work() as session:
            if op == "withdraw" and lpr_id.isdigit():
                lpr.withdraw_lpr(session, actor=principal, lpr_id=int(lpr_id), today=get_business_date(session))
            elif op == "add":
                try:
                    rate = Decimal(rate_percent) / 100
                    day = dt.date.fromisoformat(effective_date)
                except (InvalidOperation, ValueError):
                    return _lpr_page(request, principal, error=_msg("Enter the rate in percent and the date"),
                                     status_code=422)
                lpr.add_lpr(session, actor=principal, tenor=tenor, rate=rate, effective_date=day, note=note[:200])
            else:
                return _lpr_page(request, principal, error=_msg("Unknown action"), status_code=400)
    except DomainError as exc:
        return _lpr_page(request, principal, error=domain_message(exc), status_code=exc.status)
    return _lpr_page(request, principal, ok=_msg("Saved"))


# --- contracts ----------------------------------------------------------------------------------

@router.get("/contracts", response_class=HTMLResponse)
def contracts_page(request: Request, status: str = "", page: int = 1,
                   principal: Principal = Depends(require("line.read"))) -> HTMLResponse:
    _bizdate(request)
    page = max(1, min(page, 100000))
    status = status if status in ("pending_signature", "signed", "void") else ""
    with request.app.state.db.unit_of_work(write=False) as session:
        rows, total = contracts.list_contracts(session, actor=principal, status=status or None, page=page)
    return render(request, "lending/contracts.html", {
        "rows": [contracts.contract_out(c) for c in rows], "total": total, "page": page, "status": status,
        "pages": max(1, (total + 19) // 20), "query": f"status={status}" if status else ""})


@router.get("/contracts/{contract_id}", response_class=HTMLResponse)
def contract_page(contract_id: int, request: Request,
                  principal: Principal = Depends(require("line.read"))) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        c = contracts.get_contract(session, actor=principal, contract_id=contract_id)
        html = contracts.render_html(c)
        report = contracts.verify_contract(session, contract_id=c.id, actor=principal) if c.status == "signed" else None
        out = contracts.contract_out(c)
    return render(request, "lending/contract.html", {"c": out, "contract_html": html, "report": report,
                                                     "can_sign": principal.can("contract.sign")})


@router.get("/contracts/{contract_id}/sign", response_class=HTMLResponse)
def contract_sign_page(contract_id: int, request: Request,
                       principal: Principal = Depends(require("contract.sign"))) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        c = contracts.get_contract(session, actor=principal, contract_id=contract_id)
        html = contracts.render_html(c)
        out = contracts.contract_out(c)
    from zhanye.integrations.base import registry

    sandbox = getattr(registry.get("sms"), "name", "").startswith("sandbox")
    return render(request, "lending/sign.html", {"c": out, "contract_html": html, "sandbox_sms": sandbox})
