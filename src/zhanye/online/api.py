"""JSON API of the customer's online channel, under ``/api/v1/online``. Login routes are public;
every other route needs a customer session (``Authorization: Bearer`` or the ``zhanye_customer``
cookie) and serves only the customer's own objects. Creating an application, submitting it and
drawing down take an Idempotency-Key (required for drawdowns)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from zhanye.core.config import get_settings
from zhanye.core.context import Principal
from zhanye.lending.origination.api import decode_png
from zhanye.lending.sms_codes import SmsCodeTooSoon
from zhanye.online import accounts, auth, schemas, service
from zhanye.online import deposits as online_deposits
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import CUSTOMER_COOKIE, customer, public

router = APIRouter(prefix="/api/v1/online", tags=["online"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def set_session_cookie(resp: Response, token: str) -> None:
    settings = get_settings()
    resp.set_cookie(CUSTOMER_COOKIE, token, httponly=True, samesite="lax", secure=settings.cookie_secure,
                    max_age=settings.online_session_max_hours * 3600)  # the server ends idle sessions sooner


def send_login_code(request: Request, body: schemas.CodeRequest) -> dict[str, Any]:
    """Ask for a code; the answer is the same whether or not the details match (the sandbox
    provider alone adds the code it sent, for demos)."""
    with request.app.state.db.unit_of_work() as session:
        try:
            auth.request_code(session, id_number=body.id_number, mobile=body.mobile)
        except SmsCodeTooSoon:
            pass  # the code sent a moment ago is still valid; say nothing that tells a match apart
    out: dict[str, Any] = {"sent": True, "expires_in_seconds": 300, "resend_after_seconds": 60}
    hint = auth.sandbox_code(body.mobile)
    if hint:
        out["sandbox_code"] = hint
    return out


@router.post("/login/code", status_code=202, dependencies=[Depends(public())])
def api_login_code(body: schemas.CodeRequest, request: Request) -> JSONResponse:
    return JSONResponse(send_login_code(request, body), status_code=202)


def do_login(request: Request, body: schemas.LoginIn) -> auth.LoginOutcome:
    with request.app.state.db.unit_of_work() as session:
        outcome = auth.login(session, id_number=body.id_number, mobile=body.mobile, code=body.code,
                             user_agent=request.headers.get("user-agent"))
    if not outcome.ok:  # the wrong try is committed (attempt count, audit), then reported
        assert outcome.error is not None
        raise outcome.error
    return outcome


@router.post("/login", dependencies=[Depends(public())])
def api_login(body: schemas.LoginIn, request: Request) -> JSONResponse:
    outcome = do_login(request, body)
    resp = JSONResponse(jsonable_encoder({"access_token": outcome.token, "token_type": "bearer",
                                          "expires_at": outcome.expires_at}))
    set_session_cookie(resp, outcome.token or "")
    return resp


@router.post("/logout", status_code=204)
def api_logout(request: Request, principal: Principal = Depends(customer())) -> Response:
    with request.app.state.db.unit_of_work() as session:
        auth.logout(session, request.state.token)
    resp = Response(status_code=204)
    resp.delete_cookie(CUSTOMER_COOKIE)
    return resp


@router.get("/me")
def api_me(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: service.profile(s, actor=principal))


@router.get("/products")
def api_products(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: {"items": [service.product_view(p) for p in service.online_products(s)]})


# --- applications ----------------------------------------------------------------------------------

@router.post("/loan-applications", status_code=201)
def api_create_application(body: schemas.ApplicationIn, request: Request, idempotency_key: IdemKey = None,
                           principal: Principal = Depends(customer())) -> JSONResponse:
    def action(s: Session) -> Any:
        return service.application_view(s, service.create_application(s, actor=principal, **body.model_dump()))

    return run_write(request, principal, action, payload=body.model_dump(), key=idempotency_key, key_required=True,
                     status_code=201)


@router.get("/loan-applications")
def api_list_applications(request: Request, principal: Principal = Depends(customer())) -> Any:
    def action(s: Session) -> Any:
        rows, total = service.list_applications(s, actor=principal, page_size=50)
        return {"items": [service.application_view(s, a) for a in rows], "total": total}

    return read(request, action)


@router.get("/loan-applications/{application_id}")
def api_get_application(application_id: int, request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: service.application_view(
        s, service.get_application(s, actor=principal, application_id=application_id)))


@router.post("/loan-applications/{application_id}/submit")
def api_submit_application(application_id: int, request: Request, idempotency_key: IdemKey = None,
                           principal: Principal = Depends(customer())) -> JSONResponse:
    return run_write(request, principal, lambda s: service.application_view(
        s, service.submit_application(s, actor=principal, application_id=application_id)),
        payload={"application_id": application_id}, key=idempotency_key)


@router.post("/loan-applications/{application_id}/withdraw")
def api_withdraw_application(application_id: int, body: schemas.WithdrawIn, request: Request,
                             principal: Principal = Depends(customer())) -> JSONResponse:
    return run_write(request, principal, lambda s: service.application_view(
        s, service.withdraw_application(s, actor=principal, application_id=application_id, reason=body.reason)))


# --- credit lines ----------------------------------------------------------------------------------

@router.get("/credit-lines")
def api_list_lines(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: {"items": [service.line_view(s, ln) for ln in service.list_lines(s, actor=principal)]})


@router.get("/credit-lines/{line_id}")
def api_get_line(line_id: int, request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: service.line_view(s, service.get_line(s, actor=principal, line_id=line_id)))


@router.post("/credit-lines/{line_id}/signing-code")
def api_line_signing_code(line_id: int, request: Request, principal: Principal = Depends(customer())) -> JSONResponse:
    return run_write(request, principal, lambda s: service.request_signing_code(s, actor=principal, line_id=line_id))


@router.post("/credit-lines/{line_id}/sign")
def api_sign_line(line_id: int, body: schemas.SignIn, request: Request,
                  principal: Principal = Depends(customer())) -> JSONResponse:
    png = decode_png(body.signature_png_base64)
    with request.app.state.db.unit_of_work() as session:
        result = service.sign_line(session, actor=principal, line_id=line_id, signature_png=png,
                                   sms_code=body.sms_code)
        out = service.line_view(session, service.get_line(session, actor=principal, line_id=line_id))
    if not result.ok:  # the wrong try is committed (attempt count), then reported
        assert result.error is not None
        raise result.error
    return JSONResponse(jsonable_encoder({**out, "pdf_sm3": result.contract.pdf_sm3 if result.contract else None}))


@router.post("/credit-lines/{line_id}/drawdowns", status_code=201)
def api_create_drawdown(line_id: int, body: schemas.DrawdownIn, request: Request, idempotency_key: IdemKey = None,
                        principal: Principal = Depends(customer())) -> JSONResponse:
    def action(s: Session) -> Any:
        return service.drawdown_view(service.create_drawdown(s, actor=principal, line_id=line_id,
                                                             key=idempotency_key or "", **body.model_dump()))

    return run_write(request, principal, action, payload={"line_id": line_id, **body.model_dump()},
                     key=idempotency_key, key_required=True, status_code=201)


@router.get("/drawdowns")
def api_list_drawdowns(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: {"items": [service.drawdown_view(d) for d in service.list_drawdowns(s, actor=principal)]})


@router.get("/drawdowns/{drawdown_id}")
def api_get_drawdown(drawdown_id: int, request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: service.drawdown_view(service.get_drawdown(s, actor=principal,
                                                                              drawdown_id=drawdown_id)))


# --- e-accounts and loans --------------------------------------------------------------------------

@router.get("/eaccounts")
def api_list_eaccounts(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: {"items": accounts.list_eaccounts(s, actor=principal)})


@router.post("/eaccounts/{account_id}/topups", status_code=201)
def api_topup(account_id: int, body: schemas.AmountIn, request: Request, idempotency_key: IdemKey = None,
              principal: Principal = Depends(customer())) -> JSONResponse:
    """Top up from the bound card: posted at once (held), then confirmed with the card's bank."""
    started = run_write(request, principal, lambda s: {"order_id": accounts.start_topup(
        s, actor=principal, account_id=account_id, amount_fen=body.amount_fen, key=idempotency_key or "")},
        payload={"account_id": account_id, **body.model_dump()}, key=idempotency_key, key_required=True,
        status_code=201)
    order_id = int(json.loads(bytes(started.body))["order_id"])
    return run_write(request, principal, lambda s: accounts.finish_topup(s, actor=principal, order_id=order_id),
                     status_code=201)


@router.get("/loans")
def api_list_loans(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: {"items": [accounts.loan_view(s, ln) for ln in accounts.list_loans(s, actor=principal)]})


@router.get("/loans/{loan_id}")
def api_get_loan(loan_id: int, request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: accounts.loan_view(s, accounts.get_loan(s, actor=principal, loan_id=loan_id),
                                                      with_schedule=True))


@router.post("/loans/{loan_id}/repayments", status_code=201)
def api_repay(loan_id: int, body: schemas.AmountIn, request: Request, idempotency_key: IdemKey = None,
              principal: Principal = Depends(customer())) -> JSONResponse:
    return run_write(request, principal, lambda s: accounts.repay(s, actor=principal, loan_id=loan_id,
                                                                  amount_fen=body.amount_fen,
                                                                  key=idempotency_key or ""),
                     payload={"loan_id": loan_id, **body.model_dump()}, key=idempotency_key, key_required=True,
                     status_code=201)


@router.post("/loans/{loan_id}/prepayment-quote")
def api_prepayment_quote(loan_id: int, body: schemas.PrepaymentQuoteIn, request: Request,
                         principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: accounts.quote_prepayment(s, actor=principal, loan_id=loan_id, **body.model_dump()))


@router.post("/loans/{loan_id}/prepayments", status_code=201)
def api_prepay(loan_id: int, body: schemas.PrepaymentIn, request: Request, idempotency_key: IdemKey = None,
               principal: Principal = Depends(customer())) -> JSONResponse:
    return run_write(request, principal, lambda s: accounts.prepay(s, actor=principal, loan_id=loan_id,
                                                                   key=idempotency_key or "", **body.model_dump()),
                     payload={"loan_id": loan_id, **body.model_dump()}, key=idempotency_key, key_required=True,
                     status_code=201)


# --- term deposits ---------------------------------------------------------------------------------

@router.get("/deposit-products")
def api_deposit_products(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: {"items": online_deposits.products(s)})


@router.post("/deposit-quote")
def api_deposit_quote(body: schemas.DepositQuoteIn, request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: online_deposits.quote(s, **body.model_dump()))


@router.post("/term-deposits", status_code=201)
def api_buy_deposit(body: schemas.DepositBuyIn, request: Request, idempotency_key: IdemKey = None,
                    principal: Principal = Depends(customer())) -> JSONResponse:
    return run_write(request, principal, lambda s: online_deposits.term_view(s, online_deposits.buy(
        s, actor=principal, key=idempotency_key or "", **body.model_dump())),
        payload=body.model_dump(), key=idempotency_key, key_required=True, status_code=201)


@router.get("/term-deposits")
def api_list_deposits(request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: {"items": [online_deposits.term_view(s, d)
                                              for d in online_deposits.list_terms(s, actor=principal)]})


@router.get("/term-deposits/{deposit_id}")
def api_get_deposit(deposit_id: int, request: Request, principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: online_deposits.term_view(s, online_deposits.get_term(s, actor=principal,
                                                                                         deposit_id=deposit_id)))


@router.post("/term-deposits/{deposit_id}/withdrawal-quote")
def api_withdrawal_quote(deposit_id: int, body: schemas.WithdrawalIn, request: Request,
                         principal: Principal = Depends(customer())) -> Any:
    return read(request, lambda s: online_deposits.quote_withdrawal(s, actor=principal, deposit_id=deposit_id,
                                                                    amount_fen=body.amount_fen))


@router.post("/term-deposits/{deposit_id}/withdrawals")
def api_withdraw_deposit(deposit_id: int, body: schemas.WithdrawalIn, request: Request, idempotency_key: IdemKey = None,
                         principal: Principal = Depends(customer())) -> JSONResponse:
    return run_write(request, principal, lambda s: online_deposits.term_view(s, online_deposits.withdraw(
        s, actor=principal, deposit_id=deposit_id, amount_fen=body.amount_fen)),
        payload={"deposit_id": deposit_id, **body.model_dump()}, key=idempotency_key, key_required=True)
