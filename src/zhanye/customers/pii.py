"""Encryption, blind indexes and masked views of a customer's personal data."""

from __future__ import annotations

from typing import Any

from zhanye.core import masking
from zhanye.core.crypto import FieldCipher, field_cipher

# blind-index kinds: equal values of two kinds never share an index
BIDX_ID = "customer.id_number"
BIDX_NAME = "customer.name"
BIDX_MOBILE = "customer.mobile"
BIDX_CARD = "customer.card"


def cipher() -> FieldCipher:
    return field_cipher()


def enc(value: str | None) -> str | None:
    return cipher().encrypt(value) if value else None


def dec(token: str | None) -> str | None:
    return cipher().decrypt(token) if token else None


def bidx(value: str, kind: str) -> str:
    return cipher().blind_index(value, kind=kind)


def id_bidx(id_number: str) -> str:
    return bidx(id_number.strip().upper(), BIDX_ID)


def name_bidx(name: str) -> str:
    return bidx("".join(name.split()), BIDX_NAME)


def mobile_bidx(mobile: str) -> str:
    return bidx(mobile, BIDX_MOBILE)


def mask_id(value: str | None) -> str:
    return masking.mask_id_number(value)


def mask_value(field: str, value: Any) -> Any:
    """Mask a personal value by its field name (used for file sections and family members)."""
    if not isinstance(value, str) or not value:
        return value
    if field in ("id_number", "uscc"):
        return masking.mask_id_number(value)
    if field in ("phone", "mobile"):
        return masking.mask_phone(value)
    if field in ("card_number", "card"):
        return masking.mask_card(value)
    if field == "name":
        return masking.mask_name(value)
    return value


PII_FIELDS = {"id_number", "phone", "mobile", "card_number", "card", "name"}


def mask_tree(data: Any) -> Any:
    """Mask every personal field in a JSON-like tree."""
    if isinstance(data, dict):
        return {k: (mask_value(k, v) if k in PII_FIELDS else mask_tree(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [mask_tree(v) for v in data]
    return data
