"""Pure ASGI middleware: request serial number, access log line, Prometheus metrics, body limit."""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from zhanye.core import context
from zhanye.core.errors import PayloadTooLarge
from zhanye.web import i18n

access_log = logging.getLogger("zhanye.access")

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("zhanye_http_requests_total", "HTTP requests", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("zhanye_http_request_duration_seconds", "HTTP request latency", ["method", "route"],
                    registry=REGISTRY,
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))


_READ_HEADERS = frozenset({b"x-request-id", b"content-type", b"content-length", b"cookie", b"accept-language"})


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    """The request headers this middleware reads (the last of a repeated one), decoded; the others
    are left to the application."""
    found = {}
    for name, value in scope.get("headers", ()):
        name = name.lower()
        if name in _READ_HEADERS:
            found[name.decode("latin-1")] = value.decode("latin-1")
    return found


_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _metrics(method: str, route_path: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of (method, route, status), found once: a
    ``labels()`` call validates and joins its values every time. Bounded by the app's routes."""
    key = (method, route_path, status)
    found = _children.get(key)
    if found is None:
        found = _children[key] = (REQUESTS.labels(method, route_path, str(status)), LATENCY.labels(method, route_path))
    return found


class RequestContextMiddleware:
    """Assigns the serial number, logs one JSON line per request, records metrics and limits the
    size of request bodies."""

    def __init__(self, app: Any, *, max_body_bytes: int, upload_max_bytes: int,
                 default_locale: str = i18n.DEFAULT_LOCALE) -> None:
        self.app = app
        self.default_locale = default_locale if default_locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
        self.max_body = max_body_bytes
        self.max_upload = upload_max_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        rid = context.accept_request_id(headers.get("x-request-id"))
        token = context.set_request_id(rid)
        principal_token = context.set_principal(None)
        locale_token = i18n.set_locale(self._locale(headers))
        start = time.perf_counter()
        status_holder = {"status": 500}
        is_multipart = headers.get("content-type", "").startswith("multipart/")
        limit = self.max_upload if is_multipart else self.max_body

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            receive = _refuse_body(receive)
        else:
            receive = _counting_receive(receive, limit)

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - start
            route = scope.get("route")
            route_path = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            status = status_holder["status"]
            count, latency = _metrics(method, route_path, status)
            count.inc()
            latency.observe(elapsed)
            if access_log.isEnabledFor(logging.INFO) and not route_path.startswith("/static"):
                principal = (scope.get("state") or {}).get("principal") or context.current_principal()
                access_log.info(
                    "%s %s %s", method, scope.get("path"), status,
                    extra={"method": method, "path": scope.get("path"), "status": status,
                           "duration_ms": round(elapsed * 1000, 2), "request_id": rid,
                           "staff": principal.username if principal else None},
                )
            context.set_principal(None)
            del principal_token
            i18n._current.reset(locale_token)  # type: ignore[arg-type]
            context.reset_request_id(token)


    def _locale(self, headers: dict[str, str]) -> str:
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "zhanye_lang" and value in i18n.LOCALES:
                return value
        if headers.get("accept-language", "").lower().startswith("en"):
            return "en"
        return self.default_locale


def _refuse_body(receive: Any) -> Any:
    async def wrapped() -> dict[str, Any]:
        raise PayloadTooLarge("请求内容超过大小限制", "The request body exceeds the size limit")

    return wrapped


def _counting_receive(receive: Any, limit: int) -> Any:
    seen = 0

    async def wrapped() -> dict[str, Any]:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge("请求内容超过大小限制", "The request body exceeds the size limit")
        return message

    return wrapped
