"""JSON API of origination: applications, credit lines, signing, drawdowns, payment management and
village pre-credit. Every route declares its permission; creating and money-moving POSTs take an
Idempotency-Key (required for drawdowns)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import ValidationFailed
from zhanye.lending.origination import schemas, service
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["origination"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]
Page = Annotated[int, Query(ge=1, le=100000)]
PageSize = Annotated[int, Query(ge=1, le=200)]


def _paged(items: list[dict[str, Any]], total: int, page: int, page_size: int) -> dict[str, Any]:
    return {"items": items, "total": total, "page": page, "page_size": page_size}


# --- applications --------------------------------------------------------------------------------

@router.post("/loan-applications", status_code=201)
def api_create_application(body: schemas.ApplicationCreate, request: Request, idempotency_key: IdemKey = None,
                           principal: Principal = Depends(require("application.create"))) -> JSONResponse:
    def action(s: Session) -> Any:
        data = body.model_dump(exclude={"declared"})
        declared = body.declared.model_dump(exclude_none=True)
        return service.application_out(service.create_application(s, actor=principal, declared=declared, **data))

    return run_write(request, principal, action, payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/loan-applications")
def api_list_applications(request: Request, state: Annotated[str | None, Query(max_length=24)] = None,
                          customer_id: int | None = None, page: Page = 1, page_size: PageSize = 20,
                          principal: Principal = Depends(require("application.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = service.list_applications(s, actor=principal, state=state, customer_id=customer_id, page=page,
                                                page_size=page_size)
        return _paged([service.application_out(a) for a in rows], total, page, page_size)

    return read(request, action)


@router.get("/loan-applications/{application_id}")
def api_get_application(application_id: int, request: Request,
                        principal: Principal = Depends(require("application.read"))) -> Any:
    return read(request, lambda s: service.application_out(
        service.get_application(s, actor=principal, application_id=application_id)))


@router.patch("/loan-applications/{application_id}")
def api_update_application(application_id: int, body: schemas.ApplicationUpdate, request: Request,
                           principal: Principal = Depends(require("application.create"))) -> JSONResponse:
    def action(s: Session) -> Any:
        changes = body.model_dump(exclude_none=True)
        if body.declared is not None:
            changes["declared"] = body.declared.model_dump(exclude_none=True)
        return service.application_out(service.update_application(s, actor=principal, application_id=application_id,
                                                                  changes=changes))

    return run_write(request, principal, action)


@router.post("/loan-applications/{application_id}/submit")
def api_submit_application(application_id: int, request: Request, idempotency_key: IdemKey = None,
                           principal: Principal = Depends(require("application.create"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.application_out(
        service.submit(s, actor=principal, application_id=application_id)),
        payload={"application_id": application_id}, key=idempotency_key)


@router.post("/loan-applications/{application_id}/withdraw")
def api_withdraw_application(application_id: int, body: schemas.Reason, request: Request,
                             principal: Principal = Depends(require("application.create"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.application_out(
        service.withdraw(s, actor=principal, application_id=application_id, reason=body.reason)))


# --- credit lines ----------------------------------------------------------------------------------

@router.get("/credit-lines")
def api_list_lines(request: Request, status: Annotated[str | None, Query(max_length=24)] = None,
                   customer_id: int | None = None, frozen: bool | None = None, page: Page = 1,
                   page_size: PageSize = 20, principal: Principal = Depends(require("line.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = service.list_lines(s, actor=principal, status=status, customer_id=customer_id, frozen=frozen,
                                         page=page, page_size=page_size)
        return _paged([service.line_out(x) for x in rows], total, page, page_size)

    return read(request, action)


@router.get("/credit-lines/{line_id}")
def api_get_line(line_id: int, request: Request, principal: Principal = Depends(require("line.read"))) -> Any:
    return read(request, lambda s: service.line_out(service.get_line(s, actor=principal, line_id=line_id)))


@router.post("/credit-lines/{line_id}/freeze")
def api_freeze_line(line_id: int, body: schemas.Reason, request: Request,
                    principal: Principal = Depends(require("line.freeze"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.line_out(
        service.freeze_line(s, actor=principal, line_id=line_id, reason=body.reason)))


@router.post("/credit-lines/{line_id}/unfreeze")
def api_unfreeze_line(line_id: int, body: schemas.Reason, request: Request,
                      principal: Principal = Depends(require("line.freeze"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.line_out(
        service.unfreeze_line(s, actor=principal, line_id=line_id, reason=body.reason)))


@router.post("/credit-lines/{line_id}/reduce")
def api_reduce_line(line_id: int, body: schemas.ReduceIn, request: Request,
                    principal: Principal = Depends(require("line.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.line_out(
        service.reduce_line(s, actor=principal, line_id=line_id, new_limit_fen=body.new_limit_fen,
                            reason=body.reason)))


@router.post("/credit-lines/{line_id}/signing-code")
def api_line_signing_code(line_id: int, request: Request,
                          principal: Principal = Depends(require("contract.sign"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.request_signing_code(s, actor=principal, line_id=line_id))


def decode_png(b64: str) -> bytes:
    raw = b64.split(",", 1)[1] if b64.startswith("data:") else b64
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.field(["body", "signature_png_base64"], "签名图片不是有效的 Base64",
                                     "The signature is not valid base64") from None


@router.post("/credit-lines/{line_id}/sign")
def api_sign_line(line_id: int, body: schemas.SignIn, request: Request,
                  principal: Principal = Depends(require("contract.sign"))) -> JSONResponse:
    png = decode_png(body.signature_png_base64)
    with request.app.state.db.unit_of_work() as session:
        result = service.sign(session, actor=principal, line_id=line_id, signature_png=png, sms_code=body.sms_code)
        out = service.line_out(service.get_line(session, actor=principal, line_id=line_id))
    if not result.ok:  # the wrong try is committed (attempt count), then reported
        assert result.error is not None
        raise result.error
    from fastapi.encoders import jsonable_encoder

    return JSONResponse(jsonable_encoder({**out, "contract_id": result.contract.id if result.contract else None,
                                          "pdf_sm3": result.contract.pdf_sm3 if result.contract else None}))


# --- drawdowns -------------------------------------------------------------------------------------

@router.post("/credit-lines/{line_id}/drawdowns", status_code=201)
def api_create_drawdown(line_id: int, body: schemas.DrawdownIn, request: Request, idempotency_key: IdemKey = None,
                        principal: Principal = Depends(require("drawdown.create"))) -> JSONResponse:
    def action(s: Session) -> Any:
        dd = service.create_drawdown(s, actor=principal, line_id=line_id, request_key=f"api:{principal.staff_id}:"
                                     f"{idempotency_key}", **body.model_dump())
        return service.drawdown_out(dd)

    return run_write(request, principal, action, payload={"line_id": line_id, **body.model_dump()},
                     key=idempotency_key, key_required=True, status_code=201)


@router.get("/drawdowns")
def api_list_drawdowns(request: Request, line_id: int | None = None, customer_id: int | None = None,
                       page: Page = 1, page_size: PageSize = 20,
                       principal: Principal = Depends(require("loan.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = service.list_drawdowns(s, actor=principal, line_id=line_id, customer_id=customer_id, page=page,
                                             page_size=page_size)
        return _paged([service.drawdown_out(d) for d in rows], total, page, page_size)

    return read(request, action)


@router.get("/drawdowns/{drawdown_id}")
def api_get_drawdown(drawdown_id: int, request: Request, principal: Principal = Depends(require("loan.read"))) -> Any:
    return read(request, lambda s: service.drawdown_out(service.get_drawdown(s, actor=principal,
                                                                             drawdown_id=drawdown_id)))


@router.post("/drawdowns/{drawdown_id}/confirm-payment")
def api_confirm_payment(drawdown_id: int, request: Request,
                        principal: Principal = Depends(require("drawdown.create"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.drawdown_out(
        service.confirm_payment(s, actor=principal, drawdown_id=drawdown_id)))


# --- payment management ----------------------------------------------------------------------------

@router.post("/drawdowns/{drawdown_id}/offline-payments", status_code=201)
def api_create_offline_payment(drawdown_id: int, body: schemas.OfflinePaymentIn, request: Request,
                               idempotency_key: IdemKey = None,
                               principal: Principal = Depends(require("drawdown.create"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.offline_payment_out(service.create_offline_payment(
        s, actor=principal, drawdown_id=drawdown_id, **body.model_dump())),
        payload={"drawdown_id": drawdown_id, **body.model_dump()}, key=idempotency_key, status_code=201)


@router.get("/offline-payments")
def api_list_offline_payments(request: Request, status: Annotated[str | None, Query(max_length=16)] = None,
                              drawdown_id: int | None = None,
                              principal: Principal = Depends(require("loan.read"))) -> Any:
    return read(request, lambda s: {"items": [service.offline_payment_out(p) for p in service.list_offline_payments(
        s, actor=principal, status=status, drawdown_id=drawdown_id)]})


@router.post("/offline-payments/{payment_id}/review")
def api_review_offline_payment(payment_id: int, body: schemas.ReviewIn, request: Request,
                               principal: Principal = Depends(require("loan.approve"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.offline_payment_out(service.review_offline_payment(
        s, actor=principal, payment_id=payment_id, approve=body.approve, comment=body.comment)))


@router.post("/drawdowns/{drawdown_id}/vouchers", status_code=201)
def api_add_voucher(drawdown_id: int, body: schemas.VoucherIn, request: Request, idempotency_key: IdemKey = None,
                    principal: Principal = Depends(require("drawdown.create"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.voucher_out(service.add_voucher(
        s, actor=principal, drawdown_id=drawdown_id, **body.model_dump())),
        payload={"drawdown_id": drawdown_id, **body.model_dump()}, key=idempotency_key, status_code=201)


@router.get("/usage-vouchers/overdue")
def api_overdue_vouchers(request: Request, principal: Principal = Depends(require("loan.read"))) -> Any:
    return read(request, lambda s: {"items": [service.drawdown_out(d) for d in service.overdue_vouchers(
        s, actor=principal)]})


# --- village pre-credit ----------------------------------------------------------------------------

@router.post("/campaigns/{campaign_id}/precredit-lines")
def api_run_precredit(campaign_id: int, body: schemas.PrecreditRun, request: Request, idempotency_key: IdemKey = None,
                      principal: Principal = Depends(require("campaign.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.run_campaign(
        s, actor=principal, campaign_id=campaign_id, product_code=body.product_code),
        payload={"campaign_id": campaign_id, **body.model_dump()}, key=idempotency_key)
