"""Identity verification (through the providers of ``integrations.identity``), pre-checks and
blacklists. Every verification is recorded, including provider errors and timeouts: the
service returns the record together with the error so the caller commits the record and then
reports the error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.crypto import sm3_hex
from zhanye.core.db import utcnow
from zhanye.core.errors import NotFound, ProviderUnavailable, ValidationFailed
from zhanye.core.masking import mask_card, mask_phone
from zhanye.core.scope import in_scope
from zhanye.customers import pii
from zhanye.customers.errors import CodeInvalid
from zhanye.customers.models import BlacklistEntry, Customer, CustomerImage, Verification
from zhanye.customers.service import get_customer
from zhanye.customers.validators import (
    InvalidNumber,
    validate_card,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)
from zhanye.integrations import identity, sms

CODE_TTL = dt.timedelta(minutes=5)
CODE_MAX_ATTEMPTS = 5


@dataclass
class VerificationOutcome:
    verification: Verification
    error: ProviderUnavailable | None = None


def _run(session: Session, actor: Principal, cust: Customer, kind: str, provider_kind: str,
         fn: Callable[[Any], identity.CheckResult], **extra: Any) -> VerificationOutcome:
    start = time.perf_counter()
    error: ProviderUnavailable | None = None
    try:
        result = identity.call(provider_kind, fn)
        outcome, reason, score = ("pass" if result.passed else "fail"), result.reason, result.score
        provider_name = result.provider
    except ProviderUnavailable as exc:
        error = exc
        outcome, reason, score = "error", exc.code, None
        provider_name = identity.provider_name(provider_kind)
    ver = Verification(customer_id=cust.id, kind=kind, provider=provider_name, result=outcome, reason=reason,
                       score=None if score is None else f"{score:.2f}", operator_id=actor.staff_id or None,
                       duration_ms=int((time.perf_counter() - start) * 1000), **extra)
    session.add(ver)
    session.flush()
    audit.record(session, action=f"customer.verify.{kind}", object_type="customer", object_id=cust.id, actor=actor,
                 changes={"verification_id": ver.id, "provider": provider_name, "result": outcome, "reason": reason})
    return VerificationOutcome(ver, error)


def _name_and_id(cust: Customer) -> tuple[str, str]:
    return pii.dec(cust.name_enc) or "", pii.dec(cust.id_number_enc) or ""


def _image_bytes(session: Session, cust: Customer, image_id: int) -> bytes:
    from zhanye.integrations.storage import storage

    img = session.get(CustomerImage, image_id)
    if img is None or img.customer_id != cust.id:
        raise ValidationFailed.field(["body", "image_id"], "图片不存在", "The image does not exist")
    return storage().get(img.storage_key)


def verify_id(session: Session, *, actor: Principal, customer_id: int,
              photo_image_id: int | None = None) -> VerificationOutcome:
    """身份证联网核查: name + number (+ photo)."""
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    name, number = _name_and_id(cust)
    photo = _image_bytes(session, cust, photo_image_id) if photo_image_id else None
    out = _run(session, actor, cust, "id_check", "identity.id_check",
               lambda p: p.check(name=name, id_number=number, photo=photo))
    if out.verification.result == "pass" and not cust.identity_verified:
        cust.identity_verified, cust.identity_verified_at = True, utcnow()
    return out


def verify_mobile(session: Session, *, actor: Principal, customer_id: int) -> VerificationOutcome:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    phone = pii.dec(cust.mobile_enc)
    if not phone:
        raise ValidationFailed.field(["body", "mobile"], "客户没有登记手机号", "The customer has no mobile number")
    name, number = _name_and_id(cust)
    out = _run(session, actor, cust, "mobile", "identity.mobile",
               lambda p: p.check(name=name, id_number=number, phone=phone), phone_enc=pii.enc(phone))
    cust.mobile_verified = out.verification.result == "pass" or (cust.mobile_verified and out.error is not None)
    return out


def verify_liveness(session: Session, *, actor: Principal, customer_id: int, image_id: int) -> VerificationOutcome:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    face = _image_bytes(session, cust, image_id)
    _, number = _name_and_id(cust)
    out = _run(session, actor, cust, "liveness", "identity.liveness",
               lambda p: p.compare(id_number=number, face_image=face))
    if out.verification.result == "pass":
        cust.face_verified = True
    return out


def start_card_check(session: Session, *, actor: Principal, customer_id: int, card_number: str,
                     phone: str) -> VerificationOutcome:
    """Four-element check (name, ID, card, reserved phone); on a match an SMS code goes to the
    reserved phone and the verification stays ``pending`` until :func:`confirm_card_check`."""
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    try:
        card = validate_card(card_number)
    except InvalidNumber as exc:
        raise ValidationFailed.field(["body", "card_number"], exc.message_zh, exc.message_en, exc.reason) from None
    try:
        phone = validate_mobile(phone)
    except InvalidNumber as exc:
        raise ValidationFailed.field(["body", "phone"], exc.message_zh, exc.message_en, exc.reason) from None
    name, number = _name_and_id(cust)
    out = _run(session, actor, cust, "card4", "identity.card4",
               lambda p: p.check(name=name, id_number=number, card_number=card, phone=phone),
               card_enc=pii.enc(card), card_bidx=pii.bidx(card, pii.BIDX_CARD), phone_enc=pii.enc(phone))
    ver = out.verification
    if ver.result == "pass":
        code = f"{secrets.randbelow(10**6):06d}"
        try:
            sms.send_code(phone=phone, code=code, purpose="银行卡验证")
        except ProviderUnavailable as exc:
            ver.result, ver.reason = "error", "sms_failed"
            return VerificationOutcome(ver, exc)
        ver.result = "pending"
        ver.code_hash = sm3_hex(f"{ver.id}:{code}")
        ver.code_expires_at = utcnow() + CODE_TTL
    return out


def confirm_card_check(session: Session, *, actor: Principal, customer_id: int, verification_id: int,
                       code: str) -> Verification:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    ver = session.get(Verification, verification_id)
    if ver is None or ver.customer_id != cust.id or ver.kind != "card4":
        raise ValidationFailed.field(["body", "verification_id"], "没有这条银行卡核验", "No such card verification")
    if ver.result != "pending" or ver.code_hash is None or ver.code_expires_at is None:
        raise CodeInvalid("此核验不在等待验证码状态", "This verification is not waiting for a code")
    if ver.code_expires_at < utcnow() or ver.code_attempts >= CODE_MAX_ATTEMPTS:
        raise CodeInvalid("验证码已过期或尝试次数过多，请重新发起", "The code expired or too many attempts; start again")
    if sm3_hex(f"{ver.id}:{code.strip()}") != ver.code_hash:
        # a wrong code is counted in its own transaction by the caller's commit of this flush
        ver.code_attempts += 1
        session.flush()
        return ver
    ver.result, ver.reason, ver.code_hash = "pass", "match", None
    cust.card_verified = True
    audit.record(session, action="customer.verify.card4.confirm", object_type="customer", object_id=cust.id,
                 actor=actor, changes={"verification_id": ver.id, "card": mask_card(pii.dec(ver.card_enc))})
    return ver


def ocr_id_front(*, image: bytes) -> identity.OcrResult:
    """Read the ID card's front; the caller validates the image type first."""
    return identity.call("identity.ocr", lambda p: p.read_id_front(image=image))


OCR_TOKEN_TTL_S = 1800


def ocr_token(result: identity.OcrResult) -> str:
    """An encrypted, authenticated (SM4-GCM) token carrying what OCR read, so the full ID number
    never travels back to the page in clear; ``POST /customers`` accepts it instead of typing."""
    payload = {"name": result.name, "id_number": result.id_number, "address": result.address,
               "exp": int(time.time()) + OCR_TOKEN_TTL_S}
    return pii.cipher().encrypt(json.dumps(payload, ensure_ascii=False))


def read_ocr_token(token: str) -> dict[str, str]:
    try:
        payload = json.loads(pii.cipher().decrypt(token))
    except Exception:  # noqa: BLE001 - any tampering or garbage is the same bad input
        raise ValidationFailed.field(["body", "ocr_token"], "识别结果无效，请重新识别",
                                     "The OCR result is not valid; read the card again") from None
    if int(payload.get("exp", 0)) < time.time():
        raise ValidationFailed.field(["body", "ocr_token"], "识别结果已过期，请重新识别",
                                     "The OCR result has expired; read the card again")
    return payload


def list_verifications(session: Session, *, actor: Principal, customer_id: int) -> list[Verification]:
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    return list(session.execute(select(Verification).where(Verification.customer_id == cust.id)
                                .order_by(Verification.id.desc())).scalars())


def verification_view(ver: Verification) -> dict[str, Any]:
    return {"id": ver.id, "kind": ver.kind, "provider": ver.provider, "result": ver.result, "reason": ver.reason,
            "score": ver.score, "operator_id": ver.operator_id, "at": ver.at, "duration_ms": ver.duration_ms,
            "card": mask_card(pii.dec(ver.card_enc)) if ver.card_enc else None,
            "phone": mask_phone(pii.dec(ver.phone_enc)) if ver.phone_enc else None}


# --- blacklists ---------------------------------------------------------------------------------------

def _normalize_id(id_number: str, loc: list[str | int]) -> str:
    value = id_number.strip().upper()
    try:
        return validate_resident_id(value).number if len(value) == 18 and value[:2].isdigit() and \
            value[:17].isdigit() else validate_uscc(value)
    except InvalidNumber as exc:
        raise ValidationFailed.field(loc, exc.message_zh, exc.message_en, exc.reason) from None


def add_blacklist_entry(session: Session, *, actor: Principal, list_code: str, source: str, kind: str,
                        id_number: str, reason: str, name: str | None = None,
                        expires_on: dt.date | None = None) -> BlacklistEntry:
    number = _normalize_id(id_number, ["body", "id_number"])
    entry = BlacklistEntry(list_code=list_code, source=source, kind=kind, id_number_bidx=pii.id_bidx(number),
                           id_number_enc=pii.enc(number), name_enc=pii.enc(name), reason=reason,
                           expires_on=expires_on, active=True, institution_id=actor.institution_id,
                           created_by=actor.staff_id or None)
    session.add(entry)
    session.flush()
    audit.record(session, action="blacklist.add", object_type="blacklist", object_id=entry.id, actor=actor,
                 changes={"list_code": list_code, "source": source, "id_number": pii.mask_id(number),
                          "reason": reason, "expires_on": expires_on})
    return entry


def remove_blacklist_entry(session: Session, *, actor: Principal, entry_id: int, reason: str) -> BlacklistEntry:
    entry = session.get(BlacklistEntry, entry_id)
    if entry is None or not actor.sees_institution(entry.institution_id):
        raise NotFound("名单记录不存在", "The list entry does not exist")
    if entry.active:
        entry.active, entry.removed_at = False, utcnow()
        audit.record(session, action="blacklist.remove", object_type="blacklist", object_id=entry.id, actor=actor,
                     changes={"reason": reason})
    return entry


def list_blacklist(session: Session, *, actor: Principal, list_code: str | None = None, q: str | None = None,
                   page: int = 1, page_size: int = 50) -> list[BlacklistEntry]:
    stmt = select(BlacklistEntry).where(in_scope(BlacklistEntry.institution_id, actor))
    if list_code:
        stmt = stmt.where(BlacklistEntry.list_code == list_code)
    if q:
        stmt = stmt.where(BlacklistEntry.id_number_bidx == pii.id_bidx(q))
    return list(session.execute(stmt.order_by(BlacklistEntry.id.desc()).limit(page_size)
                                .offset((page - 1) * page_size)).scalars())


def blacklist_view(entry: BlacklistEntry) -> dict[str, Any]:
    from zhanye.core.masking import mask_name

    return {"id": entry.id, "list_code": entry.list_code, "source": entry.source, "kind": entry.kind,
            "id_number": pii.mask_id(pii.dec(entry.id_number_enc)), "name": mask_name(pii.dec(entry.name_enc)),
            "reason": entry.reason, "expires_on": entry.expires_on, "active": entry.active,
            "institution_id": entry.institution_id, "created_at": entry.created_at}


def blacklist_hits(session: Session, *, id_number_bidx: str, on: dt.date | None = None) -> list[BlacklistEntry]:
    """Active, unexpired entries of any list (bank-wide) matching the ID number."""
    on = on or dt.date.today()
    return list(session.execute(select(BlacklistEntry).where(
        BlacklistEntry.id_number_bidx == id_number_bidx, blacklist_active(on))).scalars())


def blacklist_active(on: dt.date | BindParameter[dt.date]) -> ColumnElement[bool]:
    """An entry in force on ``on`` (a date or a bound parameter): active and not expired (the ID
    number is the caller's to match)."""
    return and_(BlacklistEntry.active.is_(True), or_(BlacklistEntry.expires_on.is_(None), BlacklistEntry.expires_on >= on))


@dataclass
class ImportReport:
    accepted: int = 0
    unchanged: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)


def import_external_list(session: Session, *, actor: Principal, list_code: str, source: str,
                         rows: Iterable[dict[str, str]], expires_on: dt.date | None = None) -> ImportReport:
    """Import an external list (CSV rows with id_number, name, reason[, expires_on]). An entry
    already active on the same list is left as it is (a re-import changes nothing)."""
    report = ImportReport()
    for line, row in enumerate(rows, start=2):
        try:
            number = _normalize_id(row.get("id_number", ""), ["row", line, "id_number"])
            reason = (row.get("reason") or "").strip() or source
            exp = dt.date.fromisoformat(row["expires_on"]) if row.get("expires_on") else expires_on
        except (ValidationFailed, ValueError) as exc:
            msg = exc.errors[0].message_zh if isinstance(exc, ValidationFailed) and exc.errors else "到期日格式应为 YYYY-MM-DD"
            report.refused.append({"line": line, "reason": msg})
            continue
        bidx = pii.id_bidx(number)
        exists = session.execute(select(BlacklistEntry.id).where(
            BlacklistEntry.id_number_bidx == bidx, BlacklistEntry.list_code == list_code,
            BlacklistEntry.active.is_(True))).first()
        if exists:
            report.unchanged += 1
            continue
        session.add(BlacklistEntry(list_code=list_code, source=source, kind="external", id_number_bidx=bidx,
                                   id_number_enc=pii.enc(number), name_enc=pii.enc((row.get("name") or "").strip()),
                                   reason=reason[:500], expires_on=exp, active=True,
                                   institution_id=actor.institution_id, created_by=actor.staff_id or None))
        report.accepted += 1
    session.flush()
    audit.record(session, action="blacklist.import", object_type="blacklist", object_id=list_code, actor=actor,
                 changes={"source": source, "accepted": report.accepted, "unchanged": report.unchanged,
                          "refused": len(report.refused)})
    return report


def csv_rows(data: bytes) -> Iterable[dict[str, str]]:
    text = data.decode("utf-8-sig", errors="replace")
    return csv.DictReader(io.StringIO(text))


# --- pre-checks ---------------------------------------------------------------------------------------

@dataclass
class Precheck:
    customer_id: int
    identity_verified: bool
    mobile_verified: bool
    blacklisted: bool
    hits: list[dict[str, Any]]
    passed: bool
    reasons: list[str]


def precheck(session: Session, *, actor: Principal, customer_id: int, on: dt.date | None = None) -> Precheck:
    """Before any business: identity verified, on no list, mobile real-name matches. List names
    and reasons are included only for users holding ``blacklist.read``."""
    cust = get_customer(session, actor=actor, customer_id=customer_id)
    hits = blacklist_hits(session, id_number_bidx=cust.id_number_bidx, on=on)
    reasons = []
    if not cust.identity_verified:
        reasons.append("identity_not_verified")
    if hits:
        reasons.append("blacklisted")
    if cust.mobile_enc and not cust.mobile_verified:
        reasons.append("mobile_not_verified")
    shown = [{"list_code": h.list_code, "source": h.source, "reason": h.reason, "expires_on": h.expires_on}
             for h in hits] if actor.can("blacklist.read") else []
    return Precheck(customer_id=cust.id, identity_verified=cust.identity_verified,
                    mobile_verified=cust.mobile_verified, blacklisted=bool(hits), hits=shown,
                    passed=not reasons, reasons=reasons)
