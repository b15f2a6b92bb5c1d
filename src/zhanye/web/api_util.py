"""Helpers shared by API routes: one transaction per write with the Idempotency-Key kept in it,
paging parameters, and JSON shapes of money."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhanye.core import idempotency
from zhanye.core.context import Principal
from zhanye.core.db import Database
from zhanye.core.errors import DomainError
from zhanye.core.money import format_yuan
from zhanye.web.jsonout import JSONBody


class IdempotencyKeyRequired(DomainError):
    code = "idempotency_key_required"
    status = 428
    title_zh = "此操作须提供 Idempotency-Key 请求头"
    title_en = "This request needs an Idempotency-Key header"


def money(fen: int | None) -> dict[str, Any] | None:
    if fen is None:
        return None
    return {"fen": fen, "yuan": format_yuan(fen)}


def run_write(request: Request, principal: Principal | None, action: Callable[[Session], Any], *,
              payload: Any = None, key: str | None = None, key_required: bool = False,
              status_code: int = 200) -> JSONResponse:
    """Run ``action`` in one write transaction and answer its JSON. With an Idempotency-Key, the
    first answer is stored in the same transaction and returned again on a repeat."""
    db: Database = request.app.state.db
    endpoint = f"{request.method} {request.scope.get('route').path if request.scope.get('route') else request.url.path}"
    if key is None and key_required:
        raise IdempotencyKeyRequired("请在请求头 Idempotency-Key 中提供唯一键，重试时使用同一个键",
                                     "Send a unique Idempotency-Key header and reuse it when retrying")
    scope = principal.idempotency_scope if principal else "anonymous"
    if key is not None:
        key = idempotency.check_key(key)
        fingerprint = idempotency.request_fingerprint(endpoint, jsonable_encoder(payload))
    for attempt in (1, 2):
        try:
            with db.unit_of_work() as session:
                if key is not None:
                    stored = idempotency.lookup(session, scope=scope, key=key, endpoint=endpoint,
                                                fingerprint=fingerprint)
                    if stored is not None:
                        return JSONResponse(stored.body, status_code=stored.status_code,
                                            headers={"Idempotent-Replayed": "true"})
                body = jsonable_encoder(action(session))
                if key is not None:
                    idempotency.store(session, scope=scope, key=key, endpoint=endpoint,
                                      fingerprint=fingerprint, status_code=status_code, body=body)
            return JSONResponse(body, status_code=status_code)
        except IntegrityError:
            # A concurrent request with the same key committed first: answer with its result.
            if key is None or attempt == 2:
                raise
    raise RuntimeError("unreachable")


def read(request: Request, action: Callable[[Session], Any]) -> JSONBody:
    """Run ``action`` in a read-only unit of work and answer its result as JSON."""
    db: Database = request.app.state.db
    with db.unit_of_work(write=False) as session:
        return JSONBody(action(session))

