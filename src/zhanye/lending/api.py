"""JSON API of lending origination: repayment calculator, loan products, LPR, contracts."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy.orm import Session

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.lending import contracts, lpr, products, schemas
from zhanye.lending.schedules import DayRule, build_schedule, schedule_as_dict
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["lending"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]
ProductCode = Annotated[str, Path(max_length=32)]


# --- repayment calculator -----------------------------------------------------------------------

def compute_schedule(session: Session | None, body: schemas.ScheduleIn) -> dict[str, Any]:
    if body.product_id is not None and session is not None:
        product = products.get_product(session, product_id=body.product_id)
        products.check_loan_terms(product, amount_fen=body.amount_fen, months=body.months, method=body.method)
    schedule = build_schedule(amount_fen=body.amount_fen, months=body.months, annual_rate=body.annual_rate,
                              method=body.method, start=body.start,
                              day_rule=DayRule.parse(body.repayment_day_rule))
    return schedule_as_dict(schedule)


@router.post("/loans/schedule")
def api_schedule(body: schemas.ScheduleIn, request: Request,
                 principal: Principal = Depends(require("loan_product.read"))) -> Any:
    """Repayment trial calculation (还款试算): a read-only computation, nothing is stored."""
    if body.product_id is None:
        return compute_schedule(None, body)
    return read(request, lambda s: compute_schedule(s, body))


# --- loan products ------------------------------------------------------------------------------

@router.get("/loan-products")
def api_products(request: Request, active_only: bool = False,
                 principal: Principal = Depends(require("loan_product.read"))) -> Any:
    return read(request, lambda s: {"items": [products.product_out(p) for p in products.list_products(
        s, include_suspended=not active_only)]})


@router.get("/loan-products/{code}")
def api_product(code: ProductCode, request: Request,
                principal: Principal = Depends(require("loan_product.read"))) -> Any:
    return read(request, lambda s: {**products.product_out(products.current_product(s, code=code)),
                                    "versions": [{"id": v.id, "version": v.version, "created_at": v.created_at,
                                                  "created_by": v.created_by, "change_note": v.change_note}
                                                 for v in products.product_versions(s, code=code)]})


@router.get("/loan-products/{code}/versions/{version}")
def api_product_version(code: ProductCode, version: Annotated[int, Path(ge=1, le=100000)], request: Request,
                        principal: Principal = Depends(require("loan_product.read"))) -> Any:
    def action(s: Session) -> Any:
        for v in products.product_versions(s, code=code):
            if v.version == version:
                return products.product_out(v)
        from zhanye.core.errors import NotFound

        raise NotFound("该版本不存在", "The version does not exist")

    return read(request, action)


@router.post("/loan-products", status_code=201)
def api_create_product(body: schemas.ProductCreate, request: Request, idempotency_key: IdemKey = None,
                       principal: Principal = Depends(require("loan_product.manage"))) -> JSONResponse:
    config = schemas.ProductConfig.model_validate(body.model_dump(exclude={"code"}))
    return run_write(request, principal, lambda s: products.product_out(products.create_product(
        s, actor=principal, code=body.code, config=config)), payload=body.model_dump(mode="json"),
        key=idempotency_key, status_code=201)


@router.post("/loan-products/{code}/versions", status_code=201)
def api_edit_product(code: ProductCode, body: schemas.ProductEdit, request: Request, idempotency_key: IdemKey = None,
                     principal: Principal = Depends(require("loan_product.manage"))) -> JSONResponse:
    """Editing a product adds a version; earlier versions are kept unchanged."""
    config = schemas.ProductConfig.model_validate(body.model_dump(exclude={"change_note", "base_version"}))
    return run_write(request, principal, lambda s: products.product_out(products.edit_product(
        s, actor=principal, code=code, config=config, change_note=body.change_note,
        base_version=body.base_version)), payload=body.model_dump(mode="json"), key=idempotency_key,
        status_code=201)


# --- LPR ----------------------------------------------------------------------------------------

def lpr_out(row: Any) -> dict[str, Any]:
    return {"id": row.id, "tenor": row.tenor, "rate": str(row.rate.normalize()), "effective_date": row.effective_date,
            "note": row.note, "created_by": row.created_by, "created_at": row.created_at}


@router.get("/lpr")
def api_lpr_list(request: Request, tenor: Annotated[str | None, Query(pattern="^(1y|5y)$")] = None,
                 principal: Principal = Depends(require("loan_product.read"))) -> Any:
    return read(request, lambda s: {"items": [lpr_out(r) for r in lpr.list_lpr(s, tenor=tenor)]})


@router.get("/lpr/in-force")
def api_lpr_in_force(request: Request, tenor: Annotated[str, Query(pattern="^(1y|5y)$")],
                     on: dt.date | None = None,
                     principal: Principal = Depends(require("loan_product.read"))) -> Any:
    return read(request, lambda s: lpr_out(lpr.lpr_in_force(s, tenor, on or get_business_date(s))))


@router.post("/lpr", status_code=201)
def api_lpr_add(body: schemas.LprIn, request: Request, idempotency_key: IdemKey = None,
                principal: Principal = Depends(require("lpr.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: lpr_out(lpr.add_lpr(
        s, actor=principal, tenor=body.tenor, rate=body.rate, effective_date=body.effective_date, note=body.note)),
        payload=body.model_dump(mode="json"), key=idempotency_key, status_code=201)


@router.delete("/lpr/{lpr_id}")
def api_lpr_withdraw(lpr_id: int, request: Request,
                     principal: Principal = Depends(require("lpr.manage"))) -> JSONResponse:
    def action(s: Session) -> Any:
        lpr.withdraw_lpr(s, actor=principal, lpr_id=lpr_id, today=get_business_date(s))
        return {"id": lpr_id, "withdrawn": True}

    return run_write(request, principal, action)


# --- contracts ----------------------------------------------------------------------------------

@router.get("/contracts")
def api_contracts(request: Request,
                  status: Annotated[str | None, Query(pattern="^(pending_signature|signed|void)$")] = None,
                  page: Annotated[int, Query(ge=1, le=100000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=200)] = 20,
                  principal: Principal = Depends(require("line.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = contracts.list_contracts(s, actor=principal, status=status, page=page, page_size=page_size)
        return {"items": [contracts.contract_out(c) for c in rows], "total": total, "page": page,
                "page_size": page_size}

    return read(request, action)


@router.get("/contracts/{contract_id}")
def api_contract(contract_id: int, request: Request, principal: Principal = Depends(require("line.read"))) -> Any:
    return read(request, lambda s: contracts.contract_out(contracts.get_contract(s, actor=principal,
                                                                                contract_id=contract_id)))


@router.get("/contracts/{contract_id}/pdf")
def api_contract_pdf(contract_id: int, request: Request,
                     principal: Principal = Depends(require("line.read"))) -> FileResponse:
    with request.app.state.db.unit_of_work(write=False) as s:
        contract = contracts.get_contract(s, actor=principal, contract_id=contract_id)
        path = contracts.pdf_file(contract)
        number = contract.number
    if not path.is_file():
        from zhanye.core.errors import NotFound

        raise NotFound("合同文件不存在", "The contract file is missing")
    return FileResponse(path, media_type="application/pdf", filename=f"{number}.pdf")


@router.get("/contracts/{contract_id}/verify")
def api_contract_verify(contract_id: int, request: Request,
                        principal: Principal = Depends(require("line.read"))) -> Any:
    def action(s: Session) -> Any:
        report = contracts.verify_contract(s, contract_id=contract_id, actor=principal)
        return {"contract_id": report.contract_id, "number": report.number, "ok": report.ok,
                "failed": report.failed, "checks": [c.__dict__ for c in report.checks]}

    return read(request, action)


@router.post("/contracts/{contract_id}/sms-code")
def api_contract_sms(contract_id: int, request: Request, body: schemas.SmsRequestIn | None = None,
                     principal: Principal = Depends(require("contract.sign"))) -> JSONResponse:
    def action(s: Session) -> Any:
        expires_at = contracts.request_signing_code(s, actor=principal, contract_id=contract_id)
        return {"expires_at": expires_at, **contracts.sandbox_code_hint(s, contract_id)}

    return run_write(request, principal, action)


def decode_png(data: str) -> bytes:
    from zhanye.core.errors import ValidationFailed

    raw = data.split(",", 1)[1] if data.startswith("data:") else data
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed.field(["signature_png_base64"], "签名图片编码无效", "The signature is not valid base64") from exc


@router.post("/contracts/{contract_id}/sign")
def api_contract_sign(contract_id: int, body: schemas.SignIn, request: Request,
                      principal: Principal = Depends(require("contract.sign"))) -> JSONResponse:
    """The customer signs on the tablet: the signature PNG and the SMS code. A wrong code is
    counted (committed) and then refused."""
    png = decode_png(body.signature_png_base64)
    with request.app.state.db.unit_of_work() as s:
        result = contracts.sign_contract(s, actor=principal, contract_id=contract_id, signature_png=png,
                                         sms_code=body.sms_code)
        out = contracts.contract_out(result.contract) if result.ok and result.contract else None
    if not result.ok:
        assert result.error is not None
        raise result.error
    from fastapi.encoders import jsonable_encoder

    return JSONResponse(jsonable_encoder(out))
