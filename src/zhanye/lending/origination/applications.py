"""Loan applications: draft → submitted → admission_refused | deciding → declined | in_approval →
approved | rejected | withdrawn → credit_granted.

``submit`` is one use case: it runs admission (准入) on gathered facts, then the rating and
limit/pricing decision, then either grants the line (automatic approval), starts the product's
approval process (referred, or always when the product says so), or declines — all in the
caller's transaction, so a failure (bureau down, decision error) leaves the draft unchanged.
Approval outcomes arrive through the workflow's outcome handler for ``loan_application``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.crypto import field_cipher
from zhanye.core.db import lock_for_update, utcnow
from zhanye.core.errors import InvalidTransition, NotFound, ValidationFailed
from zhanye.core.masking import mask_card
from zhanye.core.money import format_yuan
from zhanye.core.scope import in_scope
from zhanye.integrations import clearing
from zhanye.lending import products
from zhanye.lending.origination import admission
from zhanye.lending.origination.errors import CustomerNotVerified, check_terms
from zhanye.lending.origination.models import Application

GENERIC_PROCESS = "loan.approval"
SUBJECT_TYPE = "loan_application"

STATE_NAMES = {
    "draft": ("草稿", "Draft"), "submitted": ("已提交", "Submitted"),
    "admission_refused": ("准入拒绝", "Admission refused"), "deciding": ("决策中", "Deciding"),
    "declined": ("自动拒绝", "Declined"), "in_approval": ("审批中", "In approval"),
    "approved": ("审批通过", "Approved"), "rejected": ("审批否决", "Rejected"),
    "withdrawn": ("已撤回", "Withdrawn"), "credit_granted": ("已授信", "Credit granted"),
}


def _number() -> str:
    return f"SQ{dt.date.today():%Y%m%d}{secrets.token_hex(4).upper()}"


def _refuse(app: Application, action_zh: str, action_en: str) -> InvalidTransition:
    zh, en = STATE_NAMES[app.state]
    return InvalidTransition(f"申请处于“{zh}”状态，不能{action_zh}", f"The application is {en.lower()}; it cannot be {action_en}",
                             state=app.state)


def _check_payee(payee_name: str | None, payee_account: str | None) -> str | None:
    if not payee_account and not payee_name:
        return None
    if not payee_account or not payee_name:
        raise ValidationFailed.field(["body", "payee_account" if not payee_account else "payee_name"],
                                     "收款人户名和账号须同时填写", "Give both the payee's name and account number")
    card = payee_account.replace(" ", "")
    if not clearing.valid_card_number(card):
        raise ValidationFailed.field(["body", "payee_account"], "收款账号无效（校验位不符）",
                                     "The payee account number is not valid (check digit)")
    return card


def check_images(image_refs: list[int], session: Session, actor: Principal, customer_id: int) -> list[int]:
    """Image refs are ids of the customer's images (customers feature); each must belong to the customer."""
    if not image_refs:
        return []
    from zhanye.customers import images

    owned = {img.id for img in images.list_images(session, actor=actor, customer_id=customer_id)}
    bad = [i for i in image_refs if i not in owned]
    if bad:
        raise ValidationFailed.field(["body", "image_refs"], f"影像 {bad} 不属于该客户",
                                     f"Images {bad} do not belong to the customer")
    return list(dict.fromkeys(image_refs))


def create_application(session: Session, *, actor: Principal, customer_id: int, product_code: str,
                       amount_fen: int, term_months: int, method: str, guarantee: str, purpose: str,
                       channel: str = "tablet", payee_name: str | None = None, payee_account: str | None = None,
                       payee_bank: str | None = None, image_refs: list[int] | None = None,
                       declared: dict[str, Any] | None = None) -> Application:
    """A draft application for a verified customer, within the product's terms."""
    from zhanye.customers import service as customers

    cust = customers.get_customer(session, actor=actor, customer_id=customer_id)
    if not customers.is_verified(session, actor=actor, customer_id=customer_id):
        raise CustomerNotVerified("客户须先完成身份核验才能申请贷款", "The customer must be verified before applying")
    product = products.current_product(session, code=product_code)
    check_terms(product, amount_fen=amount_fen, months=term_months, method=method, guarantee=guarantee)
    card = _check_payee(payee_name, payee_account)
    images = check_images(image_refs or [], session, actor, customer_id)
    now = utcnow()
    app = Application(
        number=_number(), institution_id=cust.institution_id, customer_id=customer_id, product_id=product.id,
        channel=channel, state="draft", amount_fen=amount_fen, term_months=term_months, method=method,
        guarantee=guarantee, purpose=purpose, payee_name=payee_name if card else None,
        payee_account_enc=field_cipher().encrypt(card) if card else None,
        payee_account_masked=mask_card(card) if card else None, payee_bank=payee_bank if card else None,
        image_refs=json.dumps(images), declared_json=json.dumps(declared or {}, sort_keys=True),
        created_by=actor.username, created_at=now, updated_at=now)
    session.add(app)
    session.flush()
    audit.record(session, action="application.create", object_type="loan_application", object_id=app.id, actor=actor,
                 changes={"number": app.number, "customer_id": customer_id, "product": f"{product.code}@v{product.version}",
                          "amount_fen": amount_fen, "term_months": term_months, "channel": channel})
    return app


def get_application(session: Session, *, actor: Principal, application_id: int, for_update: bool = False) -> Application:
    stmt = select(Application).where(Application.id == application_id)
    if for_update:
        stmt = lock_for_update(stmt, session)
    app = session.execute(stmt).scalar_one_or_none()
    if app is None or not actor.sees_institution(app.institution_id):
        raise NotFound("贷款申请不存在", "The loan application does not exist")
    return app


def list_applications(session: Session, *, actor: Principal, state: str | None = None, customer_id: int | None = None,
                      page: int = 1, page_size: int = 20) -> tuple[list[Application], int]:
    stmt = select(Application).where(in_scope(Application.institution_id, actor))
    if state:
        stmt = stmt.where(Application.state == state)
    if customer_id is not None:
        stmt = stmt.where(Application.customer_id == customer_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Application.id.desc()).limit(page_size).offset((page - 1) * page_size))
    return list(rows.scalars()), int(total)


def update_application(session: Session, *, actor: Principal, application_id: int,
                       changes: dict[str, Any]) -> Application:
    """Edit a draft (amount, term, method, guarantee, purpose, payee, images, declared facts)."""
    app = get_application(session, actor=actor, application_id=application_id, for_update=True)
    if not app.can_edit():
        raise _refuse(app, "修改", "edited")
    product = products.get_product(session, product_id=app.product_id)
    new = {k: v for k, v in changes.items() if v is not None}
    amount, months = new.get("amount_fen", app.amount_fen), new.get("term_months", app.term_months)
    method, guarantee = new.get("method", app.method), new.get("guarantee", app.guarantee)
    check_terms(product, amount_fen=amount, months=months, method=method, guarantee=guarantee)
    if "payee_account" in new or "payee_name" in new:
        card = _check_payee(new.get("payee_name", app.payee_name), new.get("payee_account"))
        app.payee_name = new.get("payee_name", app.payee_name)
        app.payee_account_enc = field_cipher().encrypt(card) if card else None
        app.payee_account_masked = mask_card(card) if card else None
    if "image_refs" in new:
        app.image_refs = json.dumps(check_images(new["image_refs"], session, actor, app.customer_id))
    if "declared" in new:
        app.declared_json = json.dumps(new["declared"], sort_keys=True)
    app.amount_fen, app.term_months, app.method, app.guarantee = amount, months, method, guarantee
    for k in ("purpose", "payee_bank"):
        if k in new:
            setattr(app, k, new[k])
    app.updated_at = utcnow()
    audit.record(session, action="application.update", object_type="loan_application", object_id=app.id, actor=actor,
                 changes={k: v for k, v in new.items() if k != "payee_account"})
    return app


def _set_state(session: Session, actor: Principal, app: Application, state: str, **changes: Any) -> None:
    old = app.state
    app.state = state
    app.updated_at = utcnow()
    session.flush()
    audit.record(session, action=f"application.{state}", object_type="loan_application", object_id=app.id,
                 actor=actor, changes={"from": old, "to": state, **changes})


def submit(session: Session, *, actor: Principal, application_id: int) -> Application:
    """Submit a draft and run admission, the decision and (if needed) approval in one go."""
    app = get_application(session, actor=actor, application_id=application_id, for_update=True)
    if not app.can_submit():
        raise _refuse(app, "提交", "submitted")
    from zhanye.customers import service as customers

    if not customers.is_verified(session, actor=actor, customer_id=app.customer_id):
        raise CustomerNotVerified("客户须先完成身份核验才能提交申请", "The customer must be verified before submitting")
    product = products.get_product(session, product_id=app.product_id)
    check_terms(product, amount_fen=app.amount_fen, months=app.term_months, method=app.method,
                              guarantee=app.guarantee)
    today = get_business_date(session)
    app.submitted_at = utcnow()
    _set_state(session, actor, app, "submitted")
    facts = admission.gather(session, actor, app, on=today)
    app.bureau_json = json.dumps(facts.pop("bureau"), ensure_ascii=False, sort_keys=True)
    app.facts_json = json.dumps(facts, ensure_ascii=False, sort_keys=True, default=str)
    adm = admission.run_admission(session, actor, app, product, facts)
    app.admission_record_id = adm.record_id
    if adm.output["decision"] == "decline":
        app.reasons = json.dumps(adm.output["reasons"])
        app.decided_at = utcnow()
        _set_state(session, actor, app, "admission_refused", reasons=adm.output["reasons"], record_id=adm.record_id)
        return app
    _set_state(session, actor, app, "deciding", admission=adm.output["decision"], record_id=adm.record_id)
    rating, pricing = admission.run_rating_and_pricing(session, actor, app, product, facts, on=today)
    app.rating_record_id, app.pricing_record_id = rating.record_id, pricing.record_id
    out = pricing.output
    reasons = list(dict.fromkeys(adm.output["reasons"] + out["reasons"]))
    app.reasons = json.dumps(reasons)
    app.decided_at = utcnow()
    outcome = out["decision"]
    if outcome == "approve" and adm.output["decision"] == "refer":
        outcome = "refer"
    app.decision_json = json.dumps({"outcome": outcome, "admission": adm.output["decision"],
                                    "score": rating.output["score"], "rating": rating.output["rating"],
                                    "limit_fen": out["limit_fen"], "spread_bps": out["spread_bps"],
                                    "term_months_max": out["term_months_max"], "reasons": reasons}, sort_keys=True)
    if outcome == "decline":
        _set_state(session, actor, app, "declined", reasons=reasons, record_id=pricing.record_id)
        return app
    rate, spread = admission.offer_rate(session, product, spread_bps=int(out["spread_bps"]), on=today)
    app.offered_amount_fen = max(min(int(out["limit_fen"]), app.amount_fen), product.min_amount_fen)
    app.offered_rate, app.offered_spread_bp = rate, spread
    app.offered_term_months = min(app.term_months, int(out["term_months_max"]) or app.term_months)
    if outcome == "refer" or product.approval_mode == "always":
        _start_approval(session, actor, app, product, rating.output["rating"], outcome)
        return app
    app.approved_amount_fen, app.approved_rate = app.offered_amount_fen, app.offered_rate
    app.approved_term_months = app.offered_term_months
    _set_state(session, actor, app, "approved", by="decision", record_id=pricing.record_id)
    _grant(session, actor, app)
    return app


def _start_approval(session: Session, actor: Principal, app: Application, product: Any, rating: str,
                    outcome: str) -> None:
    from zhanye.workflow import service as workflow

    key = product.approval_process_key
    if workflow.current_definition(session, key, missing_ok=True) is None:
        key = GENERIC_PROCESS
    submitter = actor.staff_id or None
    if submitter is None:  # the customer applied online: their manager follows the approval up
        from zhanye.customers import service as customers

        submitter = customers.get_customer(session, actor=actor, customer_id=app.customer_id).manager_id
    inst = workflow.start(
        session, actor, process_key=key, subject_type=SUBJECT_TYPE, subject_id=app.id, submitter=submitter,
        facts={"amount_fen": app.offered_amount_fen, "requested_fen": app.amount_fen, "product": product.code,
               "rating": rating, "decision": outcome, "rate": str(app.offered_rate),
               "term_months": app.offered_term_months, "application_no": app.number},
        institution_id=app.institution_id,
        summary=f"{app.number} {product.name} {format_yuan(app.offered_amount_fen or 0)}")
    app.approval_instance_id = inst.id
    _set_state(session, actor, app, "in_approval", process=f"{inst.process_key}#{inst.id}", decision=outcome)


def _grant(session: Session, actor: Principal, app: Application) -> None:
    from zhanye.lending.origination import lines

    if not app.can_grant():
        raise _refuse(app, "授信", "granted")
    line = lines.grant_from_application(session, actor=actor, app=app)
    app.line_id = line.id
    _set_state(session, actor, app, "credit_granted", line_id=line.id, limit_fen=line.limit_fen)


def withdraw(session: Session, *, actor: Principal, application_id: int, reason: str) -> Application:
    app = get_application(session, actor=actor, application_id=application_id, for_update=True)
    if not app.can_withdraw():
        raise _refuse(app, "撤回", "withdrawn")
    if app.state == "in_approval" and app.approval_instance_id:
        from zhanye.workflow import service as workflow

        _set_state(session, actor, app, "withdrawn", reason=reason)  # before cancel: its outcome is then ignored
        workflow.cancel(session, actor, instance_id=app.approval_instance_id, reason=reason or "申请撤回")
        return app
    _set_state(session, actor, app, "withdrawn", reason=reason)
    return app


def on_approval_outcome(session: Session, outcome: Any) -> None:
    """Workflow outcome handler for ``loan_application`` (same transaction as the approver's act)."""
    from zhanye.core.context import SYSTEM

    app = session.execute(lock_for_update(select(Application).where(Application.id == int(outcome.subject_id)),
                                          session)).scalar_one_or_none()
    if app is None or app.approval_instance_id != outcome.instance_id:
        return
    actor = _outcome_actor(session, outcome) or SYSTEM
    if outcome.status == "returned":
        if app.state == "in_approval":
            app.approval_returned = True
            audit.record(session, action="application.returned", object_type="loan_application", object_id=app.id,
                         actor=actor, changes={"comment": outcome.comment})
        return
    if outcome.status == "cancelled":
        if app.state == "in_approval":
            _set_state(session, actor, app, "withdrawn", reason=outcome.comment or "approval cancelled")
        return
    if not app.can_take_outcome():
        return  # withdrawn meanwhile: the application keeps its state
    app.approval_returned = False
    app.approval_comment = (outcome.comment or "")[:500]
    if outcome.status == "rejected":
        _set_state(session, actor, app, "rejected", comment=outcome.comment)
        return
    adj = outcome.adjustments or {}
    amount = int(adj.get("approved_amount_fen", app.offered_amount_fen))
    rate = Decimal(str(adj["approved_rate"])) if "approved_rate" in adj else app.offered_rate
    product = products.get_product(session, product_id=app.product_id)
    if not product.min_amount_fen <= amount <= product.max_amount_fen:
        raise ValidationFailed.field(["adjustments", "approved_amount_fen"], "批准金额超出产品金额范围",
                                     "The approved amount is outside the product's range")
    if "approved_rate" in adj:
        _check_rate(product, rate, app)
    app.approved_amount_fen, app.approved_rate = amount, rate
    app.approved_term_months = app.offered_term_months
    _set_state(session, actor, app, "approved", by=outcome.decided_by, amount_fen=amount, rate=str(rate))
    _grant(session, actor, app)


def _check_rate(product: Any, rate: Decimal, app: Application) -> None:
    """An approver's rate stays inside the product: its spread range over the LPR of the offer
    (LPR products) or its fixed-rate range."""
    if product.rate_type == "lpr":
        spread = (app.offered_spread_bp or 0) + (rate - Decimal(app.offered_rate)) * 10000
        lo, hi = product.spread_min_bp, product.spread_max_bp
        ok = spread == spread.to_integral_value() and (lo is None or spread >= lo) and (hi is None or spread <= hi)
    else:
        ok = Decimal(product.fixed_rate_min) <= rate <= Decimal(product.fixed_rate_max)
    if not ok:
        raise ValidationFailed.field(["adjustments", "approved_rate"], "批准利率超出产品利率区间",
                                     "The approved rate is outside the product's rate range")


def _outcome_actor(session: Session, outcome: Any) -> Principal | None:
    """The approver acting now (HTTP requests set it); else the bootstrap principal (CLI, tests,
    scans) so the line can still be granted — the workflow's own audit names the approver."""
    from zhanye.core.context import current_principal
    from zhanye.org import service as org_service

    p = current_principal()
    if p is not None and p.sees_institution(outcome.institution_id):
        return p
    return org_service.system_principal(session)


def _rate(value: Decimal | None) -> str | None:
    return None if value is None else str(Decimal(value).normalize())


def application_out(app: Application) -> dict[str, Any]:
    zh, en = STATE_NAMES[app.state]
    decision = json.loads(app.decision_json) if app.decision_json else None
    return {
        "id": app.id, "number": app.number, "institution_id": app.institution_id, "customer_id": app.customer_id,
        "product_id": app.product_id, "channel": app.channel, "state": app.state, "state_name": zh,
        "state_name_en": en, "amount_fen": app.amount_fen, "amount_yuan": format_yuan(app.amount_fen),
        "term_months": app.term_months, "method": app.method, "guarantee": app.guarantee, "purpose": app.purpose,
        "payee": {"name": app.payee_name, "account": app.payee_account_masked, "bank": app.payee_bank}
        if app.payee_account_masked else None,
        "image_refs": json.loads(app.image_refs), "declared": json.loads(app.declared_json),
        "bureau": json.loads(app.bureau_json) if app.bureau_json else None,
        "facts": json.loads(app.facts_json) if app.facts_json else None,
        "decision": decision, "reasons": json.loads(app.reasons),
        "decision_records": {"admission": app.admission_record_id, "rating": app.rating_record_id,
                             "pricing": app.pricing_record_id},
        "offer": {"amount_fen": app.offered_amount_fen, "annual_rate": _rate(app.offered_rate),
                  "spread_bp": app.offered_spread_bp, "term_months": app.offered_term_months}
        if app.offered_amount_fen is not None else None,
        "approval": {"instance_id": app.approval_instance_id, "returned": app.approval_returned,
                     "comment": app.approval_comment},
        "approved": {"amount_fen": app.approved_amount_fen, "annual_rate": _rate(app.approved_rate),
                     "term_months": app.approved_term_months} if app.approved_amount_fen is not None else None,
        "line_id": app.line_id, "created_by": app.created_by, "created_at": app.created_at,
        "submitted_at": app.submitted_at, "decided_at": app.decided_at,
        "allowed": {"edit": app.can_edit(), "submit": app.can_submit(), "withdraw": app.can_withdraw()},
    }
