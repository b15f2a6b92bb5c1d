"""Idempotency store: the first response of a key is kept in the same transaction as the effect.

A repeat with the same key and payload returns the first response; the same key with another
payload is refused (409 ``idempotency_key_reused``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core.crypto import sm3_hex
from zhanye.core.errors import IdempotencyConflict, ValidationFailed
from zhanye.core.models import IdempotencyRecord

MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def request_fingerprint(endpoint: str, payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return sm3_hex(f"{endpoint}\n{canonical}")


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.field(
            ["header", "Idempotency-Key"],
            f"幂等键须为 1-{MAX_KEY_LENGTH} 个可打印字符",
            f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable characters",
        )
    return key


def lookup(session: Session, *, scope: str, key: str, endpoint: str,
           fingerprint: str) -> StoredResponse | None:
    rec = session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).scalar_one_or_none()
    if rec is None:
        return None
    if rec.request_hash != fingerprint or rec.endpoint != endpoint:
        raise IdempotencyConflict(
            "此幂等键已用于内容不同的请求", "This Idempotency-Key was already used with a different request"
        )
    return StoredResponse(rec.status_code, json.loads(rec.response_body))


def store(session: Session, *, scope: str, key: str, endpoint: str, fingerprint: str,
          status_code: int, body: Any) -> None:
    session.add(IdempotencyRecord(
        scope=scope, key=key, endpoint=endpoint, request_hash=fingerprint, status_code=status_code,
        response_body=json.dumps(body, ensure_ascii=False, default=str),
    ))
    session.flush()
