"""Pages: login, password change, home, institutions, staff, roles and permissions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.org import schemas, service
from zhanye.org.permissions import AUTHENTICATED, PERMISSIONS, ROLES
from zhanye.web import home, nav
from zhanye.web.deps import SESSION_COOKIE, page_business_date, public, require, token_from_request
from zhanye.web.forms import domain_message, validate_form
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("home", "Home", "/", AUTHENTICATED, icon="house", order=0))
nav.register(nav.NavItem("institutions", "Institutions", "/institutions", "institution.read", icon="building",
                         order=900))
nav.register(nav.NavItem("staff", "Staff", "/staff", "staff.read", icon="people", order=910))
nav.register(nav.NavItem("roles", "Roles and permissions", "/roles", "role.read", icon="shield-lock", order=920))


def _bizdate(request: Request) -> None:
    page_business_date(request)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


# --- login and password --------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public())])
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "org/login.html", {"next": _safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(public())])
def login_submit(request: Request, username: str = Form(""), password: str = Form(""),
                 next: str = Form("/")) -> Response:
    if not username or not password or len(username) > 64 or len(password) > 128:
        return render(request, "org/login.html", {"next": _safe_next(next), "username": username[:64],
                                                  "error": _msg("Enter your username and password")},
                      status_code=400)
    settings = request.app.state.settings
    with request.app.state.db.unit_of_work() as session:
        result = service.login(session, username=username, password=password, kind="cookie",
                               device_id=request.headers.get("x-device-id"),
                               client_ip=request.client.host if request.client else None)
    if not result.ok:
        assert isinstance(result.error, DomainError)
        return render(request, "org/login.html", {"next": _safe_next(next), "username": username,
                                                  "error": domain_message(result.error)}, status_code=401)
    assert result.staff is not None
    target = "/password" if result.staff.must_change_password else _safe_next(next)
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(SESSION_COOKIE, result.token or "", httponly=True, samesite="lax",
                    secure=settings.cookie_secure, max_age=settings.session_hours * 3600)
    return resp


def _msg(english: str) -> str:
    from zhanye.web.i18n import gettext_

    return gettext_(english)


@router.post("/logout", dependencies=[Depends(require(AUTHENTICATED))])
def logout_submit(request: Request) -> Response:
    token, _ = token_from_request(request)
    with request.app.state.db.unit_of_work() as session:
        if token:
            service.logout(session, token)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, principal: Principal = Depends(require(AUTHENTICATED))) -> HTMLResponse:
    return render(request, "org/password.html", {"errors": {}, "done": False})


@router.post("/password", response_class=HTMLResponse)
def password_submit(request: Request, old_password: str = Form(""), new_password: str = Form(""),
                    confirm_password: str = Form(""),
                    principal: Principal = Depends(require(AUTHENTICATED))) -> Response:
    errors: dict[str, str] = {}
    if new_password != confirm_password:
        errors["confirm_password"] = _msg("The two new passwords differ")
    form, form_errors = validate_form(schemas.PasswordChangeIn, {"old_password": old_password,
                                                                 "new_password": new_password})
    errors.update(form_errors)
    if not errors:
        token, _ = token_from_request(request)
        try:
            with request.app.state.db.unit_of_work() as session:
                service.change_password(session, principal, old_password=old_password,
                                        new_password=new_password, keep_token=token)
        except DomainError as exc:
            errors["new_password" if "new_password" in str(exc.errors) else "old_password"] = domain_message(exc)
    if errors:
        return render(request, "org/password.html", {"errors": errors, "done": False}, status_code=422)
    return RedirectResponse("/?password_changed=1", status_code=303)


# --- home ---------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def home_page(request: Request, principal: Principal = Depends(require(AUTHENTICATED))) -> HTMLResponse:
    _bizdate(request)
    panels = []
    with request.app.state.db.unit_of_work(write=False) as session:
        for panel in home.panels_for(principal):
            panels.append({"key": panel.key, "title": panel.title, **panel.render(session, principal)})
    return render(request, "org/home.html", {"panels": panels,
                                             "password_changed": request.query_params.get("password_changed")})


# --- institutions --------------------------------------------------------------------------------

@router.get("/institutions", response_class=HTMLResponse)
def institutions_page(request: Request, principal: Principal = Depends(require("institution.read"))) -> HTMLResponse:
    return _institutions(request, principal)


def _institutions(request: Request, principal: Principal, *, error: str | None = None,
                  ok: str | None = None, status_code: int = 200) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        items = service.list_institutions(session, principal, include_closed=True)
    children: dict[int | None, list[Any]] = {}
    ids = {i.id for i in items}
    for inst in items:
        parent = inst.parent_id if inst.parent_id in ids else None
        children.setdefault(parent, []).append(inst)
    return render(request, "org/institutions.html", {
        "children": children, "items": [i for i in items if i.status == "open"], "error": error, "ok": ok,
        "can_manage": principal.can("institution.manage"), "kind_names": service.KIND_NAMES,
    }, status_code=status_code)


@router.post("/institutions", response_class=HTMLResponse)
def institutions_action(request: Request, op: str = Form(...), institution_id: int | None = Form(None),
                        code: str = Form(""), name: str = Form(""), kind: str = Form("sub_branch"),
                        parent_id: int | None = Form(None),
                        principal: Principal = Depends(require("institution.manage"))) -> HTMLResponse:
    try:
        with request.app.state.db.unit_of_work() as session:
            if op == "create":
                form, errors = validate_form(schemas.InstitutionCreate, {"code": code, "name": name, "kind": kind,
                                                                         "parent_id": parent_id})
                if errors:
                    return _institutions(request, principal, error="; ".join(f"{k}: {v}" for k, v in errors.items()),
                                         status_code=422)
                assert isinstance(form, schemas.InstitutionCreate)
                service.create_institution(session, principal, code=form.code, name=form.name, kind=form.kind,
                                           parent_id=form.parent_id)
            elif op == "rename" and institution_id:
                form, errors = validate_form(schemas.InstitutionRename, {"name": name})
                if errors:
                    return _institutions(request, principal, error="; ".join(errors.values()), status_code=422)
                service.rename_institution(session, principal, institution_id, name)
            elif op == "move" and institution_id and parent_id:
                service.move_institution(session, principal, institution_id, parent_id)
            elif op == "close" and institution_id:
                service.close_institution(session, principal, institution_id)
            else:
                return _institutions(request, principal, error=_msg("Unknown action"), status_code=400)
    except DomainError as exc:
        return _institutions(request, principal, error=domain_message(exc), status_code=exc.status)
    return _institutions(request, principal, ok=_msg("Saved"))


# --- staff ---------------------------------------------------------------------------------------

@router.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, q: str = "", institution: str = Query("", alias="institution_id"),
               role: str = "", status: str = "", page: int = 1,
               principal: Principal = Depends(require("staff.read"))) -> HTMLResponse:
    _bizdate(request)
    institution_id = int(institution) if institution.isdigit() else None
    page = max(1, min(page, 100000))
    q = q[:64]
    with request.app.state.db.unit_of_work(write=False) as session:
        rows, total = service.list_staff(session, principal, q=q or None, institution_id=institution_id,
                                         role=role or None, status=status if status in ("active", "disabled") else None,
                                         page=page, page_size=20)
        institutions = service.list_institutions(session, principal)
    query = urlencode({k: v for k, v in {"q": q, "institution_id": institution_id or "", "role": role,
                                          "status": status}.items() if v})
    return render(request, "org/staff_list.html", {
        "rows": rows, "total": total, "page": page, "page_size": 20, "q": q, "role": role, "status": status,
        "institution_id": institution_id, "institutions": institutions, "roles": ROLES, "query": query,
        "can_manage": principal.can("staff.manage"),
    })


@router.get("/staff/new", response_class=HTMLResponse)
def staff_new_page(request: Request, principal: Principal = Depends(require("staff.manage"))) -> HTMLResponse:
    return _staff_form(request, principal, None, {}, {})


def _staff_form(request: Request, principal: Principal, staff: Any, values: dict[str, Any],
                errors: dict[str, str], *, message: str | None = None, temp_password: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        institutions = service.list_institutions(session, principal)
    return render(request, "org/staff_form.html", {
        "staff": staff, "values": values, "errors": errors, "institutions": institutions, "roles": ROLES,
        "message": message, "temp_password": temp_password,
    }, status_code=status_code)


@router.post("/staff/new", response_class=HTMLResponse)
async def staff_new_submit(request: Request, principal: Principal = Depends(require("staff.manage"))) -> Response:
    form_data = await request.form()
    values = {"username": str(form_data.get("username", "")).strip().lower(),
              "display_name": str(form_data.get("display_name", "")),
              "institution_id": form_data.get("institution_id") or None,
              "roles": [str(r) for r in form_data.getlist("roles")],
              "employee_no": str(form_data.get("employee_no", "")) or None}
    form, errors = validate_form(schemas.StaffCreate, values)
    if errors:
        return _staff_form(request, principal, None, values, errors, status_code=422)
    assert isinstance(form, schemas.StaffCreate)
    try:
        with request.app.state.db.unit_of_work() as session:
            staff, temp = service.create_staff(session, principal, username=form.username,
                                               display_name=form.display_name, institution_id=form.institution_id,
                                               roles=form.roles, employee_no=form.employee_no)
            staff_id = staff.id
    except DomainError as exc:
        return _staff_form(request, principal, None, values, {"_": domain_message(exc)}, status_code=exc.status)
    return _staff_detail(request, principal, staff_id, message=_msg("Staff member created"), temp_password=temp)


def _staff_detail(request: Request, principal: Principal, staff_id: int, *, message: str | None = None,
                  temp_password: str | None = None, errors: dict[str, str] | None = None,
                  status_code: int = 200) -> HTMLResponse:
    with request.app.state.db.unit_of_work(write=False) as session:
        staff = service.get_staff(session, principal, staff_id)
        values = {"display_name": staff.display_name, "institution_id": staff.institution_id, "roles": staff.roles}
    return _staff_form(request, principal, staff, values, errors or {}, message=message,
                       temp_password=temp_password, status_code=status_code)


@router.get("/staff/{staff_id}", response_class=HTMLResponse)
def staff_detail_page(staff_id: int, request: Request,
                      principal: Principal = Depends(require("staff.read"))) -> HTMLResponse:
    return _staff_detail(request, principal, staff_id)


@router.post("/staff/{staff_id}", response_class=HTMLResponse)
async def staff_update_submit(staff_id: int, request: Request,
                              principal: Principal = Depends(require("staff.manage"))) -> Response:
    form_data = await request.form()
    op = str(form_data.get("op", "update"))
    temp = None
    try:
        with request.app.state.db.unit_of_work() as session:
            if op == "disable":
                service.set_staff_status(session, principal, staff_id, "disabled")
            elif op == "enable":
                service.set_staff_status(session, principal, staff_id, "active")
            elif op == "reset_password":
                _, temp = service.reset_password(session, principal, staff_id)
            else:
                values = {"display_name": str(form_data.get("display_name", "")),
                          "institution_id": form_data.get("institution_id") or None,
                          "roles": [str(r) for r in form_data.getlist("roles")]}
                form, errors = validate_form(schemas.StaffUpdate, values)
                if errors:
                    raise _FormErrors(errors)
                assert isinstance(form, schemas.StaffUpdate)
                service.update_staff(session, principal, staff_id, display_name=form.display_name,
                                     institution_id=form.institution_id, roles=form.roles)
    except _FormErrors as exc:
        return _staff_detail(request, principal, staff_id, errors=exc.errors, status_code=422)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _staff_detail(request, principal, staff_id, errors={"_": domain_message(exc)}, status_code=exc.status)
    return _staff_detail(request, principal, staff_id, message=_msg("Saved"), temp_password=temp)


class _FormErrors(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors


# --- roles ---------------------------------------------------------------------------------------

@router.get("/roles", response_class=HTMLResponse)
def roles_page(request: Request, principal: Principal = Depends(require("role.read"))) -> HTMLResponse:
    return _roles(request, principal)


def _roles(request: Request, principal: Principal, *, message: str | None = None, error: str | None = None,
           status_code: int = 200) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        roles = service.list_roles(session)
    return render(request, "org/roles.html", {
        "roles": [(r, set(p)) for r, p in roles], "permissions": PERMISSIONS,
        "can_manage": principal.can("role.manage"), "message": message, "error": error,
    }, status_code=status_code)


@router.post("/roles/{role_code}", response_class=HTMLResponse)
async def roles_submit(role_code: str, request: Request,
                       principal: Principal = Depends(require("role.manage"))) -> HTMLResponse:
    form_data = await request.form()
    perms = [str(p) for p in form_data.getlist("permissions")]
    try:
        with request.app.state.db.unit_of_work() as session:
            service.set_role_permissions(session, principal, role_code, perms)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _roles(request, principal, error=domain_message(exc), status_code=exc.status)
    return _roles(request, principal, message=_msg("Saved"))
