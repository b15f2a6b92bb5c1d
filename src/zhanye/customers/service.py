"""Use cases of customers: filing, search, assignment, reveal, interactions, and the facts other
features read (lending admission, ledger, decisions). The caller owns the transaction.

Functions for other features (all scope-checked; a customer outside the actor's scope is
NotFound):

- ``customer_facts(session, actor=..., customer_id=..., on=date)`` -> :class:`CustomerFacts`
- ``is_verified(session, actor=..., customer_id=...)`` -> bool
- ``customer_institution(session, actor=..., customer_id=...)`` -> institution id
- ``sections.set_credit_rating(...)`` / ``sections.set_tags(...)`` for the decision engine
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import NotFound, ValidationFailed
from zhanye.core.masking import mask_name, mask_phone
from zhanye.core.scope import in_scope
from zhanye.customers import pii
from zhanye.customers.errors import CustomerExistsElsewhere
from zhanye.customers.models import BlacklistEntry, Customer, Interaction
from zhanye.customers.validators import (
    InvalidNumber,
    uscc_kind,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)
from zhanye.org.models import Staff

_CUSTOMER_NO_RE = re.compile(r"^C\d{6,12}$")
SEARCH_COUNT_CAP = 1000


def _field_error(loc: str, exc: InvalidNumber) -> ValidationFailed:
    return ValidationFailed.field(["body", loc], exc.message_zh, exc.message_en, type=exc.reason)


def _customer_no(customer_id: int) -> str:
    return f"C{customer_id:010d}"


def get_customer(session: Session, *, actor: Principal, customer_id: int) -> Customer:
    cust = session.get(Customer, customer_id)
    if cust is None or not actor.sees_institution(cust.institution_id):
        raise NotFound("客户不存在", "The customer does not exist")
    return cust


def find_by_id_number(session: Session, *, actor: Principal, id_number: str) -> Customer | None:
    cust = session.execute(select(Customer).where(Customer.id_number_bidx == pii.id_bidx(id_number))).scalar_one_or_none()
    if cust is None or not actor.sees_institution(cust.institution_id):
        return None
    return cust


def find_for_self_service(session: Session, *, id_number: str, mobile: str) -> Customer | None:
    """The customer who may log in to the online channel with this ID number and mobile: an active,
    identity-verified individual whose file holds exactly that mobile. No actor: this is the login."""
    number = (id_number or "").strip().upper()
    if len(number) != 18 or not (mobile or "").isdigit():
        return None
    cust = session.execute(select(Customer).where(Customer.id_number_bidx == pii.id_bidx(number))).scalar_one_or_none()
    if (cust is None or cust.kind != "individual" or cust.status != "active" or not cust.identity_verified
            or cust.mobile_bidx is None or cust.mobile_bidx != pii.mobile_bidx(mobile)):
        return None
    return cust


_IDENTITY = select(Customer.customer_no, Customer.name_enc, Customer.status, Customer.identity_verified).where(
    Customer.id == bindparam("cid"))


def self_service_identity(conn: Session | Connection, *, customer_id: int) -> tuple[str, str] | None:
    """(customer number, masked name) of a customer who may still act online, else None."""
    row = conn.execute(_IDENTITY, {"cid": customer_id}).first()
    if row is None or row.status != "active" or not row.identity_verified:
        return None
    return row.customer_no, mask_name(pii.dec(row.name_enc))


def create_customer(session: Session, *, actor: Principal, kind: str, id_number: str, name: str,
                    mobile: str | None = None, address: str | None = None,
                    today: dt.date | None = None) -> tuple[Customer, bool]:
    """File a customer, or find the one already filed with this ID number (returns created=False)."""
    gender = birth = region = None
    try:
        if kind == "individual":
            rid = validate_resident_id(id_number, today=today)
            number, gender, birth, region, id_type = rid.number, rid.gender, rid.birth_date, rid.region_code, "ric"
        else:
            number, id_type = validate_uscc(id_number), "uscc"
            if kind == "individual_business" and uscc_kind(number) != "individual_business":
                pass  # some 个体工商户 hold codes issued before the 92 prefix; accept any valid USCC
    except InvalidNumber as exc:
        raise _field_error("id_number", exc) from None
    if mobile:
        try:
            mobile = validate_mobile(mobile)
        except InvalidNumber as exc:
            raise _field_error("mobile", exc) from None
    id_index = pii.id_bidx(number)
    existing = session.execute(select(Customer).where(Customer.id_number_bidx == id_index)).scalar_one_or_none()
    if existing is not None:
        if actor.sees_institution(existing.institution_id):
            return existing, False
        raise CustomerExistsElsewhere("该证件号已在其他机构建档，请联系该机构移交",
                                      "This ID number is filed at another institution; ask it to transfer the customer")
    now = utcnow()
    cust = Customer(
        customer_no=f"T{uuid.uuid4().hex[:18]}", kind=kind, id_type=id_type,
        id_number_enc=pii.enc(number), id_number_bidx=id_index,
        name_enc=pii.enc(name), name_bidx=pii.name_bidx(name),
        mobile_enc=pii.enc(mobile), mobile_bidx=pii.mobile_bidx(mobile) if mobile else None,
        gender=gender, birth_date=birth, region_code=region, address=address,
        institution_id=actor.institution_id, manager_id=actor.staff_id, status="active",
        wizard_step="verify", created_by=actor.staff_id or None, created_at=now, updated_at=now,
    )
    session.add(cust)
    session.flush()
    cust.customer_no = _customer_no(cust.id)
    session.flush()
    audit.record(session, action="customer.create", object_type="customer", object_id=cust.id, actor=actor,
                 changes={"customer_no": cust.customer_no, "kind": kind, "name": mask_name(name),
                          "id_number": pii.mask_id(number), "mobile": mask_phone(mobile) if mobile else None})
    return cust, True


def update_customer(session: Session, *, actor: Principal, customer_id: int, mobile: str | None = None,
                    address: str | None = None) -> Customer:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    changes: dict[str, Any] = {}
    if mobile is not None:
        try:
            mobile = validate_mobile(mobile)
        except InvalidNumber as exc:
            raise _field_error("mobile", exc) from None
        if pii.mobile_bidx(mobile) != cust.mobile_bidx:
            cust.mobile_enc, cust.mobile_bidx = pii.enc(mobile), pii.mobile_bidx(mobile)
            cust.mobile_verified = False  # a new number needs a new real-name check
            changes["mobile"] = mask_phone(mobile)
    if address is not None and address != cust.address:
        changes["address"] = {"from": cust.address, "to": address}
        cust.address = address
    if changes:
        cust.updated_at = utcnow()
        audit.record(session, action="customer.update", object_type="customer", object_id=cust.id, actor=actor,
                     changes=changes)
    return cust


def set_wizard_step(session: Session, *, actor: Principal, customer_id: int, step: str) -> Customer:
    from zhanye.customers.models import WIZARD_STEPS

    if step not in WIZARD_STEPS:
        raise ValidationFailed.field(["body", "step"], "未知步骤", "Unknown step")
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    if cust.wizard_step != step:
        audit.record(session, action="customer.wizard_step", object_type="customer", object_id=cust.id, actor=actor,
                     changes={"from": cust.wizard_step, "to": step})
        cust.wizard_step = step
    return cust


def _search_filters(actor: Principal, q: str | None, manager_id: int | None, unfinished: bool) -> list[Any]:
    """WHERE terms of a search: scope, then one equality on an indexed column for ``q``."""
    terms: list[Any] = [in_scope(Customer.institution_id, actor)]
    q = (q or "").strip()
    if q:
        compact = q.replace(" ", "").upper()
        if _CUSTOMER_NO_RE.match(compact):
            terms.append(Customer.customer_no == compact)
        elif len(compact) == 18 and compact[:17].isalnum():
            terms.append(Customer.id_number_bidx == pii.id_bidx(compact))
        elif compact.isdigit() and len(compact) == 11:
            terms.append(Customer.mobile_bidx == pii.mobile_bidx(compact))
        else:
            terms.append(Customer.name_bidx == pii.name_bidx(q))
    if manager_id is not None:
        terms.append(Customer.manager_id == manager_id)
    if unfinished:
        terms.append(Customer.wizard_step != "done")
    return terms


def _total(session: Session, terms: list[Any], *, capped: bool) -> int:
    matches = select(Customer.id).where(*terms)
    if capped:  # a common name can match thousands: count at most SEARCH_COUNT_CAP of them
        matches = matches.limit(SEARCH_COUNT_CAP)
    return session.execute(select(func.count()).select_from(matches.subquery())).scalar_one()


def search_customers(session: Session, *, actor: Principal, q: str | None = None, manager_id: int | None = None,
                     unfinished: bool = False, page: int = 1, page_size: int = 20) -> tuple[list[Customer], int]:
    """Search by ID number, mobile or full name (blind indexes), or customer number; scoped.
    With ``q`` the total is capped at SEARCH_COUNT_CAP."""
    terms = _search_filters(actor, q, manager_id, unfinished)
    rows = list(session.execute(select(Customer).where(*terms).order_by(Customer.id.desc()).limit(page_size)
                                .offset((page - 1) * page_size)).scalars())
    if (q or "").strip() and page == 1 and len(rows) < page_size:
        return rows, len(rows)
    return rows, _total(session, terms, capped=bool((q or "").strip()))


# the columns a result list shows (no blind indexes, no audit columns)
_LIST_COLUMNS = (
    Customer.id, Customer.customer_no, Customer.kind, Customer.id_type, Customer.name_enc, Customer.id_number_enc,
    Customer.mobile_enc, Customer.gender, Customer.birth_date, Customer.region_code, Customer.address,
    Customer.institution_id, Customer.manager_id, Customer.status, Customer.identity_verified,
    Customer.mobile_verified, Customer.face_verified, Customer.card_verified, Customer.wizard_step,
    Customer.created_at, Customer.updated_at,
)


def search_views(session: Session, *, actor: Principal, q: str | None = None, manager_id: int | None = None,
                 unfinished: bool = False, page: int = 1,
                 page_size: int = 20) -> tuple[list[dict[str, Any]], int]:
    """The masked result list of :func:`search_customers` in one statement: the page's columns, the
    managers' names and the (capped) total; only the rows of the page are decrypted."""
    terms = _search_filters(actor, q, manager_id, unfinished)
    searching = bool((q or "").strip())
    matches = select(Customer.id).where(*terms)
    if searching:
        matches = matches.limit(SEARCH_COUNT_CAP)
    total_col = select(func.count()).select_from(matches.subquery()).scalar_subquery().label("total")
    stmt = (select(*_LIST_COLUMNS, Staff.display_name.label("manager_name"), total_col)
            .outerjoin(Staff, Staff.id == Customer.manager_id).where(*terms)
            .order_by(Customer.id.desc()).limit(page_size).offset((page - 1) * page_size))
    rows = session.execute(stmt).all()
    if rows:
        total = rows[0].total
    else:
        total = 0 if page == 1 else _total(session, terms, capped=searching)
    return [_view(r, r.manager_name or str(r.manager_id)) for r in rows], total


def assign_manager(session: Session, *, actor: Principal, customer_id: int, manager_id: int, reason: str) -> Customer:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    staff = session.get(Staff, manager_id)
    if staff is None or staff.status != "active" or not actor.sees_institution(staff.institution_id):
        raise ValidationFailed.field(["body", "manager_id"], "客户经理不存在或不在本机构范围内",
                                     "The manager does not exist or is outside your institutions")
    if staff.id == cust.manager_id:
        return cust
    old = cust.manager_id
    cust.manager_id = staff.id
    cust.institution_id = staff.institution_id
    cust.updated_at = utcnow()
    session.add(Interaction(customer_id=cust.id, kind="transfer", staff_id=actor.staff_id or None,
                            staff_name=actor.display_name,
                            text=f"客户经理由 {_staff_name(session, old)} 移交给 {staff.display_name}：{reason}"))
    audit.record(session, action="customer.assign", object_type="customer", object_id=cust.id, actor=actor,
                 changes={"manager_from": old, "manager_to": staff.id, "institution_to": staff.institution_id,
                          "reason": reason})
    return cust


def _staff_name(session: Session, staff_id: int | None) -> str:
    if staff_id is None:
        return ""
    staff = session.get(Staff, staff_id)
    return staff.display_name if staff else str(staff_id)


def reveal(session: Session, *, actor: Principal, customer_id: int, fields: list[str]) -> dict[str, str | None]:
    """Full personal values for a permitted user; every reveal is audited."""
    if not actor.can("customer.reveal_pii"):
        from zhanye.core.errors import PermissionDenied

        raise PermissionDenied("需要权限 customer.reveal_pii", "Permission customer.reveal_pii is required")
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    source = {"name": cust.name_enc, "id_number": cust.id_number_enc, "mobile": cust.mobile_enc}
    out = {f: pii.dec(source[f]) for f in fields}
    audit.record(session, action="customer.reveal_pii", object_type="customer", object_id=cust.id, actor=actor,
                 changes={"fields": sorted(fields)})
    return out


def add_interaction(session: Session, *, actor: Principal, customer_id: int, kind: str, text: str) -> Interaction:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    item = Interaction(customer_id=cust.id, kind=kind, text=text, staff_id=actor.staff_id or None,
                       staff_name=actor.display_name)
    session.add(item)
    session.flush()
    audit.record(session, action="customer.interaction", object_type="customer", object_id=cust.id, actor=actor,
                 changes={"kind": kind, "interaction_id": item.id})
    return item


def list_interactions(session: Session, *, actor: Principal, customer_id: int, limit: int = 50) -> list[Interaction]:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    return list(session.execute(select(Interaction).where(Interaction.customer_id == cust.id)
                                .order_by(Interaction.id.desc()).limit(limit)).scalars())


# --- views ---------------------------------------------------------------------------------------

def customer_view(session: Session, cust: Customer) -> dict[str, Any]:
    """The masked JSON shape of a customer (API and pages)."""
    return _view(cust, _staff_name(session, cust.manager_id))


def _view(cust: Any, manager_name: str) -> dict[str, Any]:
    """``cust`` is a Customer or a row of ``_LIST_COLUMNS``."""
    name = pii.dec(cust.name_enc) or ""
    mobile = pii.dec(cust.mobile_enc)
    return {
        "id": cust.id, "customer_no": cust.customer_no, "kind": cust.kind, "id_type": cust.id_type,
        "name": mask_name(name), "id_number": pii.mask_id(pii.dec(cust.id_number_enc)),
        "mobile": mask_phone(mobile) if mobile else None, "gender": cust.gender, "birth_date": cust.birth_date,
        "region_code": cust.region_code, "address": cust.address, "institution_id": cust.institution_id,
        "manager_id": cust.manager_id, "manager_name": manager_name,
        "status": cust.status, "identity_verified": cust.identity_verified,
        "mobile_verified": cust.mobile_verified, "face_verified": cust.face_verified,
        "card_verified": cust.card_verified, "wizard_step": cust.wizard_step,
        "created_at": cust.created_at, "updated_at": cust.updated_at,
    }


# --- facts for other features ----------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerFacts:
    customer_id: int
    customer_no: str
    kind: str
    institution_id: int
    manager_id: int
    birth_date: dt.date | None
    age: int | None
    gender: str | None
    identity_verified: bool
    mobile_verified: bool
    face_verified: bool
    blacklisted: bool
    blacklist_hits: list[dict[str, Any]] = field(default_factory=list)


def customer_facts(session: Session, *, actor: Principal, customer_id: int, on: dt.date | None = None) -> CustomerFacts:
    """What admission rules need about a customer (age on ``on``, verification, blacklist hits)."""
    on = on or dt.date.today()
    # one round trip: the customer and the blacklist entries of its ID number (none: one row of None)
    rows = session.execute(_facts_statement(), {"zf_customer_id": customer_id, "zf_on": on}).all()
    cust = rows[0][0] if rows else None
    if cust is None or not actor.sees_institution(cust.institution_id):
        raise NotFound("客户不存在", "The customer does not exist")
    age = None
    if cust.birth_date is not None:
        age = on.year - cust.birth_date.year - ((on.month, on.day) < (cust.birth_date.month, cust.birth_date.day))
    hits = [r[1] for r in rows if r[1] is not None]
    return CustomerFacts(
        customer_id=cust.id, customer_no=cust.customer_no, kind=cust.kind, institution_id=cust.institution_id,
        manager_id=cust.manager_id, birth_date=cust.birth_date, age=age, gender=cust.gender,
        identity_verified=cust.identity_verified, mobile_verified=cust.mobile_verified,
        face_verified=cust.face_verified, blacklisted=bool(hits),
        blacklist_hits=[{"list_code": h.list_code, "source": h.source, "reason": h.reason,
                         "expires_on": h.expires_on} for h in hits],
    )


@functools.cache
def _facts_statement() -> Any:
    from zhanye.customers import kyc

    return (select(Customer, BlacklistEntry).outerjoin(BlacklistEntry, and_(
        BlacklistEntry.id_number_bidx == Customer.id_number_bidx, kyc.blacklist_active(bindparam("zf_on"))))
        .where(Customer.id == bindparam("zf_customer_id")))


def is_verified(session: Session, *, actor: Principal, customer_id: int) -> bool:
    return get_customer(session, actor=actor, customer_id=customer_id).identity_verified


def customer_institution(session: Session, *, actor: Principal, customer_id: int) -> int:
    return get_customer(session, actor=actor, customer_id=customer_id).institution_id
