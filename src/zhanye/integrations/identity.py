"""Identity verification providers: ID check against the public-security database (身份证联网核查),
bank-card four-element check, mobile real-name check, liveness face comparison and ID-card OCR.

Each kind is a protocol with a deterministic sandbox (see docs/sandbox.md for the test
identities that pass, fail, error and time out). Callers go through :func:`call`, which applies
the per-kind timeout and circuit breaker of ``integrations.base``: a failing provider answers
fast with a typed ``ProviderUnavailable`` instead of hanging the page.

Timeouts are read from ``ZHANYE_IDENTITY_TIMEOUT_S`` (default 3 s).
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from zhanye.integrations.base import call_with_protection, registry

T = TypeVar("T")

KINDS = ("identity.id_check", "identity.card4", "identity.mobile", "identity.liveness", "identity.ocr")


@dataclass(frozen=True)
class CheckResult:
    passed: bool
    reason: str = ""
    score: float | None = None
    provider: str = "sandbox"


@dataclass(frozen=True)
class OcrResult:
    name: str
    id_number: str
    address: str = ""
    provider: str = "sandbox"
    fields: dict[str, str] = field(default_factory=dict)


class IdCheckProvider(Protocol):
    def check(self, *, name: str, id_number: str, photo: bytes | None = None) -> CheckResult: ...


class CardFourElementProvider(Protocol):
    def check(self, *, name: str, id_number: str, card_number: str, phone: str) -> CheckResult: ...


class MobileRealNameProvider(Protocol):
    def check(self, *, name: str, id_number: str, phone: str) -> CheckResult: ...


class LivenessProvider(Protocol):
    def compare(self, *, id_number: str, face_image: bytes) -> CheckResult: ...


class OcrProvider(Protocol):
    def read_id_front(self, *, image: bytes) -> OcrResult: ...


# --- sandboxes -------------------------------------------------------------------------------------

class SandboxFault(RuntimeError):
    """What a sandbox raises for a test identity documented to make the provider fail."""


SANDBOX_HANG_S = 10.0  # how long a "time out" identity makes the sandbox wait (far past any timeout)


def _order_code(id_number: str) -> str:
    return id_number[14:17] if len(id_number) >= 17 else ""


def _common_faults(trigger: str, hang: Callable[[], None]) -> None:
    if trigger == "999":
        hang()
    if trigger == "998":
        raise SandboxFault("sandbox: provider error for test identity")


class _SandboxBase:
    name = "sandbox"

    def __init__(self, hang_s: float = SANDBOX_HANG_S) -> None:
        self.hang_s = hang_s

    def _hang(self) -> None:
        time.sleep(self.hang_s)


class SandboxIdCheck(_SandboxBase):
    """Order code (ID digits 15-17) 999 → hangs, 998 → provider error, 997 → name/number
    mismatch; 996 → photo does not match; any other valid identity passes."""

    name = "sandbox.id_check"

    def check(self, *, name: str, id_number: str, photo: bytes | None = None) -> CheckResult:
        code = _order_code(id_number)
        _common_faults(code, self._hang)
        if code == "997" or not name.strip():
            return CheckResult(False, "name_mismatch", provider=self.name)
        if photo is not None and code == "996":
            return CheckResult(False, "photo_mismatch", score=0.31, provider=self.name)
        return CheckResult(True, "match", score=0.97 if photo is not None else None, provider=self.name)


class SandboxCard4(_SandboxBase):
    """ID order codes 999/998 as for the ID check; a card number ending in 0000 (Luhn-valid)
    → mismatch; a reserved phone ending in 4444 → reserved phone differs."""

    name = "sandbox.card4"

    def check(self, *, name: str, id_number: str, card_number: str, phone: str) -> CheckResult:
        _common_faults(_order_code(id_number), self._hang)
        if card_number[-5:-1] == "0000":
            return CheckResult(False, "card_mismatch", provider=self.name)
        if phone.endswith("4444"):
            return CheckResult(False, "phone_mismatch", provider=self.name)
        if _order_code(id_number) == "997":
            return CheckResult(False, "name_mismatch", provider=self.name)
        return CheckResult(True, "match", provider=self.name)


class SandboxMobile(_SandboxBase):
    """Phone 13900000999 → hangs, 13900000998 → provider error; a phone ending in 0000 →
    registered to someone else; otherwise the phone is registered to the given identity."""

    name = "sandbox.mobile"

    def check(self, *, name: str, id_number: str, phone: str) -> CheckResult:
        _common_faults(phone[-3:] if phone.startswith("139000009") else "", self._hang)
        if phone.endswith("0000"):
            return CheckResult(False, "not_owner", provider=self.name)
        return CheckResult(True, "match", provider=self.name)


class SandboxLiveness(_SandboxBase):
    """ID order codes 999/998 as above; 996 → the face does not match (score 0.31); an image
    smaller than 1 KB → no live face found; otherwise a match with score 0.93."""

    name = "sandbox.liveness"

    def compare(self, *, id_number: str, face_image: bytes) -> CheckResult:
        code = _order_code(id_number)
        _common_faults(code, self._hang)
        if len(face_image) < 1024:
            return CheckResult(False, "no_live_face", score=0.0, provider=self.name)
        if code == "996":
            return CheckResult(False, "face_mismatch", score=0.31, provider=self.name)
        return CheckResult(True, "match", score=0.93, provider=self.name)


SANDBOX_OCR_DEFAULT = {"name": "测试客户", "id_number": "110101199003078515", "address": "北京市东城区测试路1号"}


class SandboxOcr(_SandboxBase):
    """Reads the fields from a PNG text chunk ``zhanye_ocr`` (JSON with name, id_number,
    address) when the image carries one; an image whose chunk says ``{"fault": "timeout"}`` or
    ``{"fault": "error"}`` hangs or fails; any other image reads as the default test identity."""

    name = "sandbox.ocr"

    def read_id_front(self, *, image: bytes) -> OcrResult:
        fields = dict(SANDBOX_OCR_DEFAULT)
        try:
            from PIL import Image

            with Image.open(io.BytesIO(image)) as img:
                raw = getattr(img, "text", {}).get("zhanye_ocr") if hasattr(img, "text") else None
            if raw:
                fields.update(json.loads(raw))
        except Exception:  # noqa: BLE001 - the sandbox reads any picture as the default identity
            pass
        fault = fields.pop("fault", None)
        if fault == "timeout":
            self._hang()
        if fault == "error":
            raise SandboxFault("sandbox: OCR error for test image")
        return OcrResult(name=fields["name"], id_number=fields["id_number"], address=fields.get("address", ""),
                         provider=self.name, fields={k: str(v) for k, v in fields.items()})


registry.register_default("identity.id_check", SandboxIdCheck)
registry.register_default("identity.card4", SandboxCard4)
registry.register_default("identity.mobile", SandboxMobile)
registry.register_default("identity.liveness", SandboxLiveness)
registry.register_default("identity.ocr", SandboxOcr)


def timeout_s() -> float:
    raw = os.environ.get("ZHANYE_IDENTITY_TIMEOUT_S")
    try:
        return float(raw) if raw else 3.0
    except ValueError:
        return 3.0


def provider(kind: str):  # type: ignore[no-untyped-def]
    return registry.get(kind)


def provider_name(kind: str) -> str:
    return str(getattr(provider(kind), "name", provider(kind).__class__.__name__))


def call(kind: str, fn: Callable[[object], T], *, timeout: float | None = None) -> T:
    """Call the provider of ``kind`` with its timeout and circuit breaker."""
    prov = provider(kind)
    breaker = registry.breaker(kind, failure_threshold=5, reset_after_s=30.0)
    return call_with_protection(breaker, lambda: fn(prov), timeout_s=timeout if timeout is not None else timeout_s())
