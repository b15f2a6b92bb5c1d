"""H5 pages of the customer's online channel, for a phone: login (ID number, mobile, SMS code), home
(credit lines, applications, drawdowns), apply for a loan (created and submitted at once: the
decision is shown on the next page), the application's state, signing the line contract with a
finger on the signature pad, drawing down, and the receipt.

Forms carry a one-time token used as the Idempotency-Key, so a double tap or a reload of the
POST gives the first result and never a second application or drawdown."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from zhanye.core import idempotency
from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.core.money import Rounding, yuan_to_fen
from zhanye.online import accounts, auth, schemas, service
from zhanye.online import deposits as online_deposits
from zhanye.online.api import do_login, send_login_code, set_session_cookie
from zhanye.web import i18n
from zhanye.web.deps import CUSTOMER_COOKIE, customer, public
from zhanye.web.forms import domain_message, validate_form
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)


def _fen(raw: str | None) -> int | None:
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        return yuan_to_fen(raw, Rounding.HALF_UP)
    except (ValueError, TypeError, ArithmeticError):
        return -1


def _int(raw: str | None, *, digits: int = 5) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= digits else None


def _field_errors(exc: DomainError) -> dict[str, str]:
    if exc.errors:
        lang = "zh" if i18n.get_locale() == "zh_CN" else "en"
        return {str(e.loc[-1]): e.as_dict(lang)["message"] for e in exc.errors}
    return {"_": domain_message(exc)}


def _once(request: Request, principal: Principal, token: str, endpoint: str, payload: dict[str, Any],
          action: Any) -> str:
    """Run ``action(session) -> redirect url`` once per form token (stored like an Idempotency-Key)."""
    key = idempotency.check_key(token or uuid.uuid4().hex)
    fingerprint = idempotency.request_fingerprint(endpoint, payload)
    with request.app.state.db.unit_of_work() as s:
        stored = idempotency.lookup(s, scope=principal.idempotency_scope, key=key, endpoint=endpoint,
                                    fingerprint=fingerprint)
        if stored is not None:
            return str(stored.body["redirect"])
        url = action(s)
        idempotency.store(s, scope=principal.idempotency_scope, key=key, endpoint=endpoint, fingerprint=fingerprint,
                          status_code=303, body={"redirect": url})
    return url


def _submit_once(request: Request, principal: Principal, token: str, endpoint: str, payload: dict[str, Any],
                 action: Any, refused: Callable[[DomainError], Response]) -> Response:
    """``_once``, then a 303 to where the action leads; a refusal other than "not found" is
    answered by ``refused(exc)`` (the form again, with the reason)."""
    try:
        url = _once(request, principal, token, endpoint, payload, action)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(exc)
    return RedirectResponse(url, status_code=303)


# --- login -----------------------------------------------------------------------------------------

def _login_page(request: Request, form: dict[str, str], *, errors: dict[str, str] | None = None,
                sent: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    return render(request, "online/login.html", {"form": form, "errors": errors or {}, "sent": sent},
                  status_code=status_code)


@router.get("/m/login", response_class=HTMLResponse, dependencies=[Depends(public())])
def login_page(request: Request) -> HTMLResponse:
    return _login_page(request, {})


async def _login_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: str(form.get(k, ""))[:40].strip() for k in ("id_number", "mobile", "code")}


@router.post("/m/login/code", response_class=HTMLResponse, dependencies=[Depends(public())])
async def login_code_post(request: Request) -> HTMLResponse:
    form = await _login_form(request)
    body, errors = validate_form(schemas.CodeRequest, {"id_number": form["id_number"], "mobile": form["mobile"]})
    if body is None:
        return _login_page(request, form, errors=errors, status_code=422)
    assert isinstance(body, schemas.CodeRequest)
    return _login_page(request, form, sent=send_login_code(request, body))


@router.post("/m/login", response_class=HTMLResponse, dependencies=[Depends(public())])
async def login_post(request: Request) -> Response:
    form = await _login_form(request)
    body, errors = validate_form(schemas.LoginIn, form)
    if body is None:
        return _login_page(request, form, errors=errors, status_code=422)
    assert isinstance(body, schemas.LoginIn)
    try:
        outcome = do_login(request, body)
    except DomainError as exc:
        return _login_page(request, form, errors={"_": domain_message(exc)}, status_code=exc.status)
    resp = RedirectResponse("/m", status_code=303)
    set_session_cookie(resp, outcome.token or "")
    return resp


@router.post("/m/logout", dependencies=[Depends(public())])
def logout_post(request: Request) -> Response:
    token = request.cookies.get(CUSTOMER_COOKIE)
    if token and len(token) <= 200:
        with request.app.state.db.unit_of_work() as s:
            auth.logout(s, token)
    resp = RedirectResponse("/m/login", status_code=303)
    resp.delete_cookie(CUSTOMER_COOKIE)
    return resp


# --- home and applications -------------------------------------------------------------------------

@router.get("/m", response_class=HTMLResponse)
def home_page(request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        me = service.profile(s, actor=principal)
        lines = [service.line_view(s, ln) for ln in service.list_lines(s, actor=principal)]
        apps, _ = service.list_applications(s, actor=principal, page_size=20)
        applications = [service.application_view(s, a) for a in apps]
        drawdowns = [service.drawdown_view(d) for d in service.list_drawdowns(s, actor=principal)]
        eaccounts = accounts.list_eaccounts(s, actor=principal)
        loans = [accounts.loan_view(s, ln) for ln in accounts.list_loans(s, actor=principal)]
    return render(request, "online/home.html", {"me": me, "lines": lines, "applications": applications,
                                                "drawdowns": drawdowns, "eaccounts": eaccounts, "loans": loans,
                                                "done": request.query_params.get("done", "")[:20],
                                                "token": uuid.uuid4().hex})


def _apply_page(request: Request, principal: Principal, form: dict[str, str], errors: dict[str, str],
                status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        products = [service.product_view(p) for p in service.online_products(s)]
    return render(request, "online/apply.html", {"products": products, "form": form, "errors": errors,
                                                 "token": form.get("token") or uuid.uuid4().hex},
                  status_code=status_code)


@router.get("/m/apply", response_class=HTMLResponse)
def apply_page(request: Request, product: str = "", principal: Principal = Depends(customer())) -> HTMLResponse:
    return _apply_page(request, principal, {"product_code": product[:32]}, {})


@router.post("/m/apply", response_class=HTMLResponse)
async def apply_post(request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:200] for k, v in (await request.form()).items()}
    data = {"product_code": raw.get("product_code", ""), "amount_fen": _fen(raw.get("amount_yuan")),
            "term_months": _int(raw.get("term_months")), "method": raw.get("method", ""),
            "purpose": raw.get("purpose", ""), "annual_income_fen": _fen(raw.get("annual_income_yuan")),
            "monthly_debt_payment_fen": _fen(raw.get("monthly_debt_yuan"))}
    body, errors = validate_form(schemas.ApplicationIn, data)
    if body is None:
        errors = {_form_name(k): v for k, v in errors.items()}
        return _apply_page(request, principal, raw, errors, status_code=422)
    assert isinstance(body, BaseModel)

    def action(s: Session) -> str:
        app = service.create_application(s, actor=principal, **body.model_dump())
        service.submit_application(s, actor=principal, application_id=app.id)
        return f"/m/applications/{app.id}"

    try:
        url = _once(request, principal, raw.get("token", ""), "POST /m/apply", body.model_dump(), action)
    except DomainError as exc:
        errors = {_form_name(k): v for k, v in _field_errors(exc).items()}
        return _apply_page(request, principal, raw, errors, status_code=exc.status)
    return RedirectResponse(url, status_code=303)


_FORM_NAMES = {"amount_fen": "amount_yuan", "annual_income_fen": "annual_income_yuan",
               "monthly_debt_payment_fen": "monthly_debt_yuan"}


def _form_name(field: str) -> str:
    return _FORM_NAMES.get(field, field)


@router.get("/m/applications/{application_id}", response_class=HTMLResponse)
def application_page(application_id: int, request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        app = service.application_view(s, service.get_application(s, actor=principal, application_id=application_id))
    return render(request, "online/application.html", {"app": app})


@router.post("/m/applications/{application_id}/withdraw")
def application_withdraw(application_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    with request.app.state.db.unit_of_work() as s:
        service.withdraw_application(s, actor=principal, application_id=application_id, reason="客户在线撤回")
    return RedirectResponse(f"/m/applications/{application_id}", status_code=303)


# --- lines: signing and drawing --------------------------------------------------------------------

@router.get("/m/lines/{line_id}/sign", response_class=HTMLResponse)
def sign_page(line_id: int, request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        line = service.line_view(s, service.get_line(s, actor=principal, line_id=line_id))
        html = service.contract_html(s, actor=principal, line_id=line_id) if line["can_sign"] else ""
        me = service.profile(s, actor=principal)
    return render(request, "online/sign.html", {"line": line, "contract_html": html, "me": me})


def _draw_page(request: Request, principal: Principal, line_id: int, form: dict[str, str], errors: dict[str, str],
               status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        line = service.line_view(s, service.get_line(s, actor=principal, line_id=line_id))
    return render(request, "online/draw.html", {"line": line, "form": form, "errors": errors,
                                                "token": form.get("token") or uuid.uuid4().hex},
                  status_code=status_code)


@router.get("/m/lines/{line_id}/draw", response_class=HTMLResponse)
def draw_page(line_id: int, request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    return _draw_page(request, principal, line_id, {}, {})


@router.post("/m/lines/{line_id}/draw", response_class=HTMLResponse)
async def draw_post(line_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:200] for k, v in (await request.form()).items()}
    data = {"amount_fen": _fen(raw.get("amount_yuan")), "term_months": _int(raw.get("term_months")),
            "method": raw.get("method", ""), "payee_name": raw.get("payee_name") or None,
            "payee_account": raw.get("payee_account") or None, "payee_bank": raw.get("payee_bank") or None,
            "purpose": raw.get("purpose", "")}
    body, errors = validate_form(schemas.DrawdownIn, data)
    if body is None:
        return _draw_page(request, principal, line_id, raw, {_form_name(k): v for k, v in errors.items()}, 422)
    assert isinstance(body, BaseModel)
    token = raw.get("token") or uuid.uuid4().hex

    def action(s: Session) -> str:
        dd = service.create_drawdown(s, actor=principal, line_id=line_id, key=f"page:{token}", **body.model_dump())
        return f"/m/drawdowns/{dd.id}"

    try:
        url = _once(request, principal, token, f"POST /m/lines/{line_id}/draw", body.model_dump(), action)
    except DomainError as exc:
        errors = {_form_name(k): v for k, v in _field_errors(exc).items()}
        return _draw_page(request, principal, line_id, raw, errors, exc.status)
    return RedirectResponse(url, status_code=303)


@router.get("/m/drawdowns/{drawdown_id}", response_class=HTMLResponse)
def receipt_page(drawdown_id: int, request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        dd = service.drawdown_view(service.get_drawdown(s, actor=principal, drawdown_id=drawdown_id))
    return render(request, "online/receipt.html", {"dd": dd})


# --- e-accounts and loans --------------------------------------------------------------------------

@router.post("/m/eaccounts/{account_id}/topup", response_class=HTMLResponse)
async def topup_post(account_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:100] for k, v in (await request.form()).items()}
    fen = _fen(raw.get("amount_yuan"))
    if fen is None or fen <= 0:
        return RedirectResponse("/m?done=topup_bad_amount", status_code=303)
    token = raw.get("token") or uuid.uuid4().hex
    try:
        url = _once(request, principal, token, f"POST /m/eaccounts/{account_id}/topup", {"fen": fen},
                    lambda s: f"/m?order={accounts.start_topup(s, actor=principal, account_id=account_id, amount_fen=fen, key=token)}")
        order_id = int(url.rsplit("=", 1)[1])
        with request.app.state.db.unit_of_work() as s:
            status = accounts.finish_topup(s, actor=principal, order_id=order_id)["status"]
    except DomainError as exc:
        if exc.status == 404:
            raise
        return RedirectResponse("/m?done=topup_refused", status_code=303)
    return RedirectResponse(f"/m?done=topup_{status}", status_code=303)


def _loan_page(request: Request, principal: Principal, loan_id: int, *, error: str = "", done: str = "",
               quote: dict[str, Any] | None = None, form: dict[str, str] | None = None,
               status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        loan = accounts.loan_view(s, accounts.get_loan(s, actor=principal, loan_id=loan_id), with_schedule=True)
        eaccounts = accounts.list_eaccounts(s, actor=principal)
    return render(request, "online/loan.html", {"loan": loan, "eaccounts": eaccounts, "error": error, "done": done,
                                                "quote": quote, "form": form or {}, "token": uuid.uuid4().hex},
                  status_code=status_code)


@router.get("/m/loans/{loan_id}", response_class=HTMLResponse)
def loan_page(loan_id: int, request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    return _loan_page(request, principal, loan_id, done=request.query_params.get("done", "")[:20])


@router.post("/m/loans/{loan_id}/repay", response_class=HTMLResponse)
async def repay_post(loan_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:100] for k, v in (await request.form()).items()}
    fen = _fen(raw.get("amount_yuan"))
    if fen is None or fen <= 0:
        return _loan_page(request, principal, loan_id, error=i18n.gettext_("Enter an amount in yuan, e.g. 1200.50"),
                          status_code=422)
    token = raw.get("token") or uuid.uuid4().hex

    def action(s: Session) -> str:
        accounts.repay(s, actor=principal, loan_id=loan_id, amount_fen=fen, key=f"page:{token}")
        return f"/m/loans/{loan_id}?done=repaid"

    return _submit_once(request, principal, token, f"POST /m/loans/{loan_id}/repay", {"fen": fen}, action,
                        lambda exc: _loan_page(request, principal, loan_id, error=domain_message(exc),
                                               status_code=exc.status))


def _prepay_fields(raw: dict[str, str]) -> dict[str, Any]:
    kind = raw.get("kind", "full")
    data: dict[str, Any] = {"kind": kind}
    if kind == "partial":
        data["principal_fen"] = _fen(raw.get("principal_yuan"))
        data["option"] = raw.get("option") or "lower_installment"
    return data


@router.post("/m/loans/{loan_id}/prepay-quote", response_class=HTMLResponse)
async def prepay_quote_post(loan_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:100] for k, v in (await request.form()).items()}
    body, errors = validate_form(schemas.PrepaymentQuoteIn, _prepay_fields(raw))
    if body is None:
        return _loan_page(request, principal, loan_id, error="; ".join(errors.values()), form=raw, status_code=422)
    assert isinstance(body, BaseModel)
    try:
        with request.app.state.db.unit_of_work(write=False) as s:
            quote = accounts.quote_prepayment(s, actor=principal, loan_id=loan_id, **body.model_dump())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _loan_page(request, principal, loan_id, error=domain_message(exc), form=raw, status_code=exc.status)
    return _loan_page(request, principal, loan_id, quote=quote, form=raw)


@router.post("/m/loans/{loan_id}/prepay", response_class=HTMLResponse)
async def prepay_post(loan_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:100] for k, v in (await request.form()).items()}
    data = {**_prepay_fields(raw), "expected_total_fen": _int(raw.get("expected_total_fen"), digits=15)}
    body, errors = validate_form(schemas.PrepaymentIn, data)
    if body is None:
        return _loan_page(request, principal, loan_id, error="; ".join(errors.values()), form=raw, status_code=422)
    assert isinstance(body, BaseModel)
    token = raw.get("token") or uuid.uuid4().hex

    def action(s: Session) -> str:
        accounts.prepay(s, actor=principal, loan_id=loan_id, key=f"page:{token}", **body.model_dump())
        return f"/m/loans/{loan_id}?done=prepaid"

    return _submit_once(request, principal, token, f"POST /m/loans/{loan_id}/prepay", body.model_dump(), action,
                        lambda exc: _loan_page(request, principal, loan_id, error=domain_message(exc), form=raw,
                                               status_code=exc.status))


# --- term deposits ---------------------------------------------------------------------------------

def _deposits_page(request: Request, principal: Principal, *, form: dict[str, str] | None = None,
                   quote: dict[str, Any] | None = None, error: str = "", status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        products = online_deposits.products(s)
        terms = [online_deposits.term_view(s, d) for d in online_deposits.list_terms(s, actor=principal)]
        eaccounts = [ea for ea in accounts.list_eaccounts(s, actor=principal) if ea["eclass"] == "II"]
    return render(request, "online/deposits.html", {
        "products": products, "terms": terms, "eaccounts": eaccounts, "form": form or {}, "quote": quote,
        "error": error, "done": request.query_params.get("done", "")[:20], "token": uuid.uuid4().hex,
        "instructions": online_deposits.INSTRUCTION_NAMES}, status_code=status_code)


@router.get("/m/deposits", response_class=HTMLResponse)
def deposits_page(request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    return _deposits_page(request, principal)


def _deposit_form(raw: dict[str, str]) -> dict[str, Any]:
    return {"product_code": raw.get("product_code", ""), "amount_fen": _fen(raw.get("amount_yuan"))}


@router.post("/m/deposits/quote", response_class=HTMLResponse)
async def deposit_quote_post(request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:100] for k, v in (await request.form()).items()}
    body, errors = validate_form(schemas.DepositQuoteIn, _deposit_form(raw))
    if body is None:
        return _deposits_page(request, principal, form=raw, error="; ".join(errors.values()), status_code=422)
    assert isinstance(body, BaseModel)
    try:
        with request.app.state.db.unit_of_work(write=False) as s:
            quote = online_deposits.quote(s, **body.model_dump())
    except DomainError as exc:
        return _deposits_page(request, principal, form=raw, error=domain_message(exc), status_code=exc.status)
    return _deposits_page(request, principal, form=raw, quote=quote)


@router.post("/m/deposits/buy", response_class=HTMLResponse)
async def deposit_buy_post(request: Request, principal: Principal = Depends(customer())) -> Response:
    raw = {k: str(v)[:100] for k, v in (await request.form()).items()}
    data = {**_deposit_form(raw), "eaccount_id": _int(raw.get("eaccount_id"), digits=15),
            "instruction": raw.get("instruction") or None}
    body, errors = validate_form(schemas.DepositBuyIn, data)
    if body is None:
        return _deposits_page(request, principal, form=raw, error="; ".join(errors.values()), status_code=422)
    assert isinstance(body, BaseModel)
    token = raw.get("token") or uuid.uuid4().hex

    def action(s: Session) -> str:
        d = online_deposits.buy(s, actor=principal, key=f"page:{token}", **body.model_dump())
        return f"/m/deposits/{d.id}?done=bought"

    return _submit_once(request, principal, token, "POST /m/deposits/buy", body.model_dump(), action,
                        lambda exc: _deposits_page(request, principal, form=raw, error=domain_message(exc),
                                                   status_code=exc.status))


def _deposit_page(request: Request, principal: Principal, deposit_id: int, *, quote: dict[str, Any] | None = None,
                  form: dict[str, str] | None = None, error: str = "", status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        d = online_deposits.term_view(s, online_deposits.get_term(s, actor=principal, deposit_id=deposit_id))
    return render(request, "online/deposit.html", {"d": d, "quote": quote, "form": form or {}, "error": error,
                                                   "done": request.query_params.get("done", "")[:20],
                                                   "token": uuid.uuid4().hex}, status_code=status_code)


@router.get("/m/deposits/{deposit_id}", response_class=HTMLResponse)
def deposit_page(deposit_id: int, request: Request, principal: Principal = Depends(customer())) -> HTMLResponse:
    return _deposit_page(request, principal, deposit_id)


async def _withdrawal_form(request: Request, principal: Principal, deposit_id: int
                           ) -> tuple[dict[str, str], schemas.WithdrawalIn | None, Response | None]:
    """The form's fields, the validated body, or the page answering its errors."""
    raw = {k: str(v)[:100] for k, v in (await request.form()).items()}
    partial = raw.get("kind") == "partial"
    amount = _fen(raw.get("amount_yuan")) if partial else None
    body, errors = validate_form(schemas.WithdrawalIn, {"amount_fen": amount})
    if body is not None and partial and amount is None:  # a blank partial amount is not "all of it"
        body, errors = None, {"amount_yuan": i18n.gettext_("Enter the amount to withdraw")}
    if body is None:
        return raw, None, _deposit_page(request, principal, deposit_id, form=raw, error="; ".join(errors.values()),
                                        status_code=422)
    assert isinstance(body, schemas.WithdrawalIn)
    return raw, body, None


@router.post("/m/deposits/{deposit_id}/withdrawal-quote", response_class=HTMLResponse)
async def withdrawal_quote_post(deposit_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    raw, body, answer = await _withdrawal_form(request, principal, deposit_id)
    if body is None:
        assert answer is not None
        return answer
    try:
        with request.app.state.db.unit_of_work(write=False) as s:
            quote = online_deposits.quote_withdrawal(s, actor=principal, deposit_id=deposit_id,
                                                     amount_fen=body.amount_fen)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _deposit_page(request, principal, deposit_id, form=raw, error=domain_message(exc),
                             status_code=exc.status)
    return _deposit_page(request, principal, deposit_id, quote=quote, form=raw)


@router.post("/m/deposits/{deposit_id}/withdraw", response_class=HTMLResponse)
async def withdraw_post(deposit_id: int, request: Request, principal: Principal = Depends(customer())) -> Response:
    raw, body, answer = await _withdrawal_form(request, principal, deposit_id)
    if body is None:
        assert answer is not None
        return answer
    token = raw.get("token") or uuid.uuid4().hex

    def action(s: Session) -> str:
        online_deposits.withdraw(s, actor=principal, deposit_id=deposit_id, amount_fen=body.amount_fen)
        return f"/m/deposits/{deposit_id}?done=withdrawn"

    return _submit_once(request, principal, token, f"POST /m/deposits/{deposit_id}/withdraw", body.model_dump(),
                        action, lambda exc: _deposit_page(request, principal, deposit_id, form=raw,
                                                          error=domain_message(exc), status_code=exc.status))
