"""Credit lines (授信额度): granted on approval or by village pre-credit, activated when the customer
signs the line contract on the tablet, frozen / unfrozen by risk staff (and fraud controls),
reduced, expired at the end of their validity by the EOD step, and restored on repayment when
revolving (servicing publishes ``loan.principal_repaid``).

``freeze_line`` / ``unfreeze_line`` are the functions fraud controls call.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhanye.core import audit, events
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.db import lock_for_update, utcnow
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.money import format_yuan
from zhanye.core.scope import in_scope
from zhanye.lending import contracts, products
from zhanye.lending.origination.models import Application, CreditLine
from zhanye.lending.schedules import add_months

STATUS_NAMES = {"pending_signature": ("待签约", "Waiting for signature"), "active": ("生效", "Active"),
                "expired": ("已到期", "Expired"), "closed": ("已关闭", "Closed")}


def _number() -> str:
    return f"ED{dt.date.today():%Y%m%d}{secrets.token_hex(4).upper()}"


def _new_line(session: Session, actor: Principal, *, institution_id: int, customer_id: int, product: Any,
              source: str, limit_fen: int, annual_rate: Decimal, spread_bp: int | None, max_term_months: int,
              application_id: int | None = None, campaign_id: int | None = None, household_id: int | None = None,
              decision_record_id: int | None = None) -> CreditLine:
    start = get_business_date(session)
    line = CreditLine(
        number=_number(), institution_id=institution_id, customer_id=customer_id, product_id=product.id,
        source=source, application_id=application_id, campaign_id=campaign_id, household_id=household_id,
        status="pending_signature", frozen=False, limit_fen=limit_fen, used_fen=0, drawn_total_fen=0,
        rate_type=product.rate_type, annual_rate=annual_rate, spread_bp=spread_bp, revolving=product.revolving,
        max_term_months=max_term_months, valid_from=start,
        valid_until=add_months(start, product.line_validity_months), decision_record_id=decision_record_id,
        created_by=actor.username)
    session.add(line)
    session.flush()
    contract = _line_contract(session, actor, line, product)
    line.contract_id = contract.id
    audit.record(session, action="line.grant", object_type="credit_line", object_id=line.id, actor=actor,
                 changes={"number": line.number, "source": source, "customer_id": customer_id,
                          "limit_fen": limit_fen, "annual_rate": str(annual_rate), "revolving": line.revolving,
                          "valid_until": line.valid_until, "contract_id": contract.id})
    return line


def _line_contract(session: Session, actor: Principal, line: CreditLine, product: Any) -> Any:
    from zhanye.lending.origination.admission import customer_identity

    # The contract belongs to the line's branch (where the customer signs), whoever approved it
    # (``institution_id``); the approver acts within that branch's scope for this one contract.
    branch_actor = replace(actor, scope_ids=frozenset(actor.scope_ids | {line.institution_id}))
    ident = customer_identity(session, branch_actor, line.customer_id)
    party = contracts.PartyData(name=ident["name"], id_number=ident["id_number"], phone=ident["mobile"],
                                address=ident["address"], customer_ref=str(line.customer_id))
    return contracts.create_line_contract(
        session, actor=branch_actor, party=party, product=product, limit_fen=line.limit_fen, annual_rate=line.annual_rate,
        months=product.line_validity_months, start=line.valid_from, revolving=line.revolving,
        source_type="credit_line", source_id=str(line.id), institution_id=line.institution_id)


def grant_from_application(session: Session, *, actor: Principal, app: Application) -> CreditLine:
    product = products.get_product(session, product_id=app.product_id)
    assert app.approved_amount_fen is not None and app.approved_rate is not None
    spread = app.offered_spread_bp
    if product.rate_type == "lpr" and app.approved_rate != app.offered_rate and app.offered_rate is not None:
        # an approver's adjusted rate moves the spread by the same amount
        spread = (spread or 0) + int((Decimal(app.approved_rate) - Decimal(app.offered_rate)) * 10000)
    return _new_line(session, actor, institution_id=app.institution_id, customer_id=app.customer_id, product=product,
                     source="application", limit_fen=app.approved_amount_fen, annual_rate=Decimal(app.approved_rate),
                     spread_bp=spread, max_term_months=app.approved_term_months or app.term_months,
                     application_id=app.id, decision_record_id=app.pricing_record_id)


def grant_precredit(session: Session, *, actor: Principal, customer_id: int, product: Any, limit_fen: int,
                    campaign_id: int, household_id: int, decision_record_id: int | None) -> CreditLine:
    from zhanye.customers import service as customers

    inst = customers.customer_institution(session, actor=actor, customer_id=customer_id)
    spread = product.spread_min_bp if product.rate_type == "lpr" else None
    rate = products.price(session, product, on_date=get_business_date(session), spread_bp=spread)
    limit = min(max(limit_fen, product.min_amount_fen), product.max_amount_fen)
    return _new_line(session, actor, institution_id=inst, customer_id=customer_id, product=product, source="precredit",
                     limit_fen=limit, annual_rate=rate, spread_bp=spread, max_term_months=product.max_term_months,
                     campaign_id=campaign_id, household_id=household_id, decision_record_id=decision_record_id)


# --- reading ---------------------------------------------------------------------------------------

def get_line(session: Session, *, actor: Principal, line_id: int, for_update: bool = False) -> CreditLine:
    stmt = select(CreditLine).where(CreditLine.id == line_id)
    if for_update:
        stmt = lock_for_update(stmt, session)
    line = session.execute(stmt).scalar_one_or_none()
    if line is None or not actor.sees_institution(line.institution_id):
        raise NotFound("授信额度不存在", "The credit line does not exist")
    return line


def list_lines(session: Session, *, actor: Principal, status: str | None = None, customer_id: int | None = None,
               frozen: bool | None = None, campaign_id: int | None = None, page: int = 1,
               page_size: int = 20) -> tuple[list[CreditLine], int]:
    stmt = select(CreditLine).where(in_scope(CreditLine.institution_id, actor))
    if campaign_id is not None:
        stmt = stmt.where(CreditLine.campaign_id == campaign_id)
    if status:
        stmt = stmt.where(CreditLine.status == status)
    if customer_id is not None:
        stmt = stmt.where(CreditLine.customer_id == customer_id)
    if frozen is not None:
        stmt = stmt.where(CreditLine.frozen.is_(frozen))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(CreditLine.id.desc()).limit(page_size).offset((page - 1) * page_size))
    return list(rows.scalars()), int(total)


# --- signing ---------------------------------------------------------------------------------------

def request_signing_code(session: Session, *, actor: Principal, line_id: int) -> dict[str, Any]:
    """Send the SMS code for the line contract; with the sandbox SMS provider the answer carries
    the code (``sandbox_code``) so a demo can be signed without a phone."""
    line = get_line(session, actor=actor, line_id=line_id)
    if not line.can_sign() or line.contract_id is None:
        raise InvalidTransition("额度不是待签约状态", "The line is not waiting for a signature", status=line.status)
    expires_at = contracts.request_signing_code(session, actor=actor, contract_id=line.contract_id)
    return {"expires_at": expires_at, **contracts.sandbox_code_hint(session, line.contract_id)}


def sign(session: Session, *, actor: Principal, line_id: int, signature_png: bytes, sms_code: str) -> contracts.SignResult:
    """The customer signs the line contract; on success the line becomes active. A wrong SMS code
    is returned (not raised) so the caller commits the attempt count and then reports it."""
    line = get_line(session, actor=actor, line_id=line_id, for_update=True)
    if not line.can_sign() or line.contract_id is None:
        raise InvalidTransition("额度不是待签约状态", "The line is not waiting for a signature", status=line.status)
    if line.valid_until <= get_business_date(session):
        raise InvalidTransition("额度已过有效期，不能签约", "The line's validity has ended; it cannot be signed")
    contract = contracts.get_contract(session, actor=actor, contract_id=line.contract_id)
    if contract.status == "signed":  # signed on the contracts screen: the line follows
        result = contracts.SignResult(True, contract)
    else:
        result = contracts.sign_contract(session, actor=actor, contract_id=line.contract_id,
                                         signature_png=signature_png, sms_code=sms_code)
        if not result.ok:
            return result
    line.status = "active"
    line.activated_at = utcnow()
    session.flush()
    audit.record(session, action="line.activate", object_type="credit_line", object_id=line.id, actor=actor,
                 changes={"contract_id": line.contract_id, "pdf_sm3": result.contract.pdf_sm3 if result.contract else None})
    return result


# --- risk operations ---------------------------------------------------------------------------------

def freeze_line(session: Session, *, actor: Principal, line_id: int, reason: str) -> CreditLine:
    """额度冻结: no drawdown until unfrozen. Risk staff and fraud controls call this."""
    if not reason or not reason.strip():
        raise ValidationFailed.field(["body", "reason"], "冻结须填写原因", "A freeze needs a reason")
    line = get_line(session, actor=actor, line_id=line_id, for_update=True)
    if not line.can_freeze():
        raise InvalidTransition("额度已冻结或已失效，不能冻结", "The line is already frozen or no longer in force",
                                status=line.status, frozen=line.frozen)
    line.frozen, line.freeze_reason, line.frozen_by, line.frozen_at = True, reason.strip()[:200], actor.username, utcnow()
    session.flush()
    audit.record(session, action="line.freeze", object_type="credit_line", object_id=line.id, actor=actor,
                 changes={"reason": line.freeze_reason})
    return line


def unfreeze_line(session: Session, *, actor: Principal, line_id: int, reason: str) -> CreditLine:
    if not reason or not reason.strip():
        raise ValidationFailed.field(["body", "reason"], "解冻须填写原因", "An unfreeze needs a reason")
    line = get_line(session, actor=actor, line_id=line_id, for_update=True)
    if not line.can_unfreeze():
        raise InvalidTransition("额度未冻结", "The line is not frozen", status=line.status, frozen=line.frozen)
    line.frozen = False
    session.flush()
    audit.record(session, action="line.unfreeze", object_type="credit_line", object_id=line.id, actor=actor,
                 changes={"reason": reason.strip()[:200], "was": line.freeze_reason})
    line.freeze_reason, line.frozen_by, line.frozen_at = None, None, None
    return line


def reduce_line(session: Session, *, actor: Principal, line_id: int, new_limit_fen: int, reason: str) -> CreditLine:
    """额度压降: lower the limit (never below what is in use)."""
    if not reason or not reason.strip():
        raise ValidationFailed.field(["body", "reason"], "压降须填写原因", "A reduction needs a reason")
    line = get_line(session, actor=actor, line_id=line_id, for_update=True)
    if line.status not in ("pending_signature", "active"):
        raise InvalidTransition("额度已失效，不能压降", "The line is no longer in force", status=line.status)
    if new_limit_fen >= line.limit_fen:
        raise ValidationFailed.field(["body", "new_limit_fen"], "新额度须低于当前额度",
                                     "The new limit must be below the current one")
    if new_limit_fen < line.used_fen:
        raise ValidationFailed.field(["body", "new_limit_fen"], f"新额度不能低于已用额度 {format_yuan(line.used_fen)}",
                                     f"The new limit cannot be below the used {format_yuan(line.used_fen)}")
    old = line.limit_fen
    line.limit_fen = new_limit_fen
    session.flush()
    audit.record(session, action="line.reduce", object_type="credit_line", object_id=line.id, actor=actor,
                 changes={"from": old, "to": new_limit_fen, "reason": reason.strip()[:200]})
    return line


def expire_lines(session: Session, business_date: dt.date) -> int:
    """EOD: lines whose validity ended (valid_until <= business date) expire; set-based. Waiting
    contracts of lines that were never signed are left to the contracts feature (void on demand)."""
    n = session.execute(update(CreditLine).where(CreditLine.status.in_(("pending_signature", "active")),
                                                 CreditLine.valid_until <= business_date)
                        .values(status="expired").execution_options(synchronize_session=False)).rowcount
    return int(n or 0)


# --- limit use ---------------------------------------------------------------------------------------

def consume(line: CreditLine, amount_fen: int) -> None:
    line.used_fen += amount_fen
    line.drawn_total_fen += amount_fen


def on_principal_repaid(session: Session, payload: dict[str, Any]) -> None:
    """``loan.principal_repaid`` {line_id, amount_fen}: a revolving line's available limit returns;
    a negative amount (the reversal of a repayment) takes it back, in the same transaction. The
    used amount follows the loans exactly (never clamped), so a repayment and its reversal cancel
    out; a reversal may leave the line above a limit reduced in between (available is then 0)."""
    line_id, amount = payload.get("line_id"), int(payload.get("amount_fen") or 0)
    if not line_id or amount == 0:
        return
    line = session.execute(lock_for_update(select(CreditLine).where(CreditLine.id == int(line_id)),
                                           session)).scalar_one_or_none()
    if line is None or not line.revolving:
        return
    old = line.used_fen
    line.used_fen = old - amount
    session.flush()
    audit.record(session, action="line.restore" if amount > 0 else "line.reconsume", object_type="credit_line",
                 object_id=line.id, changes={"repaid_fen": amount, "loan_id": payload.get("loan_id"),
                                             "used_from": old, "used_to": line.used_fen})


events.subscribe("loan.principal_repaid", on_principal_repaid)


def line_out(line: CreditLine, *, today: dt.date | None = None) -> dict[str, Any]:
    zh, en = STATUS_NAMES[line.status]
    return {
        "id": line.id, "number": line.number, "institution_id": line.institution_id, "customer_id": line.customer_id,
        "product_id": line.product_id, "source": line.source, "application_id": line.application_id,
        "campaign_id": line.campaign_id, "household_id": line.household_id, "status": line.status,
        "status_name": zh, "status_name_en": en, "frozen": line.frozen, "freeze_reason": line.freeze_reason,
        "frozen_by": line.frozen_by, "frozen_at": line.frozen_at,
        "limit_fen": line.limit_fen, "limit_yuan": format_yuan(line.limit_fen), "used_fen": line.used_fen,
        "available_fen": line.available_fen, "available_yuan": format_yuan(line.available_fen),
        "drawn_total_fen": line.drawn_total_fen, "rate_type": line.rate_type,
        "annual_rate": str(Decimal(line.annual_rate).normalize()), "spread_bp": line.spread_bp,
        "revolving": line.revolving, "max_term_months": line.max_term_months, "valid_from": line.valid_from,
        "valid_until": line.valid_until, "contract_id": line.contract_id,
        "decision_record_id": line.decision_record_id, "created_at": line.created_at,
        "activated_at": line.activated_at,
    }
