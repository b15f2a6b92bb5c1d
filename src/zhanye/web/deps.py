"""Request dependencies: the database, the acting principal and the permission each route needs.

Every route declares exactly one of ``require("perm")``, ``customer()`` (the customer's own
online channel) or ``public()``. The authorization
matrix test walks the app's routes and fails for a route that declares neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from zhanye.core import context
from zhanye.core.context import Principal
from zhanye.core.db import Database
from zhanye.core.errors import PasswordChangeRequired, PermissionDenied, Unauthenticated
from zhanye.org import token_reads
from zhanye.org.permissions import AUTHENTICATED, PERMISSIONS

SESSION_COOKIE = "zhanye_session"
# Routes that a user who must change their password may still use.
PASSWORD_CHANGE_ALLOWED = {"/api/v1/me", "/api/v1/auth/logout", "/api/v1/auth/password", "/password",
                           "/logout"}


def get_db(request: Request) -> Database:
    return request.app.state.db


def token_from_request(request: Request) -> tuple[str | None, str | None]:
    """Return (token, kind) from ``Authorization: Bearer`` or the session cookie."""
    auth = request.headers.get("authorization")
    if auth and auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None, "bearer"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, "cookie"
    return None, None


async def _load_principal(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    token, kind = token_from_request(request)
    if not token or len(token) > 200:
        raise Unauthenticated("请先登录", "Please log in")
    if kind == "cookie" and request.method not in ("GET", "HEAD", "OPTIONS"):
        _check_same_origin(request)
    db: Database = request.app.state.db
    # from the principal cache when it may be (org.principal_cache), else one indexed read
    if db.async_reads is not None:  # PostgreSQL: the loop serves other requests while this one waits
        principal, business_date, org_version = await token_reads.resolve_async(db, token)
    else:
        principal, business_date, org_version = token_reads.resolve_sqlite(db, token)
    if principal is None:
        raise Unauthenticated("登录已失效，请重新登录", "The session has expired; please log in again")
    header_device = request.headers.get("x-device-id")
    if header_device and principal.device_id is None and len(header_device) <= 64:
        from dataclasses import replace

        principal = replace(principal, device_id=header_device)
    request.state.principal = principal
    request.state.token = token
    request.state.business_date = business_date  # as read with the token (``business_date``)
    request.state.org_version = org_version  # as read with the token (``org_version``)
    context.set_principal(principal)
    return principal


def business_date(request: Request) -> dt.date | None:
    """The business date read with the caller's token in this request, if it was."""
    return getattr(request.state, "business_date", None)


def org_version(request: Request) -> int | None:
    """The ``org`` data version (staff, roles, institutions) read with the caller's token, if it was."""
    return getattr(request.state, "org_version", None)


def page_business_date(request: Request, session: Session | None = None) -> dt.date:
    """A page's business date (the layout shows it): the one read with the caller's token, else
    read now, in ``session`` or on a connection of its own."""
    known = business_date(request)
    if known is None:
        from zhanye.core.calendar import get_business_date

        if session is not None:
            known = get_business_date(session)
        else:
            with request.app.state.db.read_connection() as conn:
                known = get_business_date(conn)
        request.state.business_date = known
    return known


def _check_same_origin(request: Request) -> None:
    """Cookie-authenticated writes must come from our own pages (CSRF defence beside SameSite)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return  # non-browser clients; SameSite=Lax keeps cross-site browsers from sending the cookie
    host = request.headers.get("host", "")
    stripped = origin.split("://", 1)[-1].split("/", 1)[0]
    if stripped != host:
        raise PermissionDenied("跨站请求被拒绝", "Cross-site request refused")


def require(permission: str) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency factory: the route needs a logged-in user holding ``permission``."""
    if permission != AUTHENTICATED and permission not in PERMISSIONS:
        raise RuntimeError(f"undeclared permission {permission!r}: add it to org/permissions.py")

    async def dependency(request: Request) -> Principal:
        # Runs on the event loop: one short indexed query, cheaper than a thread hop per request.
        principal = await _load_principal(request)
        if principal.must_change_password and request.url.path not in PASSWORD_CHANGE_ALLOWED:
            raise PasswordChangeRequired("首次登录或密码被重置后须先修改密码",
                                         "You must change your password before going on")
        if permission != AUTHENTICATED and not principal.can(permission):
            raise PermissionDenied(f"需要权限 {permission}", f"Permission {permission} is required",
                                   permission=permission)
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


CUSTOMER_COOKIE = "zhanye_customer"
CUSTOMER = "customer"  # what route_permission reports for routes of the customer's own channel


def _load_customer(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None and cached.customer_id:
        return cached
    auth = request.headers.get("authorization")
    token, kind = None, None
    if auth and auth[:7].lower() == "bearer ":
        token, kind = auth[7:].strip() or None, "bearer"
    elif request.cookies.get(CUSTOMER_COOKIE):
        token, kind = request.cookies.get(CUSTOMER_COOKIE), "cookie"
    if not token or len(token) > 200:
        raise Unauthenticated("请先登录手机银行", "Please log in to online banking")
    if kind == "cookie" and request.method not in ("GET", "HEAD", "OPTIONS"):
        _check_same_origin(request)
    from zhanye.online import auth as online_auth

    db: Database = request.app.state.db
    with db.read_connection() as conn:
        principal = online_auth.resolve_token(conn, token)
    if principal is None:
        raise Unauthenticated("登录已失效，请重新登录", "The session has expired; please log in again")
    request.state.principal = principal
    request.state.token = token
    context.set_principal(principal)
    return principal


def _renew_session(db: Database, token: str, until: dt.datetime) -> None:
    from zhanye.online import auth as online_auth

    with db.unit_of_work() as session:
        online_auth.extend(session, token, until)


def customer() -> Callable[[Request], Awaitable[Principal]]:
    """Dependency factory: the route serves a customer logged in to the online channel, acting for
    themselves. Staff tokens are not customer tokens: they get 401 here."""

    async def dependency(request: Request) -> Principal:
        from zhanye.online.auth import RENEW

        principal = _load_customer(request)
        renew = principal.extra.get(RENEW)
        if renew and not getattr(request.state, "session_renewed", False):
            # an active customer: the idle timeout slides (one small write per half idle time), in
            # the thread pool — a write may wait for SQLite's writer lock, the event loop must not
            request.state.session_renewed = True
            await run_in_threadpool(_renew_session, request.app.state.db, request.state.token,
                                    dt.datetime.fromisoformat(renew))
        return principal

    dependency.customer = True  # type: ignore[attr-defined]
    dependency.__name__ = "require_customer"
    return dependency


def public() -> Callable[[], None]:
    """Dependency marker for the few routes open without login (login, health, static)."""

    def dependency() -> None:
        return None

    dependency.public = True  # type: ignore[attr-defined]
    return dependency


def route_permission(route: Any) -> str | None:
    """The permission a route declares ('public' for open routes), or None if it declares none."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return None
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        call = dep.call
        if getattr(call, "public", False):
            return "public"
        if getattr(call, "customer", False):
            return CUSTOMER
        perm = getattr(call, "permission", None)
        if perm:
            return perm
        stack.extend(dep.dependencies)
    return None


def all_routes(app: Any) -> list[Any]:
    """Every endpoint route of the app, descending into included routers (routers are included
    without an extra prefix, so each route's own path is its full path)."""
    found: list[Any] = []
    stack = list(app.routes)
    while stack:
        route = stack.pop(0)
        original = getattr(route, "original_router", None)
        if original is not None:
            stack[:0] = list(original.routes)
        elif getattr(route, "routes", None) is not None and not hasattr(route, "endpoint"):
            continue  # mounts (static files)
        else:
            found.append(route)
    return found
