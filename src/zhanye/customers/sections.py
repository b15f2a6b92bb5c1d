"""Customer file sections (信息采集), each versioned: every save appends a version with who
changed which fields. The data is encrypted JSON (it holds family members' personal data).

``set_credit_rating`` and ``set_tags`` are for the decision engine and tagging; staff cannot
edit those sections by hand.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.errors import FieldError, NotFound, ValidationFailed
from zhanye.customers import pii
from zhanye.customers.errors import SectionReadOnly
from zhanye.customers.models import FileSection
from zhanye.customers.schemas import SECTIONS, SYSTEM_SECTIONS
from zhanye.customers.service import get_customer


def _validate(section: str, data: dict[str, Any]) -> dict[str, Any]:
    model = SECTIONS.get(section)
    if model is None:
        raise NotFound("栏目不存在", "The section does not exist")
    try:
        return model.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        errors = [FieldError(["body", *err["loc"]], "取值无效：" + str(err.get("msg", "")), str(err.get("msg", "")),
                             err.get("type", "invalid")) for err in exc.errors()]
        raise ValidationFailed("栏目内容有误", "The section content is not valid", errors=errors) from None


def _latest(session: Session, customer_id: int, section: str) -> FileSection | None:
    return session.execute(select(FileSection).where(FileSection.customer_id == customer_id,
                                                     FileSection.section == section)
                           .order_by(FileSection.version.desc()).limit(1)).scalar_one_or_none()


def _changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def save_section(session: Session, *, actor: Principal, customer_id: int, section: str, data: dict[str, Any],
                 system: bool = False) -> FileSection:
    """Append a new version of a section (nothing is written when the content is unchanged)."""
    if section in SYSTEM_SECTIONS and not system:
        raise SectionReadOnly("评级与标签由决策引擎填写", "Credit rating and tags are filled by the decision engine")
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    clean = _validate(section, data)
    prev = _latest(session, cust.id, section)
    old = json.loads(pii.dec(prev.data_enc) or "{}") if prev else {}
    changed = _changed(old, clean)
    if prev is not None and not changed:
        return prev
    row = FileSection(customer_id=cust.id, section=section, version=(prev.version + 1) if prev else 1,
                      data_enc=pii.enc(json.dumps(clean, ensure_ascii=False, sort_keys=True)),
                      changed_fields=json.dumps(changed), changed_by=actor.staff_id or None,
                      changed_by_name=actor.display_name)
    session.add(row)
    session.flush()
    audit.record(session, action="customer.section.save", object_type="customer", object_id=cust.id, actor=actor,
                 changes={"section": section, "version": row.version, "fields": changed})
    return row


def set_credit_rating(session: Session, *, actor: Principal, customer_id: int, rating: dict[str, Any]) -> FileSection:
    """For the decision engine: record a rating (grade, score, limit_fen, model, rated_on)."""
    return save_section(session, actor=actor, customer_id=customer_id, section="credit_rating", data=rating,
                        system=True)


def set_tags(session: Session, *, actor: Principal, customer_id: int, tags: list[str]) -> FileSection:
    return save_section(session, actor=actor, customer_id=customer_id, section="tags", data={"tags": tags},
                        system=True)


def section_view(row: FileSection, *, masked: bool = True) -> dict[str, Any]:
    data = json.loads(pii.dec(row.data_enc) or "{}")
    return {"section": row.section, "version": row.version, "data": pii.mask_tree(data) if masked else data,
            "changed_fields": json.loads(row.changed_fields), "changed_by": row.changed_by,
            "changed_by_name": row.changed_by_name, "changed_at": row.changed_at}


def current_sections(session: Session, *, actor: Principal, customer_id: int) -> dict[str, dict[str, Any]]:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    latest = select(FileSection.section, func.max(FileSection.version).label("v")).where(
        FileSection.customer_id == cust.id).group_by(FileSection.section).subquery()
    rows = session.execute(select(FileSection).join(latest, (FileSection.section == latest.c.section)
                                                    & (FileSection.version == latest.c.v))
                           .where(FileSection.customer_id == cust.id)).scalars()
    return {r.section: section_view(r) for r in rows}


def saved_data(session: Session, *, actor: Principal, customer_id: int, names: tuple[str, ...]) -> dict[str, Any]:
    """The latest data of some sections, unmasked, for a form to merge into before saving (never
    to show: pages use ``current_sections``)."""
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    out: dict[str, Any] = {}
    for name in names:
        row = _latest(session, cust.id, name)
        if row is not None:
            out[name] = json.loads(pii.dec(row.data_enc) or "{}")
    return out


def section_history(session: Session, *, actor: Principal, customer_id: int, section: str) -> list[dict[str, Any]]:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    if section not in SECTIONS:
        raise NotFound("栏目不存在", "The section does not exist")
    rows = session.execute(select(FileSection).where(FileSection.customer_id == cust.id,
                                                     FileSection.section == section)
                           .order_by(FileSection.version.desc())).scalars()
    return [section_view(r) for r in rows]
