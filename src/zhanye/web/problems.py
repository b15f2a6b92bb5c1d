"""RFC 9457 problem+json for every error, in Chinese or English by Accept-Language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from zhanye.core import context
from zhanye.core.errors import DomainError, Unauthenticated

log = logging.getLogger("zhanye.web")
PROBLEM_TYPE_BASE = "https://zhanye.dev/problems/"


def request_lang(request: Request) -> str:
    forced = request.cookies.get("zhanye_lang")
    if forced in ("zh_CN", "en"):
        return "zh" if forced == "zh_CN" else "en"
    accept = request.headers.get("accept-language", "")
    best = None
    best_q = -1.0
    for part in accept.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        if tag and q > best_q and (tag.startswith("zh") or tag.startswith("en")):
            best, best_q = tag, q
    if best and best.startswith("en"):
        return "en"
    return "zh"


def problem(request: Request, *, status: int, code: str, title_zh: str, title_en: str,
            detail: str | None = None, errors: list[dict[str, Any]] | None = None,
            extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    lang = request_lang(request)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title_zh if lang == "zh" else title_en,
        "status": status,
        "code": code,
        "instance": request.url.path,
        "request_id": context.request_id(),
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/") or request.headers.get("hx-request"):
        return False
    return "text/html" in request.headers.get("accept", "")


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    lang = request_lang(request)
    if isinstance(exc, Unauthenticated) and wants_html(request):
        if request.url.path == "/m" or request.url.path.startswith("/m/"):  # the customer's online channel
            return RedirectResponse("/m/login", status_code=303)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if exc.code == "password_change_required" and wants_html(request):
        return RedirectResponse("/password", status_code=303)
    if wants_html(request):
        from zhanye.web.templating import render_error

        return render_error(request, exc.status, exc.title(lang), exc.detail(lang))
    return problem(request, status=exc.status, code=exc.code, title_zh=exc.title_zh, title_en=exc.title_en,
                   detail=exc.detail(lang), errors=[e.as_dict(lang) for e in exc.errors] or None,
                   extra=exc.extra or None,
                   headers={"WWW-Authenticate": "Bearer"} if exc.status == 401 else None)


_PYDANTIC_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不允许的字段",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "int_parsing": "须为整数",
    "int_type": "须为整数",
    "int_from_float": "须为整数",
    "bool_parsing": "须为布尔值",
    "string_type": "须为字符串",
    "greater_than_equal": "数值过小",
    "greater_than": "数值过小",
    "less_than_equal": "数值过大",
    "less_than": "数值过大",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "json_invalid": "JSON 格式错误",
    "model_attributes_type": "须为对象",
    "dict_type": "须为对象",
    "list_type": "须为列表",
    "date_from_datetime_parsing": "日期格式错误",
    "date_parsing": "日期格式错误",
    "string_pattern_mismatch": "格式不正确",
    "value_error": "取值无效",
    "decimal_parsing": "须为数字",
    "too_long": "条目过多",
    "too_short": "条目过少",
}


def _clean_msg(msg: str) -> str:
    return msg.removeprefix("Value error, ")


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    lang = request_lang(request)
    errors = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ())]
        etype = err.get("type", "invalid")
        msg = _clean_msg(str(err.get("msg", "")))
        if " / " in msg:  # our validators carry "中文 / English"
            zh, en = msg.split(" / ", 1)
        else:
            zh, en = _PYDANTIC_ZH.get(etype, "取值无效"), msg
        errors.append({"field": ".".join(str(p) for p in loc), "loc": loc, "type": etype,
                       "message": zh if lang == "zh" else en})
    if wants_html(request):
        from zhanye.web.templating import render_error

        return render_error(request, 422, "输入有误" if lang == "zh" else "The input is not valid",
                            "; ".join(f"{e['field']}: {e['message']}" for e in errors))
    return problem(request, status=422, code="validation_failed", title_zh="输入有误",
                   title_en="The input is not valid", errors=errors)


_HTTP_TITLES = {
    400: ("请求格式错误", "Bad request"),
    404: ("页面或对象不存在", "Not found"),
    405: ("不支持的请求方法", "Method not allowed"),
    413: ("请求内容过大", "The request body is too large"),
    415: ("不支持的内容类型", "Unsupported media type"),
}


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    zh, en = _HTTP_TITLES.get(exc.status_code, ("请求失败", "Request failed"))
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code, "http_error")
    if wants_html(request):
        from zhanye.web.templating import render_error

        lang = request_lang(request)
        return render_error(request, exc.status_code, zh if lang == "zh" else en, None)
    return problem(request, status=exc.status_code, code=code, title_zh=zh, title_en=en,
                   headers=getattr(exc, "headers", None))


async def unhandled_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", exc_info=exc)
    return problem(request, status=500, code="internal_error", title_zh="系统内部错误，请联系运维并提供流水号",
                   title_en="Internal error; please report the request id to operations")


def install(app: Any) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(Exception, unhandled_error_handler)
