"""JSON API of login, the current user, institutions, staff, roles and the audit log."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core import audit, data_version
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.data_version import VersionedCache
from zhanye.core.db import utcnow
from zhanye.core.models import AuditRecord
from zhanye.org import schemas, service
from zhanye.org.models import Institution, Staff
from zhanye.org.permissions import AUTHENTICATED
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import business_date as request_business_date
from zhanye.web.deps import org_version as request_org_version
from zhanye.web.deps import public, require, token_from_request
from zhanye.web.jsonout import json_bytes
from zhanye.web.query import QueryModel

router = APIRouter(prefix="/api/v1", tags=["org"])
log = logging.getLogger("zhanye.org")
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def institution_out(inst: Institution) -> dict[str, Any]:
    return schemas.InstitutionOut(id=inst.id, code=inst.code, name=inst.name, kind=inst.kind,
                                  parent_id=inst.parent_id, path=inst.path, status=inst.status,
                                  depth=inst.depth).model_dump()


def staff_out(staff: Staff | service.StaffRow) -> dict[str, Any]:
    inst_name = staff.institution_name if isinstance(staff, service.StaffRow) else (
        staff.institution.name if staff.institution else "")
    # the fields of schemas.StaffOut, as its model_dump() gives them (built as a dict: a page of
    # staff built through the model cost a sixth of the list request)
    return {
        "id": staff.id, "username": staff.username, "display_name": staff.display_name,
        "employee_no": staff.employee_no, "institution_id": staff.institution_id, "institution_name": inst_name,
        "roles": list(staff.roles), "status": staff.status, "must_change_password": bool(staff.must_change_password),
        "locked": bool(staff.locked_until and staff.locked_until > utcnow()), "last_login_at": staff.last_login_at,
    }


# --- auth ----------------------------------------------------------------------------------

@router.post("/auth/login", response_model=schemas.LoginOut, dependencies=[Depends(public())])
def api_login(body: schemas.LoginIn, request: Request) -> JSONResponse:
    db = request.app.state.db
    client_ip = request.client.host if request.client else None
    with db.unit_of_work() as session:
        result = service.login(session, username=body.username, password=body.password, kind="bearer",
                               device_id=body.device_id, client_ip=client_ip)
        # failures are committed too (counter, lock, audit), then reported
    if not result.ok:
        assert result.error is not None
        raise result.error
    assert result.staff is not None and result.expires_at is not None
    return JSONResponse(schemas.LoginOut(
        access_token=result.token or "", expires_at=result.expires_at,
        must_change_password=result.staff.must_change_password).model_dump(mode="json"))


@router.post("/auth/logout", status_code=204, dependencies=[Depends(require(AUTHENTICATED))])
def api_logout(request: Request) -> Response:
    token, _ = token_from_request(request)
    with request.app.state.db.unit_of_work() as session:
        if token:
            service.logout(session, token)
    return Response(status_code=204)


@router.post("/auth/password", status_code=204)
def api_change_password(body: schemas.PasswordChangeIn, request: Request,
                        principal: Principal = Depends(require(AUTHENTICATED))) -> Response:
    token, _ = token_from_request(request)
    with request.app.state.db.unit_of_work() as session:
        service.change_password(session, principal, old_password=body.old_password,
                                new_password=body.new_password, keep_token=token)
    return Response(status_code=204)


@router.get("/me", response_model=schemas.MeOut)
async def api_me(request: Request, principal: Principal = Depends(require(AUTHENTICATED))) -> Any:
    # Called by every page and app start: the business date was read with the token.
    business_date = request_business_date(request)
    if business_date is None:
        with request.app.state.db.read_connection() as conn:
            business_date = get_business_date(conn)
    me = schemas.MeOut(
        staff_id=principal.staff_id, username=principal.username, display_name=principal.display_name,
        institution_id=principal.institution_id, institution_name=principal.institution_name,
        roles=sorted(principal.roles), permissions=sorted(principal.permissions),
        must_change_password=principal.must_change_password, business_date=business_date,
    )
    # serialized here: returning the model would have FastAPI dump, validate and serialize it again
    return Response(me.model_dump_json(), media_type="application/json")


# --- institutions ----------------------------------------------------------------------------

@router.get("/institutions")
def api_list_institutions(request: Request, include_closed: bool = False,
                          principal: Principal = Depends(require("institution.read"))) -> Any:
    return read(request, lambda s: {"items": [institution_out(i) for i in service.list_institutions(
        s, principal, include_closed=include_closed)]})


@router.get("/institutions/{institution_id}")
def api_get_institution(institution_id: int, request: Request,
                        principal: Principal = Depends(require("institution.read"))) -> Any:
    return read(request, lambda s: institution_out(service.get_institution(s, principal, institution_id)))


@router.post("/institutions", status_code=201)
def api_create_institution(body: schemas.InstitutionCreate, request: Request, idempotency_key: IdemKey = None,
                           principal: Principal = Depends(require("institution.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: institution_out(service.create_institution(
        s, principal, code=body.code, name=body.name, kind=body.kind, parent_id=body.parent_id)),
        payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.patch("/institutions/{institution_id}")
def api_rename_institution(institution_id: int, body: schemas.InstitutionRename, request: Request,
                           principal: Principal = Depends(require("institution.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: institution_out(
        service.rename_institution(s, principal, institution_id, body.name)))


@router.post("/institutions/{institution_id}/move")
def api_move_institution(institution_id: int, body: schemas.InstitutionMove, request: Request,
                         principal: Principal = Depends(require("institution.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: institution_out(
        service.move_institution(s, principal, institution_id, body.parent_id)))


@router.post("/institutions/{institution_id}/close")
def api_close_institution(institution_id: int, request: Request,
                          principal: Principal = Depends(require("institution.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: institution_out(
        service.close_institution(s, principal, institution_id)))


# --- staff ---------------------------------------------------------------------------------

class StaffListQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    q: Annotated[str | None, Field(max_length=64)] = None
    institution_id: int | None = None
    role: Annotated[str | None, Field(max_length=32)] = None
    status: Annotated[str | None, Field(pattern="^(active|disabled)$")] = None
    page: Annotated[int, Field(ge=1, le=100000)] = 1
    page_size: Annotated[int, Field(ge=1, le=200)] = 20


STAFF_LIST_QUERY = QueryModel(StaffListQuery)


@router.get("/staff", openapi_extra=STAFF_LIST_QUERY.openapi)
async def api_list_staff(request: Request, principal: Principal = Depends(require("staff.read"))) -> Any:
    params = STAFF_LIST_QUERY.parse(request)  # every list view of the back office polls this one
    q, institution_id, role, status = params.q, params.institution_id, params.role, params.status
    page, page_size = params.page, params.page_size
    # Served from the app's cache while the org data version read with the token still equals the
    # one the page was read at (any change to staff, roles or institutions raises it, by trigger).
    cache = _staff_list_cache(request)
    key = (principal.scope_ids, q, institution_id, role, status, page, page_size)
    now = utcnow()
    body = cache.get(key, request_org_version(request), now) if cache is not None else None
    if body is not None:
        return Response(body, media_type="application/json")

    with request.app.state.db.read_connection() as conn:
        rows, total, version = service.list_staff_versioned(conn, principal, q=q, institution_id=institution_id,
                                                            role=role, status=status, page=page,
                                                            page_size=page_size)
    body = json_bytes({"items": [staff_out(s) for s in rows], "total": total, "page": page,
                       "page_size": page_size})
    # "locked" turns with the clock: the answer holds until the first lock on the page ends
    ends = [s.locked_until for s in rows if s.locked_until and s.locked_until > now]
    if cache is not None:
        cache.put(key, version, body, min(ends) if ends else None)
    return Response(body, media_type="application/json")


def _staff_list_cache(request: Request) -> VersionedCache | None:
    """The app's cache of staff pages, made on first use; None (every page read afresh) when the
    triggers that raise the org version are not all in place."""
    state = request.app.state
    cache = getattr(state, "staff_list_cache", False)
    if cache is False:
        with request.app.state.db.read_connection() as conn:
            in_place = data_version.triggers_in_place(conn, data_version.ORG)
        if not in_place:
            log.warning("org data-version triggers missing: the staff list is not cached")
        cache = state.staff_list_cache = VersionedCache(maxsize=128) if in_place else None
    return cache


@router.get("/staff/{staff_id}")
def api_get_staff(staff_id: int, request: Request, principal: Principal = Depends(require("staff.read"))) -> Any:
    return read(request, lambda s: staff_out(service.get_staff(s, principal, staff_id)))


@router.post("/staff", status_code=201)
def api_create_staff(body: schemas.StaffCreate, request: Request, idempotency_key: IdemKey = None,
                     principal: Principal = Depends(require("staff.manage"))) -> JSONResponse:
    def action(session: Session) -> Any:
        staff, temp = service.create_staff(session, principal, username=body.username,
                                           display_name=body.display_name, institution_id=body.institution_id,
                                           roles=body.roles, employee_no=body.employee_no)
        return {**staff_out(staff), "temporary_password": temp}

    return run_write(request, principal, action, payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.patch("/staff/{staff_id}")
def api_update_staff(staff_id: int, body: schemas.StaffUpdate, request: Request,
                     principal: Principal = Depends(require("staff.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: staff_out(service.update_staff(
        s, principal, staff_id, display_name=body.display_name, institution_id=body.institution_id,
        roles=body.roles)))


@router.post("/staff/{staff_id}/disable")
def api_disable_staff(staff_id: int, request: Request,
                      principal: Principal = Depends(require("staff.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: staff_out(service.set_staff_status(s, principal, staff_id,
                                                                                       "disabled")))


@router.post("/staff/{staff_id}/enable")
def api_enable_staff(staff_id: int, request: Request,
                     principal: Principal = Depends(require("staff.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: staff_out(service.set_staff_status(s, principal, staff_id,
                                                                                       "active")))


@router.post("/staff/{staff_id}/reset-password")
def api_reset_password(staff_id: int, request: Request,
                       principal: Principal = Depends(require("staff.manage"))) -> JSONResponse:
    def action(session: Session) -> Any:
        staff, temp = service.reset_password(session, principal, staff_id)
        return {"staff_id": staff.id, "temporary_password": temp}

    return run_write(request, principal, action)


# --- roles and permissions ---------------------------------------------------------------------

@router.get("/roles")
def api_roles(request: Request, principal: Principal = Depends(require("role.read"))) -> Any:
    return read(request, lambda s: {"items": [
        {"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "permissions": perms}
        for r, perms in service.list_roles(s)]})


@router.get("/permissions")
def api_permissions(request: Request, principal: Principal = Depends(require("role.read"))) -> Any:
    return read(request, lambda s: {"items": [
        {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en} for p in service.list_permissions(s)]})


@router.put("/roles/{role_code}/permissions")
def api_set_role_permissions(role_code: str, body: schemas.RolePermissionsIn, request: Request,
                             principal: Principal = Depends(require("role.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: {"code": role_code, "permissions": service.set_role_permissions(
        s, principal, role_code, body.permissions)})


# --- audit ---------------------------------------------------------------------------------

@router.get("/audit")
def api_audit(request: Request, object_type: Annotated[str | None, Query(max_length=64)] = None,
              object_id: Annotated[str | None, Query(max_length=64)] = None,
              action: Annotated[str | None, Query(max_length=64)] = None,
              page: Annotated[int, Query(ge=1)] = 1, page_size: Annotated[int, Query(ge=1, le=200)] = 50,
              principal: Principal = Depends(require("audit.read"))) -> Any:
    def run(session: Session) -> Any:
        stmt = select(AuditRecord).where(
            (AuditRecord.institution_id.in_(sorted(principal.scope_ids))) | AuditRecord.institution_id.is_(None))
        if object_type:
            stmt = stmt.where(AuditRecord.object_type == object_type)
        if object_id:
            stmt = stmt.where(AuditRecord.object_id == object_id)
        if action:
            stmt = stmt.where(AuditRecord.action == action)
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = session.execute(stmt.order_by(AuditRecord.at.desc(), AuditRecord.id.desc()).offset((page - 1) * page_size)
                               .limit(page_size)).scalars()
        return {"total": total, "items": [{
            "id": r.id, "at": r.at, "actor": r.actor_username, "role": r.role, "institution_id": r.institution_id,
            "device_id": r.device_id, "request_id": r.request_id, "action": r.action,
            "object_type": r.object_type, "object_id": r.object_id, "changes": r.changes, "hash": r.hash,
        } for r in rows]}

    return read(request, run)


@router.post("/audit/verify")
def api_audit_verify(request: Request, principal: Principal = Depends(require("audit.read"))) -> Any:
    return read(request, lambda s: audit.verify(s).__dict__)
