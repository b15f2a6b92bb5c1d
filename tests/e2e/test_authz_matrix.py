"""Authorization matrix: every route x every role x own/other institution.

1. Every route declares a permission (``require``) or is explicitly public.
2. Permission sweep: each role calls each route; a role without the route's permission gets 403,
   a role with it never gets 401/403.
3. Scope: for routes naming an object, a role with the permission reaches the object of its own
   institution and gets 404 for another institution's; a role without gets 403 for both.
   Every such route must have a scope case (tests/e2e/authz/<feature>.py).
4. Routes of the customer's own channel (``customer()``) answer 401 to every staff token; that a
   customer reaches only their own objects is walked in tests/e2e/online/test_online_scope.py.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.conftest import DEMO_PASSWORD, login_headers
from tests.e2e import authz
from tests.e2e.authz import MatrixContext, ScopeCase
from zhanye.org.permissions import AUTHENTICATED, ROLES
from zhanye.web.deps import CUSTOMER, all_routes, route_permission

LOGOUT_ROUTES = {("POST", "/api/v1/auth/logout"), ("POST", "/logout")}


def _authz_modules() -> list[object]:
    return [importlib.import_module(f"tests.e2e.authz.{m.name}") for m in pkgutil.iter_modules(authz.__path__)]


def _routes(app) -> list[tuple[str, str, APIRoute]]:  # type: ignore[no-untyped-def]
    out = []
    for route in all_routes(app):
        if isinstance(route, APIRoute):
            for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
                out.append((method, route.path, route))
    return out


@pytest.fixture(scope="module")
def matrix(client, demo_db):  # type: ignore[no-untyped-def]
    """One user per role, all at 柳河支行 (101); the other institution is 石桥支行 (201)."""
    from zhanye.org import service
    from zhanye.org.models import Institution, RolePermission

    suffix = uuid.uuid4().hex[:6]
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        own = s.execute(select(Institution).where(Institution.code == "101")).scalar_one().id
        other = s.execute(select(Institution).where(Institution.code == "201")).scalar_one().id
        users = {}
        for role in ROLES:
            staff, _ = service.create_staff(s, system, username=f"mx_{role}_{suffix}"[:32], display_name="矩阵",
                                            institution_id=own, roles=[role], password=DEMO_PASSWORD,
                                            must_change_password=False)
            users[role] = staff.username
        grants: dict[str, set[str]] = {r: set() for r in ROLES}
        for rp in s.execute(select(RolePermission)).scalars():
            grants.setdefault(rp.role_code, set()).add(rp.permission_code)
    headers = {role: login_headers(client, username) for role, username in users.items()}
    ctx = MatrixContext(client=client, db=demo_db, own_institution_id=own, other_institution_id=other,
                        admin_headers=login_headers(client, "admin"))
    return {"headers": headers, "grants": grants, "ctx": ctx, "users": users}


def _allowed(permission: str, role: str, grants: dict[str, set[str]]) -> bool:
    return permission in ("public", AUTHENTICATED) or permission in grants[role]


def _fill(path: str, params: dict[str, object] | None = None) -> str:
    params = params or {}

    def sub(m: re.Match[str]) -> str:
        name = m.group(1).split(":")[0]
        return str(params.get(name, 999999999 if name.endswith("id") else "x"))

    return re.sub(r"\{([^}]+)\}", sub, path)


def _call(client, method: str, url: str, headers: dict[str, str], *, body=None, form=None):  # type: ignore[no-untyped-def]
    headers = {**headers, "Idempotency-Key": uuid.uuid4().hex}
    if form is not None:
        return client.request(method, url, headers=headers, data=form)
    if method in ("POST", "PUT", "PATCH"):
        return client.request(method, url, headers=headers, json=body if body is not None else {})
    return client.request(method, url, headers=headers)


def test_every_route_declares_a_permission(app) -> None:  # type: ignore[no-untyped-def]
    assert len(_routes(app)) > 30, "the route walk found too few routes"
    undeclared = [f"{m} {p}" for m, p, r in _routes(app) if route_permission(r) is None]
    assert not undeclared, f"routes without require(...) or public(): {undeclared}"


def test_permission_sweep(app, client, matrix) -> None:  # type: ignore[no-untyped-def]
    unsafe = set().union(*(getattr(m, "UNSAFE_ROUTES", set()) for m in _authz_modules()))
    failures = []
    for method, path, route in _routes(app):
        permission = route_permission(route)
        if permission == "public":
            continue
        url = _fill(path)
        if permission == CUSTOMER:  # the customer's own channel: a staff token is not a customer session
            for role in ROLES:
                resp = _call(client, method, url, matrix["headers"][role])
                if resp.status_code != 401:
                    failures.append(f"{role} {method} {path}: customer route, expected 401, got {resp.status_code}")
            continue
        for role in ROLES:
            allowed = _allowed(permission, role, matrix["grants"])
            if allowed and (method, path) in unsafe:
                continue
            headers = matrix["headers"][role]
            if (method, path) in LOGOUT_ROUTES:
                headers = login_headers(client, matrix["users"][role], fresh=True)
            resp = _call(client, method, url, headers)
            if allowed and resp.status_code in (401, 403):
                failures.append(f"{role} {method} {path}: expected allowed, got {resp.status_code}")
            if not allowed and resp.status_code != 403:
                failures.append(f"{role} {method} {path}: expected 403, got {resp.status_code}")
            if (method, path) in LOGOUT_ROUTES:
                login_headers(client, matrix["users"][role], fresh=True)
    assert not failures, "\n".join(failures[:50])


def _scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    cases: list[ScopeCase] = []
    for mod in _authz_modules():
        fn = getattr(mod, "scope_cases", None)
        if fn is not None:
            cases.extend(fn(ctx))
    return cases


def test_every_object_route_has_a_scope_case(app, matrix) -> None:  # type: ignore[no-untyped-def]
    cases = {(c.method, c.path) for c in _scope_cases(matrix["ctx"])}
    exempt = set().union(*(getattr(m, "NO_OBJECT_ROUTES", set()) for m in _authz_modules()))
    missing = [f"{m} {p}" for m, p, r in _routes(app)
               if "{" in p and route_permission(r) not in ("public", CUSTOMER, None) and (m, p) not in cases
               and (m, p) not in exempt]
    assert not missing, f"add scope cases in tests/e2e/authz/<feature>.py for: {missing}"


def test_scope_own_allowed_other_not_found(app, client, matrix) -> None:  # type: ignore[no-untyped-def]
    ctx = matrix["ctx"]
    failures = []
    app_routes = {(m, p): r for m, p, r in _routes(app)}
    for case in _scope_cases(ctx):
        route = app_routes.get((case.method, case.path))
        assert route is not None, f"scope case for unknown route {case.method} {case.path}"
        permission = route_permission(route)
        for role in ROLES:
            own, other = (case.fresh(ctx) if case.fresh else (case.own, case.other))
            headers = matrix["headers"][role]
            r_own = _call(client, case.method, _fill(case.path, own), headers, body=case.body, form=case.form)
            r_other = _call(client, case.method, _fill(case.path, other), headers, body=case.body, form=case.form)
            if _allowed(permission, role, matrix["grants"]):
                if r_own.status_code in (401, 403, 404):
                    failures.append(f"{role} {case.method} {case.path} own: got {r_own.status_code} {r_own.text[:120]}")
                if r_other.status_code != 404:
                    failures.append(f"{role} {case.method} {case.path} other: expected 404, got {r_other.status_code}")
            else:
                for label, r in (("own", r_own), ("other", r_other)):
                    if r.status_code != 403:
                        failures.append(f"{role} {case.method} {case.path} {label}: expected 403, got {r.status_code}")
    assert not failures, "\n".join(failures[:50])


def test_the_check_catches_an_undeclared_route() -> None:
    from fastapi import FastAPI

    probe = FastAPI()

    @probe.get("/api/v1/forgotten")
    def forgotten() -> dict[str, str]:
        return {}

    assert [p for m, p, r in _routes(probe) if route_permission(r) is None] == ["/api/v1/forgotten"]
