"""Masking of personal data on screens and in API responses (JR/T 0171 C2/C3 fields)."""

from __future__ import annotations


def mask_id_number(value: str | None, *, keep_head: int = 1, keep_tail: int = 1) -> str:
    if not value:
        return ""
    if len(value) <= keep_head + keep_tail:
        return "*" * len(value)
    return value[:keep_head] + "*" * (len(value) - keep_head - keep_tail) + value[-keep_tail:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_card(value: str | None) -> str:
    if not value:
        return ""
    digits = value.replace(" ", "")
    if len(digits) <= 10:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def mask_name(value: str | None) -> str:
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)
