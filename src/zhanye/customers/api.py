"""JSON API of customers, KYC, blacklists, file sections, images and interactions.

Every response is masked; full values come only from ``POST /customers/{id}/reveal`` (audited).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.customers import images, kyc, schemas, sections, service
from zhanye.customers.errors import CodeInvalid
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["customers"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def _with_error(resp: JSONResponse) -> JSONResponse:
    """A verification whose provider failed was recorded; now report the failure (503)."""
    body = json.loads(bytes(resp.body))
    err = body.get("_error") if isinstance(body, dict) else None
    if err:
        from zhanye.integrations import base

        cls = {"provider_timeout": base.ProviderTimeout, "provider_circuit_open": base.ProviderCircuitOpen}.get(
            err["code"], base.ProviderError)
        raise cls(err["detail_zh"], err["detail_en"], verification_id=body.get("id"))
    return resp


def _outcome(out: kyc.VerificationOutcome) -> dict[str, Any]:
    view = kyc.verification_view(out.verification)
    if out.error is not None:
        view["_error"] = {"code": out.error.code, "detail_zh": out.error.detail("zh"),
                          "detail_en": out.error.detail("en")}
    return view


async def _read_upload(upload: UploadFile) -> bytes:
    return await upload.read(images.MAX_IMAGE_BYTES + 1)


# --- customers -----------------------------------------------------------------------------------

@router.get("/customers")
def api_search(request: Request, q: Annotated[str | None, Query(max_length=64)] = None,
               manager_id: int | None = None, unfinished: bool = False,
               page: Annotated[int, Query(ge=1, le=100000)] = 1,
               page_size: Annotated[int, Query(ge=1, le=200)] = 20,
               principal: Principal = Depends(require("customer.read"))) -> Response:
    def action(session: Session) -> dict[str, Any]:
        items, total = service.search_views(session, actor=principal, q=q, manager_id=manager_id,
                                            unfinished=unfinished, page=page, page_size=page_size)
        return {"items": items, "total": total, "page": page, "page_size": page_size}

    return read(request, action)


@router.post("/customers", status_code=201)
def api_create(body: schemas.CustomerCreate, request: Request, idempotency_key: IdemKey = None,
               principal: Principal = Depends(require("customer.create"))) -> JSONResponse:
    fields = body.model_dump(exclude={"ocr_token"})
    if body.ocr_token:
        read_card = kyc.read_ocr_token(body.ocr_token)
        fields["id_number"] = read_card["id_number"]
        fields["name"] = fields["name"] or read_card["name"]
        fields["address"] = fields["address"] or read_card.get("address") or None
    missing = [f for f in ("id_number", "name") if not fields.get(f)]
    if missing:
        from zhanye.core.errors import FieldError, ValidationFailed

        raise ValidationFailed("请填写证件号和姓名", "ID number and name are required",
                               errors=[FieldError(["body", f], "必填", "required", "missing") for f in missing])

    def action(session: Session) -> Any:
        cust, created = service.create_customer(session, actor=principal, **fields)
        return {**service.customer_view(session, cust), "existing": not created}

    return run_write(request, principal, action, payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/customers/{customer_id}")
def api_get(customer_id: int, request: Request, principal: Principal = Depends(require("customer.read"))) -> Any:
    def action(session: Session) -> Any:
        cust = service.get_customer(session, actor=principal, customer_id=customer_id)
        return {**service.customer_view(session, cust),
                "precheck": kyc.precheck(session, actor=principal, customer_id=customer_id).__dict__}

    return read(request, action)


@router.patch("/customers/{customer_id}")
def api_update(customer_id: int, body: schemas.CustomerUpdate, request: Request,
               principal: Principal = Depends(require("customer.update"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.customer_view(s, service.update_customer(
        s, actor=principal, customer_id=customer_id, **body.model_dump())))


@router.post("/customers/{customer_id}/assign")
def api_assign(customer_id: int, body: schemas.AssignIn, request: Request,
               principal: Principal = Depends(require("customer.assign"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.customer_view(s, service.assign_manager(
        s, actor=principal, customer_id=customer_id, manager_id=body.manager_id, reason=body.reason)))


@router.post("/customers/{customer_id}/reveal")
def api_reveal(customer_id: int, body: schemas.RevealIn, request: Request,
               principal: Principal = Depends(require("customer.reveal_pii"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.reveal(s, actor=principal, customer_id=customer_id,
                                                                  fields=list(body.fields)))


@router.get("/customers/{customer_id}/precheck")
def api_precheck(customer_id: int, request: Request,
                 principal: Principal = Depends(require("customer.read"))) -> Any:
    return read(request, lambda s: kyc.precheck(s, actor=principal, customer_id=customer_id).__dict__)


# --- interactions ------------------------------------------------------------------------------------

@router.get("/customers/{customer_id}/interactions")
def api_interactions(customer_id: int, request: Request,
                     principal: Principal = Depends(require("customer.read"))) -> Any:
    return read(request, lambda s: {"items": [
        {"id": i.id, "kind": i.kind, "text": i.text, "staff_id": i.staff_id, "staff_name": i.staff_name, "at": i.at}
        for i in service.list_interactions(s, actor=principal, customer_id=customer_id)]})


@router.post("/customers/{customer_id}/interactions", status_code=201)
def api_add_interaction(customer_id: int, body: schemas.InteractionIn, request: Request,
                        idempotency_key: IdemKey = None,
                        principal: Principal = Depends(require("customer.update"))) -> JSONResponse:
    def action(session: Session) -> Any:
        item = service.add_interaction(session, actor=principal, customer_id=customer_id, kind=body.kind,
                                       text=body.text)
        return {"id": item.id, "kind": item.kind, "text": item.text, "at": item.at}

    return run_write(request, principal, action, payload=body.model_dump(), key=idempotency_key, status_code=201)


# --- verification ----------------------------------------------------------------------------------

@router.get("/customers/{customer_id}/verifications")
def api_verifications(customer_id: int, request: Request,
                      principal: Principal = Depends(require("customer.read"))) -> Any:
    return read(request, lambda s: {"items": [kyc.verification_view(v) for v in kyc.list_verifications(
        s, actor=principal, customer_id=customer_id)]})


@router.post("/customers/{customer_id}/verifications/id-check", status_code=201)
def api_verify_id(customer_id: int, body: schemas.IdCheckIn, request: Request, idempotency_key: IdemKey = None,
                  principal: Principal = Depends(require("customer.verify"))) -> JSONResponse:
    return _with_error(run_write(request, principal, lambda s: _outcome(kyc.verify_id(
        s, actor=principal, customer_id=customer_id, photo_image_id=body.photo_image_id)),
        payload=body.model_dump(), key=idempotency_key, status_code=201))


@router.post("/customers/{customer_id}/verifications/mobile", status_code=201)
def api_verify_mobile(customer_id: int, request: Request, idempotency_key: IdemKey = None,
                      principal: Principal = Depends(require("customer.verify"))) -> JSONResponse:
    return _with_error(run_write(request, principal, lambda s: _outcome(kyc.verify_mobile(
        s, actor=principal, customer_id=customer_id)), payload={}, key=idempotency_key, status_code=201))


@router.post("/customers/{customer_id}/verifications/liveness", status_code=201)
def api_verify_liveness(customer_id: int, body: schemas.LivenessIn, request: Request,
                        idempotency_key: IdemKey = None,
                        principal: Principal = Depends(require("customer.verify"))) -> JSONResponse:
    return _with_error(run_write(request, principal, lambda s: _outcome(kyc.verify_liveness(
        s, actor=principal, customer_id=customer_id, image_id=body.image_id)),
        payload=body.model_dump(), key=idempotency_key, status_code=201))


@router.post("/customers/{customer_id}/verifications/card", status_code=201)
def api_card_start(customer_id: int, body: schemas.Card4StartIn, request: Request, idempotency_key: IdemKey = None,
                   principal: Principal = Depends(require("customer.verify"))) -> JSONResponse:
    return _with_error(run_write(request, principal, lambda s: _outcome(kyc.start_card_check(
        s, actor=principal, customer_id=customer_id, card_number=body.card_number, phone=body.phone)),
        payload=body.model_dump(), key=idempotency_key, status_code=201))


@router.post("/customers/{customer_id}/verifications/card/confirm")
def api_card_confirm(customer_id: int, body: schemas.Card4ConfirmIn, request: Request,
                     principal: Principal = Depends(require("customer.verify"))) -> JSONResponse:
    resp = run_write(request, principal, lambda s: kyc.verification_view(kyc.confirm_card_check(
        s, actor=principal, customer_id=customer_id, verification_id=body.verification_id, code=body.code)))
    if json.loads(bytes(resp.body)).get("result") != "pass":
        raise CodeInvalid("短信验证码错误", "The SMS code is wrong")
    return resp


@router.post("/customers/ocr")
async def api_ocr(request: Request, file: UploadFile = File(...),
                  principal: Principal = Depends(require("customer.create"))) -> Any:
    data = await _read_upload(file)
    images.check_image(data)
    result = kyc.ocr_id_front(image=data)
    from zhanye.core.masking import mask_id_number, mask_name

    # The full number stays inside the encrypted token; the page shows the masked values.
    return {"name": mask_name(result.name), "id_number": mask_id_number(result.id_number),
            "address": result.address, "provider": result.provider, "ocr_token": kyc.ocr_token(result)}


# --- blacklists -------------------------------------------------------------------------------------

@router.get("/blacklist")
def api_blacklist(request: Request, list_code: Annotated[str | None, Query(max_length=32)] = None,
                  q: Annotated[str | None, Query(max_length=24)] = None,
                  page: Annotated[int, Query(ge=1, le=100000)] = 1,
                  principal: Principal = Depends(require("blacklist.read"))) -> Any:
    return read(request, lambda s: {"items": [kyc.blacklist_view(e) for e in kyc.list_blacklist(
        s, actor=principal, list_code=list_code, q=q, page=page)]})


@router.post("/blacklist", status_code=201)
def api_blacklist_add(body: schemas.BlacklistIn, request: Request, idempotency_key: IdemKey = None,
                      principal: Principal = Depends(require("blacklist.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: kyc.blacklist_view(kyc.add_blacklist_entry(
        s, actor=principal, **body.model_dump())), payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.post("/blacklist/{entry_id}/remove")
def api_blacklist_remove(entry_id: int, body: schemas.BlacklistRemoveIn, request: Request,
                         principal: Principal = Depends(require("blacklist.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: kyc.blacklist_view(kyc.remove_blacklist_entry(
        s, actor=principal, entry_id=entry_id, reason=body.reason)))


@router.post("/blacklist/import")
async def api_blacklist_import(request: Request, file: UploadFile = File(...),
                               list_code: str = Form(..., max_length=32, pattern=r"^[a-z][a-z0-9_]*$"),
                               source: str = Form(..., min_length=1, max_length=100),
                               principal: Principal = Depends(require("blacklist.manage"))) -> JSONResponse:
    data = await file.read(20 * 1024 * 1024)
    return run_write(request, principal, lambda s: kyc.import_external_list(
        s, actor=principal, list_code=list_code, source=source, rows=kyc.csv_rows(data)).__dict__)


# --- file sections --------------------------------------------------------------------------------------

@router.get("/customers/{customer_id}/sections")
def api_sections(customer_id: int, request: Request,
                 principal: Principal = Depends(require("customer.read"))) -> Any:
    return read(request, lambda s: sections.current_sections(s, actor=principal, customer_id=customer_id))


@router.get("/customers/{customer_id}/sections/{section}/history")
def api_section_history(customer_id: int, section: str, request: Request,
                        principal: Principal = Depends(require("customer.read"))) -> Any:
    return read(request, lambda s: {"items": sections.section_history(s, actor=principal, customer_id=customer_id,
                                                                      section=section)})


@router.put("/customers/{customer_id}/sections/{section}")
def api_save_section(customer_id: int, section: str, body: dict[str, Any], request: Request,
                     principal: Principal = Depends(require("customer.update"))) -> JSONResponse:
    return run_write(request, principal, lambda s: sections.section_view(sections.save_section(
        s, actor=principal, customer_id=customer_id, section=section, data=body)))


# --- images -------------------------------------------------------------------------------------------

@router.get("/customers/{customer_id}/images")
def api_images(customer_id: int, request: Request, principal: Principal = Depends(require("customer.read"))) -> Any:
    return read(request, lambda s: {"items": [images.image_view(i) for i in images.list_images(
        s, actor=principal, customer_id=customer_id)]})


@router.post("/customers/{customer_id}/images", status_code=201)
async def api_upload_images(customer_id: int, request: Request, files: list[UploadFile] | None = File(None),
                            purpose: str = Form("house", max_length=24),
                            gps: str | None = Form(None, max_length=64), idempotency_key: IdemKey = None,
                            principal: Principal = Depends(require("customer.update"))) -> JSONResponse:
    """Upload one or several pictures at once; all are checked before any is stored."""
    from zhanye.core.errors import ValidationFailed

    with request.app.state.db.unit_of_work(write=False) as session:
        service.get_customer(session, actor=principal, customer_id=customer_id)  # 404 before any complaint
    if not files:
        raise ValidationFailed.field(["body", "files"], "请选择图片", "Choose at least one image", type="missing")
    if len(files) > 10:
        raise ValidationFailed.field(["body", "files"], "一次最多上传 10 张", "At most 10 images at once")
    blobs = [await _read_upload(f) for f in files]
    for blob in blobs:
        images.check_image(blob)
    return run_write(request, principal, lambda s: {"items": [images.image_view(images.add_image(
        s, actor=principal, customer_id=customer_id, purpose=purpose, data=b, gps=gps)) for b in blobs]},
        payload={"purpose": purpose, "gps": gps, "sha256": [hashlib.sha256(b).hexdigest() for b in blobs]},
        key=idempotency_key, status_code=201)


@router.get("/customers/{customer_id}/images/{image_id}/content")
def api_image_content(customer_id: int, image_id: int, request: Request, thumb: bool = False,
                      principal: Principal = Depends(require("customer.read"))) -> Response:
    db = request.app.state.db
    with db.unit_of_work(write=False) as session:
        write = images.needs_write(session, image_id=image_id)
    with db.unit_of_work(write=write) as session:
        data = images.image_content(session, actor=principal, customer_id=customer_id, image_id=image_id,
                                    thumb=thumb)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


__all__ = ["router", "DomainError"]
