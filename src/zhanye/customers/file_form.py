"""The wizard's customer-file form for the sections made of rows: family members, assets and
liabilities. The page shows the saved rows plus blank ones; reading the form back drops rows left
empty, turns yuan into fen, and keeps the fields the page does not show (a family member's ID
number and phone stay encrypted and are never put on the page), so saving from the tablet never
loses what was entered through the API."""

from __future__ import annotations

from typing import Any

from zhanye.core import money
from zhanye.core.errors import ValidationFailed
from zhanye.core.money import Rounding, fen_to_yuan

BLANK_ROWS = 1
MAX_ROWS = 30
MAX_FEN = 10**14  # the sections' own bound (one trillion yuan)
# Personal fields: masked on the page, so a saved value is shown only as a masked placeholder and
# an empty input keeps it; typing replaces it.
PROTECTED = {"name"}

# (section, list key) -> [(field, kind, English label)]; kinds: text, int, decimal, yuan, date
ROW_GROUPS: dict[tuple[str, str], list[tuple[str, str, str]]] = {
    ("family", "members"): [("relation", "text", "Relation"), ("name", "text", "Member name"), ("age", "int", "Age"),
                            ("occupation", "text", "Occupation"),
                            ("annual_income_fen", "yuan", "Annual income (yuan)")],
    ("assets", "houses"): [("location", "text", "House location"), ("area_m2", "decimal", "Floor area (m²)"),
                           ("value_fen", "yuan", "Value (yuan)")],
    ("assets", "vehicles"): [("kind", "text", "Vehicle or machine"), ("value_fen", "yuan", "Value (yuan)")],
    ("assets", "livestock"): [("kind", "text", "Livestock"), ("head_count", "int", "Head count"),
                              ("value_fen", "yuan", "Value (yuan)")],
    ("liabilities", "loans_elsewhere"): [("lender", "text", "Lender"), ("balance_fen", "yuan", "Balance (yuan)"),
                                         ("monthly_payment_fen", "yuan", "Monthly payment (yuan)"),
                                         ("due_date", "date", "Due date")],
    ("liabilities", "guarantees_given"): [("for_whom", "text", "Guaranteed for"),
                                          ("amount_fen", "yuan", "Amount (yuan)")],
}
GROUP_LABELS = {("family", "members"): "Family members", ("assets", "houses"): "Houses",
                ("assets", "vehicles"): "Vehicles and machinery", ("assets", "livestock"): "Livestock",
                ("liabilities", "loans_elsewhere"): "Loans at other lenders",
                ("liabilities", "guarantees_given"): "Guarantees given"}
SCALARS: dict[str, list[tuple[str, str, str]]] = {
    "assets": [("land_area_mu", "decimal", "Land area (mu)"),
               ("deposits_elsewhere_fen", "yuan", "Deposits at other banks (yuan)")],
}
ROW_SECTIONS = ("family", "assets", "liabilities")


def yuan_to_fen(raw: str, *, field: list[str | int] | None = None) -> int:
    """A yuan amount typed into the form (``12,500.5``) as fen through ``core.money`` (half-up);
    empty is 0; a malformed or out-of-range amount is a validation error on ``field``."""
    raw = (raw or "").replace("，", ",").strip()
    if not raw:
        return 0
    try:
        fen = money.yuan_to_fen(raw, Rounding.HALF_UP)
    except (ValueError, ArithmeticError):  # not a number, or too large to round
        raise _bad(field, "金额格式有误", "Invalid amount") from None
    if not 0 <= fen <= MAX_FEN:
        raise _bad(field, "金额超出范围", "Amount out of range")
    return fen


def _bad(field: list[str | int] | None, zh: str, en: str) -> ValidationFailed:
    return ValidationFailed.field(field, zh, en) if field else ValidationFailed(zh, en)


def _value(kind: str, raw: str, field: list[str | int]) -> Any:
    if kind == "yuan":
        return yuan_to_fen(raw, field=field)
    if kind == "int":
        if not raw.isdigit():
            raise _bad(field, "须为整数", "Must be a whole number")
        return int(raw)
    return raw  # text, decimal and date are checked by the section's schema


def form_rows(data: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the page shows, from the masked section views: per group the saved rows plus blank
    rows (values in yuan; personal fields as masked placeholders), per scalar its saved value."""
    groups = []
    for (section, key), fields in ROW_GROUPS.items():
        saved = list((data.get(section) or {}).get(key) or [])[:MAX_ROWS]
        rows = []
        for i, item in enumerate(saved + [{}] * BLANK_ROWS):
            rows.append({"saved": i < len(saved),
                         "values": {f: "" if f in PROTECTED else _shown(kind, item.get(f)) for f, kind, _l in fields},
                         "placeholders": {f: str(item.get(f) or "") if f in PROTECTED else "" for f, _k, _l in fields}})
        groups.append({"section": section, "key": key, "label": GROUP_LABELS[(section, key)],
                       "fields": [(f, label) for f, _kind, label in fields], "rows": rows})
    scalars = [{"section": section, "name": f, "label": label,
                "value": _shown(kind, (data.get(section) or {}).get(f))}
               for section, items in SCALARS.items() for f, kind, label in items]
    return {"groups": groups, "scalars": scalars}


def _shown(kind: str, value: Any) -> str:
    if kind == "yuan":
        return str(fen_to_yuan(int(value))) if value else ""
    return "" if value is None else str(value)


def read_sections(form: Any, saved: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Section data from the submitted form, merged over the saved (unmasked) data. A saved row
    keeps the fields the page does not show and its personal fields left empty; it goes only when
    its ``remove`` box is ticked. A new row left empty is ignored."""
    out: dict[str, dict[str, Any]] = {s: dict(saved.get(s) or {}) for s in ROW_SECTIONS}
    for (section, key), fields in ROW_GROUPS.items():
        old_rows = list((saved.get(section) or {}).get(key) or [])
        count = str(form.get(f"{section}.{key}.rows") or "")
        if not count.isdigit():
            continue  # the group was not on the page: keep what is saved
        rows = []
        for i in range(min(int(count), MAX_ROWS + BLANK_ROWS)):
            prefix = f"{section}.{key}.{i}"
            raw = {f: str(form.get(f"{prefix}.{f}") or "").strip() for f, _kind, _label in fields}
            if i < len(old_rows):
                if form.get(f"{prefix}.remove"):
                    continue
                row = dict(old_rows[i])
            elif not any(raw.values()):
                continue
            else:
                row = {}
            for f, kind, _label in fields:
                if raw[f]:
                    row[f] = _value(kind, raw[f], [section, key, i, f])
                elif f not in PROTECTED or i >= len(old_rows):
                    row.pop(f, None)
            rows.append(row)
        rows.extend(old_rows[min(int(count), MAX_ROWS + BLANK_ROWS):])  # rows past what the page showed
        out[section][key] = rows
    for section, items in SCALARS.items():
        for f, kind, _label in items:
            if f"{section}.{f}" not in form:
                continue
            raw = str(form.get(f"{section}.{f}") or "").strip()
            if raw:
                out[section][f] = _value(kind, raw, [section, f])
            else:
                out[section].pop(f, None)
    return out
