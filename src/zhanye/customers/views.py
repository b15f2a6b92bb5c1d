"""Pages for the tablet: customer search, the new-customer wizard (ID OCR → verification → file
sections → images) that saves every step so an interrupted visit resumes where it stopped, and
the customer 360 page with extension panels."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhanye.core import events
from zhanye.core.context import Principal
from zhanye.core.errors import DomainError, NotFound, ProviderUnavailable, ValidationFailed
from zhanye.customers import file_form, images, kyc, panels, schemas, sections, service
from zhanye.web import home, nav
from zhanye.web.deps import page_business_date, require
from zhanye.web.forms import domain_message
from zhanye.web.i18n import gettext_ as _msg
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("customers", "Customers", "/customers", "customer.read", icon="people", order=20))

STEP_PAGES = {"identity": "verify", "verify": "verify", "file": "file", "images": "images", "done": None}
FILE_FIELDS = {  # the wizard's one-page subset of the file sections; amounts typed in yuan
    "income": ["farming_fen", "wages_fen", "business_fen", "other_fen"],
    "expenses": ["living_fen", "production_fen", "education_fen", "medical_fen"],
}
FILE_LABELS = {  # English message ids of the wizard's labels (the Chinese catalog translates them)
    "income": "Annual income", "expenses": "Annual expenses", "production": "Production and operations",
    "farming_fen": "Farming and breeding", "wages_fen": "Wages", "business_fen": "Business income",
    "other_fen": "Other income", "living_fen": "Living costs", "production_fen": "Production costs",
    "education_fen": "Education costs", "medical_fen": "Medical costs",
}


def _bizdate(request: Request) -> None:
    page_business_date(request)


def _unfinished_panel(session: Any, principal: Principal) -> dict[str, Any]:
    items, total = service.search_views(session, actor=principal, manager_id=principal.staff_id, unfinished=True,
                                        page_size=5)
    return {"template": "customers/_home_unfinished.html", "items": items, "total": total}


home.register(home.HomePanel("customers_unfinished", "Unfinished customer files", "customer.create",
                             _unfinished_panel, order=20))


def _mask_query(q: str) -> str:
    """Never echo a full ID or mobile number back into the page (it would sit in the HTML)."""
    from zhanye.core.masking import mask_id_number, mask_phone

    compact = q.replace(" ", "")
    if len(compact) == 18 and compact[:17].isdigit():
        return mask_id_number(compact)
    if len(compact) == 11 and compact.isdigit():
        return mask_phone(compact)
    return q


# --- search ------------------------------------------------------------------------------------------

@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request, q: str = "", page: int = 1,
                   principal: Principal = Depends(require("customer.read"))) -> HTMLResponse:
    _bizdate(request)
    q = q[:64]
    page = max(1, min(page, 100000))
    with request.app.state.db.unit_of_work(write=False) as session:
        items, total = service.search_views(session, actor=principal, q=q or None, page=page, page_size=20)
        unfinished_items, _ = service.search_views(session, actor=principal, manager_id=principal.staff_id,
                                                   unfinished=True, page_size=10)
    shown = _mask_query(q)
    return render(request, "customers/list.html", {"q": shown, "items": items, "total": total, "page": page,
                                                   "page_size": 20, "query": urlencode({"q": shown}),
                                                   "unfinished": unfinished_items})


# --- wizard: step 1, identity ---------------------------------------------------------------------------

@router.get("/customers/new", response_class=HTMLResponse)
def new_page(request: Request, member_id: int | None = None,
             principal: Principal = Depends(require("customer.create"))) -> HTMLResponse:
    """``member_id``: filing a household member from the village pages links the new file to them."""
    _bizdate(request)
    return render(request, "customers/wizard_identity.html", {"form": {"member_id": member_id}, "errors": {},
                                                              "ocr": None, "error": None})


@router.post("/customers/new/ocr", response_class=HTMLResponse)
async def new_ocr(request: Request, file: UploadFile = File(...), member_id: int | None = Form(None),
                  principal: Principal = Depends(require("customer.create"))) -> HTMLResponse:
    _bizdate(request)
    data = await file.read(images.MAX_IMAGE_BYTES + 1)
    try:
        images.check_image(data)
        result = kyc.ocr_id_front(image=data)
    except DomainError as exc:
        return render(request, "customers/wizard_identity.html", {"form": {}, "errors": {}, "ocr": None,
                                                                  "error": domain_message(exc)}, status_code=422)
    from zhanye.core.masking import mask_id_number, mask_name

    ocr = {"token": kyc.ocr_token(result), "name": mask_name(result.name),
           "id_number": mask_id_number(result.id_number), "address": result.address}
    return render(request, "customers/wizard_identity.html",
                  {"form": {"address": result.address, "member_id": member_id}, "errors": {}, "ocr": ocr,
                   "error": None})


@router.post("/customers/new", response_class=HTMLResponse)
def new_submit(request: Request, kind: str = Form("individual"), id_number: str = Form(""), name: str = Form(""),
               mobile: str = Form(""), address: str = Form(""), ocr_token: str = Form(""),
               member_id: int | None = Form(None),
               principal: Principal = Depends(require("customer.create"))) -> Response:
    _bizdate(request)
    form = {"kind": kind, "id_number": id_number, "name": name, "mobile": mobile, "address": address,
            "member_id": member_id}
    try:
        if ocr_token:
            card = kyc.read_ocr_token(ocr_token)
            id_number, name = card["id_number"], name or card["name"]
        body = schemas.CustomerCreate.model_validate({"kind": kind, "id_number": id_number or None,
                                                      "name": name or None, "mobile": mobile or None,
                                                      "address": address or None})
        if not body.id_number or not body.name:
            raise ValidationFailed("请填写证件号和姓名", "ID number and name are required")
        with request.app.state.db.unit_of_work() as session:
            cust, _created = service.create_customer(session, actor=principal, kind=body.kind,
                                                     id_number=body.id_number, name=body.name, mobile=body.mobile,
                                                     address=body.address)
            cid = cust.id
            if member_id:
                # villages subscribes and links the household member to this file (same transaction)
                events.publish(session, "customer.filed", {"customer_id": cid, "member_id": member_id,
                                                           "actor": principal})
    except DomainError as exc:
        return render(request, "customers/wizard_identity.html",
                      {"form": form, "errors": {}, "ocr": None, "error": domain_message(exc)}, status_code=422)
    except ValueError as exc:  # pydantic
        from zhanye.web.forms import validate_form

        _, errors = validate_form(schemas.CustomerCreate, {k: v or None for k, v in form.items()
                                                           if k != "member_id"})
        return render(request, "customers/wizard_identity.html",
                      {"form": form, "errors": errors, "ocr": None, "error": str(exc)[:200] if not errors else None},
                      status_code=422)
    return RedirectResponse(f"/customers/{cid}/wizard", status_code=303)


@router.get("/customers/{customer_id}/wizard")
def wizard_resume(customer_id: int, request: Request,
                  principal: Principal = Depends(require("customer.update"))) -> Response:
    with request.app.state.db.unit_of_work(write=False) as session:
        cust = service.get_customer(session, actor=principal, customer_id=customer_id)
        step = STEP_PAGES.get(cust.wizard_step)
    return RedirectResponse(f"/customers/{customer_id}/wizard/{step}" if step else f"/customers/{customer_id}",
                            status_code=303)


def _wizard(request: Request, principal: Principal, customer_id: int, template: str,
            extra: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        cust = service.get_customer(session, actor=principal, customer_id=customer_id)
        ctx = {"c": service.customer_view(session, cust),
               "verifications": [kyc.verification_view(v) for v in kyc.list_verifications(
                   session, actor=principal, customer_id=customer_id)],
               "sections": sections.current_sections(session, actor=principal, customer_id=customer_id),
               "images": [images.image_view(i) for i in images.list_images(session, actor=principal,
                                                                          customer_id=customer_id)],
               "purposes": schemas.IMAGE_PURPOSES, "error": None, "ok": None, "pending": None}
        if template == "customers/wizard_file.html":
            ctx["file_rows"] = file_form.form_rows({k: v["data"] for k, v in ctx["sections"].items()})
    ctx.update(extra or {})
    return render(request, template, ctx, status_code=status_code)


# --- step 2: verification -------------------------------------------------------------------------------

@router.get("/customers/{customer_id}/wizard/verify", response_class=HTMLResponse)
def verify_page(customer_id: int, request: Request,
                principal: Principal = Depends(require("customer.update"))) -> HTMLResponse:
    return _wizard(request, principal, customer_id, "customers/wizard_verify.html")


@router.post("/customers/{customer_id}/wizard/verify", response_class=HTMLResponse)
def verify_submit(customer_id: int, request: Request, check: str = Form(...), card_number: str = Form(""),
                  phone: str = Form(""), verification_id: int = Form(0), code: str = Form(""),
                  principal: Principal = Depends(require("customer.verify"))) -> Response:
    error = None
    ok = None
    pending = None
    try:
        with request.app.state.db.unit_of_work() as session:
            if check == "card":
                out = kyc.start_card_check(session, actor=principal, customer_id=customer_id,
                                           card_number=card_number, phone=phone)
                if out.verification.result == "pending":
                    pending = out.verification.id
                elif out.error is None:
                    error = _msg("The card details do not match") + f" ({out.verification.reason})"
            elif check == "card_confirm":
                ver = kyc.confirm_card_check(session, actor=principal, customer_id=customer_id,
                                             verification_id=verification_id, code=code)
                if ver.result == "pass":
                    ok = _msg("The bank card is verified")
                else:
                    pending, error = ver.id, _msg("The SMS code is wrong")
                out = None
            elif check == "id":
                out = kyc.verify_id(session, actor=principal, customer_id=customer_id)
            elif check == "mobile":
                out = kyc.verify_mobile(session, actor=principal, customer_id=customer_id)
            elif check == "next":
                service.set_wizard_step(session, actor=principal, customer_id=customer_id, step="file")
                return RedirectResponse(f"/customers/{customer_id}/wizard/file", status_code=303)
            else:
                raise ValidationFailed("未知的核验", "Unknown check")
            if out is not None and out.error is not None:
                error = domain_message(out.error)
    except DomainError as exc:
        error = domain_message(exc)
    return _wizard(request, principal, customer_id, "customers/wizard_verify.html",
                   {"error": error, "ok": ok, "pending": pending})


@router.post("/customers/{customer_id}/wizard/face", response_class=HTMLResponse)
async def face_submit(customer_id: int, request: Request, file: UploadFile | None = File(None),
                      principal: Principal = Depends(require("customer.verify"))) -> Response:
    """Take a face photo (stored as a 'face' image) and compare it with the ID photo (liveness)."""
    error = ok = None
    try:
        with request.app.state.db.unit_of_work(write=False) as session:
            service.get_customer(session, actor=principal, customer_id=customer_id)
        data = await file.read(images.MAX_IMAGE_BYTES + 1) if file is not None else b""
        images.check_image(data)
        with request.app.state.db.unit_of_work() as session:
            img = images.add_image(session, actor=principal, customer_id=customer_id, purpose="face", data=data)
            out = kyc.verify_liveness(session, actor=principal, customer_id=customer_id, image_id=img.id)
            if out.error is not None:
                error = domain_message(out.error)
            elif out.verification.result == "pass":
                ok = _msg("The face matches the ID")
            else:
                error = _msg("The face does not match the ID") + f" ({out.verification.reason})"
    except NotFound:
        raise
    except DomainError as exc:
        error = domain_message(exc)
    return _wizard(request, principal, customer_id, "customers/wizard_verify.html", {"error": error, "ok": ok})


# --- step 3: file sections ------------------------------------------------------------------------------

@router.get("/customers/{customer_id}/wizard/file", response_class=HTMLResponse)
def file_page(customer_id: int, request: Request,
              principal: Principal = Depends(require("customer.update"))) -> HTMLResponse:
    return _wizard(request, principal, customer_id, "customers/wizard_file.html",
                   {"fields": FILE_FIELDS, "labels": FILE_LABELS})


@router.post("/customers/{customer_id}/wizard/file", response_class=HTMLResponse)
async def file_submit(customer_id: int, request: Request,
                      principal: Principal = Depends(require("customer.update"))) -> Response:
    form = await request.form()
    try:
        with request.app.state.db.unit_of_work() as session:
            basic = {k: str(form.get(k) or "").strip() or None for k in ("education", "occupation", "health")}
            marital = str(form.get("marital_status") or "")
            basic["marital_status"] = marital or None
            sections.save_section(session, actor=principal, customer_id=customer_id, section="basic", data=basic)
            for section, fields in FILE_FIELDS.items():
                data = {f: file_form.yuan_to_fen(str(form.get(f"{section}.{f}") or ""), field=[section, f])
                        for f in fields}
                sections.save_section(session, actor=principal, customer_id=customer_id, section=section, data=data)
            crop, area = str(form.get("crop") or "").strip(), str(form.get("crop_area") or "").strip()
            if crop:
                sections.save_section(session, actor=principal, customer_id=customer_id, section="production",
                                      data={"crops": [{"crop": crop, "area_mu": area or "0"}]})
            saved = sections.saved_data(session, actor=principal, customer_id=customer_id,
                                        names=file_form.ROW_SECTIONS)
            for section, data in file_form.read_sections(form, saved).items():
                sections.save_section(session, actor=principal, customer_id=customer_id, section=section, data=data)
            service.set_wizard_step(session, actor=principal, customer_id=customer_id, step="images")
    except DomainError as exc:
        return _wizard(request, principal, customer_id, "customers/wizard_file.html",
                       {"fields": FILE_FIELDS, "labels": FILE_LABELS, "error": domain_message(exc)},
                       status_code=422)
    return RedirectResponse(f"/customers/{customer_id}/wizard/images", status_code=303)


# --- step 4: images ---------------------------------------------------------------------------------------

@router.get("/customers/{customer_id}/wizard/images", response_class=HTMLResponse)
def images_page(customer_id: int, request: Request,
                principal: Principal = Depends(require("customer.update"))) -> HTMLResponse:
    return _wizard(request, principal, customer_id, "customers/wizard_images.html")


@router.post("/customers/{customer_id}/wizard/images", response_class=HTMLResponse)
async def images_submit(customer_id: int, request: Request, purpose: str = Form("house"), gps: str = Form(""),
                        files: list[UploadFile] = File(default=[]),
                        principal: Principal = Depends(require("customer.update"))) -> Response:
    blobs = [await f.read(images.MAX_IMAGE_BYTES + 1) for f in files if f.filename]
    try:
        if not blobs:
            raise ValidationFailed("请选择图片", "Choose at least one image")
        for blob in blobs:
            images.check_image(blob)
        with request.app.state.db.unit_of_work() as session:
            for blob in blobs:
                images.add_image(session, actor=principal, customer_id=customer_id, purpose=purpose, data=blob,
                                 gps=gps or None)
    except DomainError as exc:
        return _wizard(request, principal, customer_id, "customers/wizard_images.html",
                       {"error": domain_message(exc)}, status_code=exc.status)
    return _wizard(request, principal, customer_id, "customers/wizard_images.html",
                   {"ok": f"{len(blobs)} " + _msg("images saved")})


@router.post("/customers/{customer_id}/wizard/finish")
def wizard_finish(customer_id: int, request: Request,
                  principal: Principal = Depends(require("customer.update"))) -> Response:
    with request.app.state.db.unit_of_work() as session:
        service.set_wizard_step(session, actor=principal, customer_id=customer_id, step="done")
    return RedirectResponse(f"/customers/{customer_id}", status_code=303)


# --- 360 ----------------------------------------------------------------------------------------------------

@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_360(customer_id: int, request: Request,
                 principal: Principal = Depends(require("customer.read"))) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        cust = service.get_customer(session, actor=principal, customer_id=customer_id)
        extra_panels = []
        for panel in panels.panels_for(principal):
            extra_panels.append({"key": panel.key, "title": panel.title, **panel.render(session, principal, cust.id)})
        ctx = {
            "c": service.customer_view(session, cust),
            "precheck": kyc.precheck(session, actor=principal, customer_id=cust.id),
            "verifications": [kyc.verification_view(v) for v in kyc.list_verifications(
                session, actor=principal, customer_id=cust.id)][:10],
            "sections": sections.current_sections(session, actor=principal, customer_id=cust.id),
            "section_names": schemas.SECTION_NAMES, "purposes": schemas.IMAGE_PURPOSES,
            "images": [images.image_view(i) for i in images.list_images(session, actor=principal,
                                                                       customer_id=cust.id)],
            "pii_purposes": images.PII_PURPOSES,
            "interactions": service.list_interactions(session, actor=principal, customer_id=cust.id, limit=20),
            "panels": extra_panels, "managers": _managers(session, principal),
            "assigned": request.query_params.get("assigned"),
        }
    return render(request, "customers/detail.html", ctx)


def _managers(session: Any, principal: Principal) -> list[Any]:
    if not principal.can("customer.assign"):
        return []
    from zhanye.org import service as org_service

    rows, _ = org_service.list_staff(session, principal, role="manager", status="active", page_size=200)
    return rows


@router.post("/customers/{customer_id}/assign")
def assign_submit(customer_id: int, request: Request, manager_id: int = Form(0), reason: str = Form(""),
                  principal: Principal = Depends(require("customer.assign"))) -> Response:
    try:
        body = schemas.AssignIn.model_validate({"manager_id": manager_id, "reason": reason})
        with request.app.state.db.unit_of_work() as session:
            service.assign_manager(session, actor=principal, customer_id=customer_id, manager_id=body.manager_id,
                                   reason=body.reason)
    except ValueError:
        with request.app.state.db.unit_of_work(write=False) as session:
            service.get_customer(session, actor=principal, customer_id=customer_id)
        return RedirectResponse(f"/customers/{customer_id}?assigned=invalid", status_code=303)
    except ValidationFailed:
        return RedirectResponse(f"/customers/{customer_id}?assigned=invalid", status_code=303)
    return RedirectResponse(f"/customers/{customer_id}?assigned=ok", status_code=303)


@router.post("/customers/{customer_id}/interactions")
def interaction_submit(customer_id: int, request: Request, kind: str = Form("note"), text: str = Form(""),
                       principal: Principal = Depends(require("customer.update"))) -> Response:
    try:
        body = schemas.InteractionIn.model_validate({"kind": kind, "text": text})
    except ValueError:
        return RedirectResponse(f"/customers/{customer_id}?error=interaction", status_code=303)
    with request.app.state.db.unit_of_work() as session:
        service.add_interaction(session, actor=principal, customer_id=customer_id, kind=body.kind, text=body.text)
    return RedirectResponse(f"/customers/{customer_id}#interactions", status_code=303)


__all__ = ["router", "ProviderUnavailable"]


from zhanye.customers import blacklist_views  # noqa: E402 - the blacklist pages live in their own module

router.include_router(blacklist_views.router)
