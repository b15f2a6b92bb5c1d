"""Clearing provider (银联/网联 or the bank's own switch): bound-card checks and transfers with a
class I card at another bank. The default is a deterministic sandbox.

Sandbox rules (by the card number, so tests and demos are reproducible):
* a number that fails the Luhn check is refused before any call;
* last four digits ``0000``: the card does not belong to the holder (binding refused);
* last four digits ``9999``: the provider is down (raises, so the circuit breaker counts it);
* last four digits ``4444``: transfers are accepted but their confirmation fails;
* anything else: bound, and transfers confirm.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from stdnum import luhn

from zhanye.integrations.base import call_with_protection, registry

KIND = "clearing"
TIMEOUT_S = 5.0


@dataclass(frozen=True)
class BindResult:
    ok: bool
    bank_name: str = ""
    reason: str = ""


@dataclass(frozen=True)
class TransferAck:
    ref: str


@dataclass(frozen=True)
class Confirmation:
    ref: str
    confirmed: bool
    reason: str = ""


class ClearingProvider(Protocol):
    def check_binding(self, *, card_number: str, holder_index: str) -> BindResult: ...

    def submit_transfer(self, *, card_number: str, direction: str, amount_fen: int, order_key: str) -> TransferAck: ...

    def confirm(self, *, ref: str, card_number: str) -> Confirmation: ...


_BANKS = {"6222": "中国工商银行", "6227": "中国建设银行", "6228": "中国农业银行", "6217": "中国银行",
          "6214": "招商银行", "6230": "交通银行"}


def valid_card_number(card_number: str) -> bool:
    digits = card_number.replace(" ", "")
    return digits.isdigit() and 16 <= len(digits) <= 19 and luhn.is_valid(digits)


class SandboxClearing:
    def check_binding(self, *, card_number: str, holder_index: str) -> BindResult:
        if card_number.endswith("9999"):
            raise ConnectionError("sandbox clearing unavailable")
        if card_number.endswith("0000"):
            return BindResult(False, reason="持卡人信息不符 / card holder does not match")
        return BindResult(True, bank_name=_BANKS.get(card_number[:4], "他行"))

    def submit_transfer(self, *, card_number: str, direction: str, amount_fen: int, order_key: str) -> TransferAck:
        if card_number.endswith("9999"):
            raise ConnectionError("sandbox clearing unavailable")
        ref = "SBX" + hashlib.sha256(f"{order_key}|{direction}|{amount_fen}".encode()).hexdigest()[:20].upper()
        return TransferAck(ref=ref)

    def confirm(self, *, ref: str, card_number: str) -> Confirmation:
        if card_number.endswith("4444"):
            return Confirmation(ref, False, "对方行拒绝 / rejected by the card's bank")
        return Confirmation(ref, True)


registry.register_default(KIND, SandboxClearing)


def provider() -> ClearingProvider:
    return registry.get(KIND)


def check_binding(card_number: str, holder_index: str) -> BindResult:
    p = provider()
    return call_with_protection(registry.breaker("clearing.bind"),
                                lambda: p.check_binding(card_number=card_number, holder_index=holder_index),
                                timeout_s=TIMEOUT_S)


def submit_transfer(card_number: str, direction: str, amount_fen: int, order_key: str) -> TransferAck:
    p = provider()
    return call_with_protection(registry.breaker("clearing.transfer"),
                                lambda: p.submit_transfer(card_number=card_number, direction=direction,
                                                          amount_fen=amount_fen, order_key=order_key),
                                timeout_s=TIMEOUT_S)


def confirm(ref: str, card_number: str) -> Confirmation:
    p = provider()
    return call_with_protection(registry.breaker("clearing.confirm"),
                                lambda: p.confirm(ref=ref, card_number=card_number), timeout_s=TIMEOUT_S)
