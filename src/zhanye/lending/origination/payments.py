"""Payment management after a drawdown: offline payment applications (线下支付申请) reviewed by an
approver, and supplementary usage vouchers (补录用途凭证) due within a deadline after a
self-payment, with the overdue list of missing vouchers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.money import format_yuan
from zhanye.core.scope import in_scope
from zhanye.lending.origination.applications import check_images
from zhanye.lending.origination.drawdowns import get_drawdown
from zhanye.lending.origination.models import Drawdown, OfflinePayment, UsageVoucher


def _check_amount(amount_fen: int, limit: int, field: str = "amount_fen") -> None:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen <= 0:
        raise ValidationFailed.field(["body", field], "金额须为正整数（分）", "The amount is a positive fen amount")
    if amount_fen > limit:
        raise ValidationFailed.field(["body", field], f"金额不能超过 {format_yuan(limit)}",
                                     f"The amount cannot exceed {format_yuan(limit)}")


def create_offline_payment(session: Session, *, actor: Principal, drawdown_id: int, amount_fen: int,
                           counterparty: str, purpose: str, reason: str,
                           image_refs: list[int] | None = None) -> OfflinePayment:
    dd = get_drawdown(session, actor=actor, drawdown_id=drawdown_id)
    if dd.payment_mode != "self":
        raise InvalidTransition("受托支付的用信不能申请线下支付", "An entrusted-payment drawdown has no offline payments")
    already = sum(p.amount_fen for p in session.execute(select(OfflinePayment).where(
        OfflinePayment.drawdown_id == dd.id, OfflinePayment.status != "rejected")).scalars())
    _check_amount(amount_fen, dd.amount_fen - already)
    images = check_images(image_refs or [], session, actor, dd.customer_id)
    row = OfflinePayment(drawdown_id=dd.id, institution_id=dd.institution_id, amount_fen=amount_fen,
                         counterparty=counterparty, purpose=purpose, reason=reason,
                         image_refs=json.dumps(images), status="submitted", created_by=actor.username)
    session.add(row)
    session.flush()
    audit.record(session, action="offline_payment.create", object_type="offline_payment", object_id=row.id,
                 actor=actor, changes={"drawdown_id": dd.id, "amount_fen": amount_fen, "counterparty": counterparty})
    return row


def get_offline_payment(session: Session, *, actor: Principal, payment_id: int) -> OfflinePayment:
    row = session.get(OfflinePayment, payment_id)
    if row is None or not actor.sees_institution(row.institution_id):
        raise NotFound("线下支付申请不存在", "The offline payment application does not exist")
    return row


def review_offline_payment(session: Session, *, actor: Principal, payment_id: int, approve: bool,
                           comment: str = "") -> OfflinePayment:
    row = get_offline_payment(session, actor=actor, payment_id=payment_id)
    if row.status != "submitted":
        raise InvalidTransition("申请已处理", "The application was already reviewed", status=row.status)
    if row.created_by == actor.username:
        raise InvalidTransition("不能审批自己提交的申请", "You cannot review your own application")
    if not approve and not comment.strip():
        raise ValidationFailed.field(["body", "comment"], "否决须填写意见", "A rejection needs a comment")
    row.status = "approved" if approve else "rejected"
    row.reviewed_by, row.reviewed_at, row.review_comment = actor.username, utcnow(), comment[:500]
    session.flush()
    audit.record(session, action=f"offline_payment.{row.status}", object_type="offline_payment", object_id=row.id,
                 actor=actor, changes={"comment": comment})
    return row


def list_offline_payments(session: Session, *, actor: Principal, status: str | None = None,
                          drawdown_id: int | None = None, limit: int = 100) -> list[OfflinePayment]:
    stmt = select(OfflinePayment).where(in_scope(OfflinePayment.institution_id, actor))
    if status:
        stmt = stmt.where(OfflinePayment.status == status)
    if drawdown_id is not None:
        stmt = stmt.where(OfflinePayment.drawdown_id == drawdown_id)
    return list(session.execute(stmt.order_by(OfflinePayment.id.desc()).limit(limit)).scalars())


def add_voucher(session: Session, *, actor: Principal, drawdown_id: int, amount_fen: int, description: str,
                image_refs: list[int]) -> UsageVoucher:
    """Record a usage voucher for a self-paid drawdown; once vouchers cover the amount, the
    drawdown's voucher is provided."""
    dd = get_drawdown(session, actor=actor, drawdown_id=drawdown_id)
    if dd.voucher_status == "not_required":
        raise InvalidTransition("受托支付的用信无需补录用途凭证", "An entrusted-payment drawdown needs no usage voucher")
    if not image_refs:
        raise ValidationFailed.field(["body", "image_refs"], "须上传凭证影像", "Attach the voucher images")
    image_refs = check_images(image_refs, session, actor, dd.customer_id)
    covered = sum(v.amount_fen for v in session.execute(select(UsageVoucher).where(
        UsageVoucher.drawdown_id == dd.id)).scalars())
    _check_amount(amount_fen, dd.amount_fen - covered)
    row = UsageVoucher(drawdown_id=dd.id, institution_id=dd.institution_id, amount_fen=amount_fen,
                       description=description, image_refs=json.dumps(image_refs), created_by=actor.username)
    session.add(row)
    if covered + amount_fen >= dd.amount_fen:
        dd.voucher_status = "provided"
    session.flush()
    audit.record(session, action="usage_voucher.add", object_type="drawdown", object_id=dd.id, actor=actor,
                 changes={"voucher_id": row.id, "amount_fen": amount_fen, "voucher_status": dd.voucher_status})
    return row


def overdue_vouchers(session: Session, *, actor: Principal, on: dt.date | None = None,
                     limit: int = 200) -> list[Drawdown]:
    """Self-paid drawdowns whose voucher deadline has passed without a full voucher."""
    on = on or get_business_date(session)
    stmt = (select(Drawdown).where(in_scope(Drawdown.institution_id, actor), Drawdown.voucher_status == "pending",
                                   Drawdown.voucher_due_on < on)
            .order_by(Drawdown.voucher_due_on, Drawdown.id).limit(limit))
    return list(session.execute(stmt).scalars())


def offline_payment_out(p: OfflinePayment) -> dict[str, Any]:
    return {"id": p.id, "drawdown_id": p.drawdown_id, "institution_id": p.institution_id, "amount_fen": p.amount_fen,
            "amount_yuan": format_yuan(p.amount_fen), "counterparty": p.counterparty, "purpose": p.purpose,
            "reason": p.reason, "image_refs": json.loads(p.image_refs), "status": p.status,
            "created_by": p.created_by, "created_at": p.created_at, "reviewed_by": p.reviewed_by,
            "reviewed_at": p.reviewed_at, "review_comment": p.review_comment}


def voucher_out(v: UsageVoucher) -> dict[str, Any]:
    return {"id": v.id, "drawdown_id": v.drawdown_id, "amount_fen": v.amount_fen, "description": v.description,
            "image_refs": json.loads(v.image_refs), "created_by": v.created_by, "created_at": v.created_at}
