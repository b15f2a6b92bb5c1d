"""Contracts (借款合同 / 授信额度合同): versioned HTML templates rendered to PDF, signed on the tablet.

Flow (each step one use case in the caller's transaction):

1. ``create_loan_contract`` / ``create_line_contract`` take everything the contract states as
   arguments (parties, amounts, rate, schedule or line terms) — the later application, credit-line
   and drawdown services call them — and record a contract *pending signature*.
2. ``request_signing_code`` sends an SMS code to the customer's phone.
3. ``sign_contract`` checks the code, renders the final PDF with the customer's handwritten
   signature image, computes its SM3 digest, has the customer's signature made over the digest
   (``esign.SigningCA``; sandbox event certificate), seals it with the bank's SM2 key over the
   digest and the signing timestamp, and stores the PDF under ``ZHANYE_STORAGE_DIR/contracts``
   (``filestore``: a transaction that fails afterwards deletes the file again).
4. ``verify_contract`` re-reads the stored PDF and checks digest and both signatures, naming
   each failed check.

Templates live in ``templates/lending/contracts/<kind>_v<N>.html`` and are never edited once
used: a change is a new file with the next version; a contract records the template version and
the SM3 of its source.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import BANK_TZ
from zhanye.core.context import Principal
from zhanye.core.crypto import field_cipher, sm3, sm3_hex
from zhanye.core.db import lock_for_update, utcnow
from zhanye.core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from zhanye.core.masking import mask_id_number, mask_name, mask_phone
from zhanye.core.money import format_yuan, to_chinese_upper
from zhanye.core.scope import in_scope
from zhanye.lending import esign, filestore, sms_codes
from zhanye.lending.models import Contract, LoanProduct, SealKey
from zhanye.lending.pdf import html_to_pdf
from zhanye.lending.schedules import METHOD_NAMES_ZH, DayRule, Method, Schedule, build_schedule

TEMPLATE_DIR = Path(__file__).parent / "templates" / "lending" / "contracts"
KINDS = {"loan": "个人借款合同", "line": "个人授信额度合同"}
SMS_PURPOSE = "contract_sign"
MAX_SIGNATURE_BYTES = 1_000_000


class SignatureImageInvalid(DomainError):
    code = "signature_image_invalid"
    status = 422
    title_zh = "签名图片无效"
    title_en = "The signature image is not valid"


@dataclass(frozen=True)
class PartyData:
    """The borrower as the contract states them (full values; stored encrypted, shown masked)."""

    name: str
    id_number: str
    phone: str
    address: str = ""
    customer_ref: str | None = None


@dataclass(frozen=True)
class SignResult:
    ok: bool
    contract: Contract | None = None
    error: DomainError | None = None


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


@dataclass
class VerifyReport:
    contract_id: int
    number: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failed(self) -> list[str]:
        return [c.name for c in self.checks if not c.ok]


# --- templates ----------------------------------------------------------------------------------

def template_versions(kind: str) -> list[int]:
    return sorted(int(p.stem.rsplit("_v", 1)[1]) for p in TEMPLATE_DIR.glob(f"{kind}_v*.html"))


def current_template(kind: str) -> tuple[int, str]:
    versions = template_versions(kind)
    if not versions:
        raise RuntimeError(f"no contract template for {kind}")
    v = versions[-1]
    return v, (TEMPLATE_DIR / f"{kind}_v{v}.html").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["yuan"] = lambda fen: format_yuan(int(fen))
    env.filters["upper_amount"] = lambda fen: to_chinese_upper(int(fen))
    env.filters["pct"] = lambda rate: f"{(Decimal(rate) * 100).normalize():f}%"
    return env


def render_html(contract: Contract, *, reveal: bool = False, signature_png: bytes | None = None,
                signed_at: dt.datetime | None = None) -> str:
    """The contract's HTML from its template version and terms. On screen the borrower's data is
    masked unless ``reveal``; the PDF always states the full data."""
    terms = json.loads(contract.terms_json)
    cipher = field_cipher()
    if reveal:
        borrower = {"name": cipher.decrypt(contract.customer_name_enc),
                    "id_number": cipher.decrypt(contract.customer_id_no_enc),
                    "phone": cipher.decrypt(contract.customer_phone_enc)}
    else:
        borrower = {"name": contract.customer_name_masked, "id_number": contract.customer_id_no_masked,
                    "phone": contract.customer_phone_masked}
    borrower["address"] = terms.get("borrower_address", "")
    signature_src = ("data:image/png;base64," + base64.b64encode(signature_png).decode()) if signature_png else None
    return _env().get_template(f"{contract.kind}_v{contract.template_version}.html").render(
        c=contract, t=terms, borrower=borrower, signature_src=signature_src,
        signed_at=signed_at.astimezone(BANK_TZ).strftime("%Y-%m-%d %H:%M:%S") if signed_at else None,
        title=KINDS[contract.kind],
    )


# --- creation -----------------------------------------------------------------------------------

def _check_party(party: PartyData) -> None:
    """The customers feature's own resident-ID rule (any region code that has ever existed), so a
    customer on file can always be given a contract."""
    from zhanye.customers.validators import InvalidNumber, validate_resident_id

    try:
        validate_resident_id(party.id_number)
    except InvalidNumber as exc:
        raise ValidationFailed.field(["customer", "id_number"], f"身份证号码无效：{exc.message_zh}",
                                     f"The resident ID number is not valid: {exc.message_en}") from None


def _institution(actor: Principal, institution_id: int | None) -> int:
    """The institution the contract belongs to (the line's or loan's branch, where the customer
    signs); by default the actor's own. It must be inside the actor's scope."""
    inst = actor.institution_id if institution_id is None else institution_id
    if not actor.sees_institution(inst):
        raise ValidationFailed.field(["institution_id"], "机构不在权限范围内", "The institution is outside your scope")
    return inst


def _number(today: dt.date) -> str:
    return f"ZYHT{today:%Y%m%d}{secrets.token_hex(4).upper()}"


def _base_terms(session: Session, actor: Principal, product: LoanProduct, party: PartyData,
                institution_id: int) -> dict[str, Any]:
    from zhanye.org import service as org_service

    inst = org_service.get_institution(session, actor, institution_id)
    ho = org_service.head_office(session)
    return {
        "bank_name": ho.name if ho else inst.name, "branch_name": inst.name,
        "product_code": product.code, "product_version": product.version, "product_name": product.name,
        "penalty_uplift": str(product.penalty_uplift), "compound_interest": product.compound_interest,
        "grace_days": product.grace_days, "borrower_address": party.address,
        "rate_type": product.rate_type, "lpr_tenor": product.lpr_tenor,
    }


def _new_contract(session: Session, *, actor: Principal, institution_id: int, kind: str, party: PartyData,
                  product: LoanProduct, amount_fen: int, annual_rate: Decimal, months: int, method: str | None,
                  terms: dict[str, Any], source_type: str | None, source_id: str | None) -> Contract:
    version, source = current_template(kind)
    cipher = field_cipher()
    today = dt.datetime.now(BANK_TZ).date()
    row = Contract(
        number=_number(today), institution_id=institution_id, kind=kind, status="pending_signature",
        template_code=kind, template_version=version, template_sm3=sm3_hex(source),
        source_type=source_type, source_id=source_id, customer_ref=party.customer_ref,
        customer_name_enc=cipher.encrypt(party.name), customer_name_masked=mask_name(party.name),
        customer_id_no_enc=cipher.encrypt(party.id_number), customer_id_no_masked=mask_id_number(party.id_number),
        customer_phone_enc=cipher.encrypt(party.phone), customer_phone_masked=mask_phone(party.phone),
        product_id=product.id, amount_fen=amount_fen, annual_rate=annual_rate, months=months, method=method,
        terms_json=json.dumps(terms, ensure_ascii=False, sort_keys=True, default=str), created_by=actor.username,
    )
    session.add(row)
    session.flush()
    render_html(row)  # a template error shows now, not at signing
    audit.record(session, action="contract.create", object_type="contract", object_id=row.id, actor=actor,
                 changes={"number": row.number, "kind": kind, "amount_fen": amount_fen, "months": months,
                          "annual_rate": str(annual_rate), "template": f"{kind}_v{version}",
                          "source": f"{source_type}:{source_id}" if source_type else None})
    return row


def create_loan_contract(session: Session, *, actor: Principal, party: PartyData, product: LoanProduct,
                         amount_fen: int, months: int, annual_rate: Decimal, method: str, start: dt.date,
                         day_rule: str = "loan_date", purpose: str = "", payee_name: str = "",
                         payee_account: str = "", source_type: str | None = None,
                         source_id: str | None = None, institution_id: int | None = None) -> Contract:
    """A loan (drawdown) contract stating the amount, rate, method and the full schedule; it
    belongs to ``institution_id`` (default: the actor's institution)."""
    from zhanye.lending import products

    _check_party(party)
    inst = _institution(actor, institution_id)
    products.check_loan_terms(product, amount_fen=amount_fen, months=months, method=method)
    schedule = build_schedule(amount_fen=amount_fen, months=months, annual_rate=annual_rate, method=method,
                              start=start, day_rule=DayRule.parse(day_rule))
    terms = _base_terms(session, actor, product, party, inst)
    terms.update(_schedule_terms(schedule))
    terms.update({"purpose": purpose, "payee_name": payee_name, "payee_account": payee_account,
                  "entrusted": bool(payee_account) or amount_fen > product.entrusted_threshold_fen,
                  "entrusted_threshold_fen": product.entrusted_threshold_fen})
    return _new_contract(session, actor=actor, institution_id=inst, kind="loan", party=party, product=product, amount_fen=amount_fen,
                         annual_rate=annual_rate, months=months, method=method, terms=terms,
                         source_type=source_type, source_id=source_id)


def create_line_contract(session: Session, *, actor: Principal, party: PartyData, product: LoanProduct,
                         limit_fen: int, annual_rate: Decimal, months: int, start: dt.date, revolving: bool,
                         source_type: str | None = None, source_id: str | None = None,
                         institution_id: int | None = None) -> Contract:
    """A credit-line contract stating the limit, rate terms, validity and whether it revolves; it
    belongs to ``institution_id`` — the line's institution (default: the actor's institution)."""
    _check_party(party)
    inst = _institution(actor, institution_id)
    if not product.min_amount_fen <= limit_fen <= product.max_amount_fen:
        raise ValidationFailed.field(["limit_fen"], "授信额度超出产品金额范围", "The limit is outside the product's range")
    if revolving and not product.revolving:
        raise ValidationFailed.field(["revolving"], "该产品不支持循环额度", "The product has no revolving lines")
    from zhanye.lending.schedules import add_months

    terms = _base_terms(session, actor, product, party, inst)
    terms.update({"start": start.isoformat(), "end": add_months(start, months).isoformat(),
                  "revolving": revolving, "annual_rate": str(annual_rate),
                  "methods": [METHOD_NAMES_ZH[Method(m)] for m in product.repayment_methods.split(",")],
                  "max_term_months": product.max_term_months,
                  "entrusted_threshold_fen": product.entrusted_threshold_fen})
    return _new_contract(session, actor=actor, institution_id=inst, kind="line", party=party, product=product, amount_fen=limit_fen,
                         annual_rate=annual_rate, months=months, method=None, terms=terms,
                         source_type=source_type, source_id=source_id)


def _schedule_terms(s: Schedule) -> dict[str, Any]:
    return {
        "start": s.start.isoformat(), "maturity": s.maturity.isoformat(), "method_name": METHOD_NAMES_ZH[s.method],
        "day_rule": str(s.day_rule), "total_interest_fen": s.total_interest_fen, "total_fen": s.total_fen,
        "annual_rate": str(s.annual_rate),
        "schedule": [[i.number, i.due_date.isoformat(), i.principal_fen, i.interest_fen, i.total_fen, i.remaining_fen]
                     for i in s.installments],
    }


# --- reading ------------------------------------------------------------------------------------

def get_contract(session: Session, *, actor: Principal, contract_id: int, for_update: bool = False) -> Contract:
    stmt = select(Contract).where(Contract.id == contract_id, in_scope(Contract.institution_id, actor))
    row = session.execute(lock_for_update(stmt, session) if for_update else stmt).scalar_one_or_none()
    if row is None:
        raise NotFound("合同不存在", "The contract does not exist")
    return row


def list_contracts(session: Session, *, actor: Principal, status: str | None = None, page: int = 1,
                   page_size: int = 20) -> tuple[list[Contract], int]:
    stmt = select(Contract).where(in_scope(Contract.institution_id, actor))
    if status:
        stmt = stmt.where(Contract.status == status)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Contract.id.desc()).offset((page - 1) * page_size).limit(page_size))
    return list(rows.scalars()), total


STORAGE_OVERRIDE: Path | None = None  # tests point this at a temporary folder


def storage_root() -> Path:
    """``ZHANYE_STORAGE_DIR/contracts``: signed PDFs, one file per contract, never rewritten."""
    if STORAGE_OVERRIDE is not None:
        return STORAGE_OVERRIDE
    from zhanye.core.config import get_settings

    return Path(get_settings().storage_dir) / "contracts"


def pdf_file(contract: Contract) -> Path:
    if not contract.pdf_path:
        raise NotFound("合同尚未签署，没有 PDF 文件", "The contract is not signed; there is no PDF yet")
    return storage_root() / contract.pdf_path


# --- signing ------------------------------------------------------------------------------------

def request_signing_code(session: Session, *, actor: Principal, contract_id: int) -> dt.datetime:
    contract = get_contract(session, actor=actor, contract_id=contract_id)
    if contract.status != "pending_signature":
        raise InvalidTransition("合同不是待签署状态", "The contract is not waiting for a signature")
    phone = field_cipher().decrypt(contract.customer_phone_enc)
    code = sms_codes.issue_code(session, purpose=SMS_PURPOSE, object_id=str(contract.id), phone=phone,
                                purpose_text=f"签署合同{contract.number}")
    audit.record(session, action="contract.sms_code", object_type="contract", object_id=contract.id, actor=actor,
                 changes={"phone": contract.customer_phone_masked})
    return code.expires_at


def sandbox_code_hint(session: Session, contract_id: int) -> dict[str, str]:
    """With the sandbox SMS provider only, the code just sent (so a demo can be signed without a
    phone). A real provider never reveals it."""
    from zhanye.integrations.base import registry

    provider = registry.get("sms")
    if type(provider).__name__ != "SandboxSms" or not hasattr(provider, "last_code"):
        return {}
    contract = session.get(Contract, contract_id)
    code = provider.last_code(field_cipher().decrypt(contract.customer_phone_enc)) if contract else None
    return {"sandbox_code": code} if code else {}


def check_signature_png(data: bytes) -> bytes:
    """A PNG of sensible size (the pad's canvas), re-encoded so nothing but pixels is kept."""
    from PIL import Image, UnidentifiedImageError

    if not data or len(data) > MAX_SIGNATURE_BYTES or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise SignatureImageInvalid("签名须为不超过 1MB 的 PNG 图片", "The signature must be a PNG of at most 1 MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            if not (50 <= img.width <= 4000 and 30 <= img.height <= 3000):
                raise SignatureImageInvalid("签名图片尺寸不合适", "The signature image has an unusable size")
            rgba = img.convert("RGBA")
            if rgba.getbbox() is None or rgba.getchannel("A").getextrema()[1] == 0:
                raise SignatureImageInvalid("签名为空，请在签名板上签字", "The signature is empty; please sign on the pad")
            white = Image.new("RGB", rgba.size, (255, 255, 255))
            white.paste(rgba, mask=rgba.getchannel("A"))
            out = io.BytesIO()
            white.save(out, format="PNG", optimize=True)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise SignatureImageInvalid("无法读取签名图片", "The signature image cannot be read") from exc


def _bank_message(digest: bytes, signed_at: dt.datetime, number: str) -> bytes:
    return digest + f"|{signed_at.astimezone(dt.UTC).isoformat()}|{number}".encode()


def sign_contract(session: Session, *, actor: Principal, contract_id: int, signature_png: bytes,
                  sms_code: str) -> SignResult:
    """The customer signs (signature image + SMS code) and the bank seals. A wrong code is counted
    and returned (not raised) so that the caller commits the count; other refusals raise."""
    contract = get_contract(session, actor=actor, contract_id=contract_id, for_update=True)
    if contract.status != "pending_signature":
        raise InvalidTransition("合同已签署或已作废", "The contract is already signed or void")
    png = check_signature_png(signature_png)
    check = sms_codes.check_code(session, purpose=SMS_PURPOSE, object_id=str(contract.id), code=sms_code)
    if not check.ok:
        audit.record(session, action="contract.sign_refused", object_type="contract", object_id=contract.id,
                     actor=actor, changes={"reason": "sms_code"})
        return SignResult(False, contract, check.error)
    signed_at = utcnow().replace(microsecond=0)
    html = render_html(contract, reveal=True, signature_png=png, signed_at=signed_at)
    pdf = html_to_pdf(html, title=f"{KINDS[contract.kind]} {contract.number}", subject=contract.number)
    digest = sm3(pdf)
    cipher = field_cipher()
    customer = esign.signing_ca().sign_for_customer(
        subject_name=cipher.decrypt(contract.customer_name_enc),
        subject_id_hash=sm3_hex(cipher.decrypt(contract.customer_id_no_enc)), digest=digest,
        purpose=f"contract:{contract.number}")
    seal_key = esign.ensure_seal_key(session, actor=actor)
    bank_sig = esign.seal(seal_key, _bank_message(digest, signed_at, contract.number))
    rel = f"{signed_at:%Y/%m}/{contract.number}-{digest.hex()[:16]}.pdf"
    filestore.write_in_transaction(session, storage_root() / rel, pdf)  # deleted again if the transaction fails
    contract.status = "signed"
    contract.signed_at = signed_at
    contract.pdf_path = rel
    contract.pdf_sm3 = digest.hex()
    contract.pdf_bytes = len(pdf)
    contract.customer_public_key_hex = customer.public_key.hex()
    contract.customer_cert = customer.certificate
    contract.customer_signature_hex = customer.signature.hex()
    contract.seal_key_id = seal_key.id
    contract.bank_signature_hex = bank_sig.hex()
    contract.signed_by = actor.username
    session.flush()
    audit.record(session, action="contract.sign", object_type="contract", object_id=contract.id, actor=actor,
                 changes={"number": contract.number, "pdf_sm3": contract.pdf_sm3, "signed_at": signed_at,
                          "seal_key_id": seal_key.id, "ca": esign.signing_ca().name})
    return SignResult(True, contract)


def void_contract(session: Session, *, actor: Principal, contract_id: int, reason: str) -> Contract:
    contract = get_contract(session, actor=actor, contract_id=contract_id, for_update=True)
    if contract.status != "pending_signature":
        raise InvalidTransition("只有待签署的合同可以作废", "Only a contract waiting for signature can be voided")
    contract.status = "void"
    session.flush()
    audit.record(session, action="contract.void", object_type="contract", object_id=contract.id, actor=actor,
                 changes={"reason": reason})
    return contract


# --- verification -------------------------------------------------------------------------------

def verify_contract(session: Session, *, contract_id: int, actor: Principal | None = None) -> VerifyReport:
    """Check the stored PDF against its digest and both signatures; every failed check is named.
    ``actor`` None is the operator's CLI (no institution scope)."""
    if actor is None:
        contract = session.get(Contract, contract_id)
        if contract is None:
            raise NotFound("合同不存在", "The contract does not exist")
    else:
        contract = get_contract(session, actor=actor, contract_id=contract_id)
    report = VerifyReport(contract.id, contract.number)
    if contract.status != "signed" or not contract.pdf_path or not contract.pdf_sm3:
        report.checks.append(Check("signed", False, "the contract is not signed"))
        return report
    path = pdf_file(contract)
    if not path.is_file():
        report.checks.append(Check("file", False, f"the PDF {contract.pdf_path} is missing from the storage"))
        return report
    data = path.read_bytes()
    report.checks.append(Check("file", True, f"{contract.pdf_path} ({len(data)} bytes)"))
    digest = sm3(data)
    same = digest.hex() == contract.pdf_sm3
    report.checks.append(Check("digest", same, f"SM3 of the file {digest.hex()}"
                               + ("" if same else f" differs from the recorded {contract.pdf_sm3}")))
    assert contract.customer_public_key_hex and contract.customer_signature_hex and contract.signed_at
    cust_ok = esign.verify(contract.customer_public_key_hex, digest, contract.customer_signature_hex)
    report.checks.append(Check("customer_signature", cust_ok,
                               "customer SM2 signature over the file's SM3 digest "
                               + ("verifies" if cust_ok else "does NOT verify")))
    key = session.get(SealKey, contract.seal_key_id) if contract.seal_key_id else None
    bank_ok = key is not None and contract.bank_signature_hex is not None and esign.verify(
        key.public_key_hex, _bank_message(digest, contract.signed_at, contract.number), contract.bank_signature_hex)
    report.checks.append(Check("bank_signature", bank_ok,
                               f"bank seal (key {esign.fingerprint(key.public_key_hex) if key else '?'}) SM2 signature "
                               f"over the digest and timestamp {contract.signed_at.isoformat()} "
                               + ("verifies" if bank_ok else "does NOT verify")))
    return report


def contract_out(c: Contract) -> dict[str, Any]:
    terms = json.loads(c.terms_json)
    return {
        "id": c.id, "number": c.number, "kind": c.kind, "kind_name": KINDS[c.kind], "status": c.status,
        "institution_id": c.institution_id, "template": f"{c.template_code}_v{c.template_version}",
        "template_sm3": c.template_sm3, "source_type": c.source_type, "source_id": c.source_id,
        "customer": {"name": c.customer_name_masked, "id_number": c.customer_id_no_masked,
                     "phone": c.customer_phone_masked, "customer_ref": c.customer_ref},
        "product_id": c.product_id, "product_name": terms.get("product_name"),
        "amount_fen": c.amount_fen, "amount_yuan": format_yuan(c.amount_fen),
        "amount_upper": to_chinese_upper(c.amount_fen), "annual_rate": str(Decimal(c.annual_rate).normalize()),
        "months": c.months, "method": c.method, "created_at": c.created_at, "created_by": c.created_by,
        "signed_at": c.signed_at, "pdf_sm3": c.pdf_sm3, "pdf_bytes": c.pdf_bytes,
        "customer_public_key_hex": c.customer_public_key_hex, "customer_signature_hex": c.customer_signature_hex,
        "bank_signature_hex": c.bank_signature_hex, "seal_key_id": c.seal_key_id,
    }
