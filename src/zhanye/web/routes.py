"""Shell routes: health, readiness, metrics, language switch."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from prometheus_client import generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from zhanye import __version__
from zhanye.web.deps import public, require
from zhanye.web.middleware import REGISTRY

router = APIRouter()


@router.get("/healthz", dependencies=[Depends(public())], tags=["system"])
def healthz() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@router.get("/readyz", dependencies=[Depends(public())], tags=["system"])
def readyz(request: Request) -> Response:
    try:
        request.app.state.db.ping()
    except Exception as exc:  # noqa: BLE001 - readiness reports any database failure
        return JSONResponse({"status": "unavailable", "database": str(exc.__class__.__name__)}, status_code=503)
    return JSONResponse({"status": "ready", "database": request.app.state.db.dialect})


@router.get("/metrics", dependencies=[Depends(require("system.metrics"))], tags=["system"])
def metrics() -> Response:
    return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


@router.get("/lang/{locale}", dependencies=[Depends(public())], include_in_schema=False)
def switch_language(locale: str, request: Request) -> Response:
    target = request.headers.get("referer") or "/"
    if not target.startswith(str(request.base_url)):
        target = "/"
    resp = RedirectResponse(target, status_code=303)
    if locale in ("zh_CN", "en"):
        resp.set_cookie("zhanye_lang", locale, max_age=365 * 86400, samesite="lax", httponly=True)
    return resp
