"""Use cases of the customer's online channel. The actor is always the customer themselves (a
principal from ``online.auth``); every read and write goes through the owning feature's service
and is narrowed to the actor's own customer id, so another customer's object is "not found".

Online, a customer applies only for credit-guaranteed products (guarantors and collateral need a
manager's visit); the application runs the same admission, decision and approval as one taken on
the tablet, with ``channel = "online"``; referred applications go to the approval process with
the customer's manager as the submitter (who gets it back if the approver asks for more).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import NotFound, ValidationFailed
from zhanye.core.money import format_yuan
from zhanye.lending import products
from zhanye.lending.origination import service as origination
from zhanye.lending.origination.applications import STATE_NAMES
from zhanye.lending.schedules import METHOD_NAMES_ZH

ONLINE_GUARANTEE = "credit"
PURPOSE_NAMES = {"farm_production": ("农户生产", "Farm production"), "consumer": ("消费", "Consumption"),
                 "business": ("经营", "Business"), "house_mortgage": ("房抵", "House mortgage")}
# What a customer is told about an application; the decision's reason codes stay with the bank.
CUSTOMER_NOTES = {
    "draft": ("申请尚未提交", "Not submitted yet"),
    "submitted": ("申请已提交，正在审核", "Submitted and being checked"),
    "deciding": ("正在评估", "Being assessed"),
    "admission_refused": ("很抱歉，您暂不符合该产品的申请条件", "Sorry, you do not meet this product's conditions for now"),
    "declined": ("很抱歉，本次申请未通过", "Sorry, this application was not approved"),
    "in_approval": ("申请已转人工审批，客户经理会与您联系", "A credit officer is reviewing it; your manager will contact you"),
    "approved": ("审批通过，正在生成额度", "Approved; the credit line is being set up"),
    "rejected": ("很抱歉，本次申请未通过审批", "Sorry, the application was not approved"),
    "withdrawn": ("申请已撤回", "Withdrawn"),
    "credit_granted": ("已授信，请签署合同后使用额度", "Credit granted: sign the contract to use the line"),
}


def customer_id_of(actor: Principal) -> int:
    cid = actor.customer_id
    if cid is None:  # a staff principal never reaches here through the routes; belt and braces
        raise NotFound("客户不存在", "The customer does not exist")
    return cid


def _own(obj: Any, actor: Principal, zh: str, en: str) -> Any:
    if obj.customer_id != customer_id_of(actor):
        raise NotFound(zh, en)
    return obj


# --- profile and products --------------------------------------------------------------------------

def profile(session: Session, *, actor: Principal) -> dict[str, Any]:
    from zhanye.customers import service as customers

    cust = customers.get_customer(session, actor=actor, customer_id=customer_id_of(actor))
    view = customers.customer_view(session, cust)
    return {"customer_no": cust.customer_no, "name": view.get("name"), "mobile": view.get("mobile"),
            "institution_id": cust.institution_id, "verified": cust.identity_verified,
            "manager_name": view.get("manager_name")}


def online_products(session: Session) -> list[Any]:
    """Active products a customer may apply for online: those that lend on credit alone."""
    return [p for p in products.list_products(session, include_suspended=False)
            if ONLINE_GUARANTEE in p.guarantee_types.split(",") and p.customer_type != "corporate"]


def product_view(p: Any, *, today: dt.date | None = None) -> dict[str, Any]:
    purpose_zh, purpose_en = PURPOSE_NAMES.get(p.purpose_category, (p.purpose_category, p.purpose_category))
    return {"code": p.code, "name": p.name, "description": p.description, "purpose": purpose_zh,
            "purpose_en": purpose_en, "min_amount_fen": p.min_amount_fen, "max_amount_fen": p.max_amount_fen,
            "amount_range": f"{format_yuan(p.min_amount_fen)} – {format_yuan(p.max_amount_fen)}",
            "min_term_months": p.min_term_months, "max_term_months": p.max_term_months,
            "methods": [{"code": m, "name": METHOD_NAMES_ZH.get(m, m)} for m in p.repayment_methods.split(",")],
            "revolving": p.revolving}


def _online_product(session: Session, code: str) -> Any:
    for p in online_products(session):
        if p.code == code:
            return p
    raise ValidationFailed.field(["body", "product_code"], "该产品不能在线申请", "This product cannot be applied for online")


# --- applications ----------------------------------------------------------------------------------

def create_application(session: Session, *, actor: Principal, product_code: str, amount_fen: int, term_months: int,
                       method: str, purpose: str, annual_income_fen: int | None = None,
                       monthly_debt_payment_fen: int | None = None) -> Any:
    """A draft application of the customer for themselves (channel ``online``)."""
    _online_product(session, product_code)
    declared = {k: v for k, v in {"annual_income_fen": annual_income_fen,
                                  "debt_payment_elsewhere_fen": monthly_debt_payment_fen}.items() if v is not None}
    return origination.create_application(
        session, actor=actor, customer_id=customer_id_of(actor), product_code=product_code, amount_fen=amount_fen,
        term_months=term_months, method=method, guarantee=ONLINE_GUARANTEE, purpose=purpose, channel="online",
        declared=declared)


def get_application(session: Session, *, actor: Principal, application_id: int, for_update: bool = False) -> Any:
    app = origination.get_application(session, actor=actor, application_id=application_id, for_update=for_update)
    return _own(app, actor, "贷款申请不存在", "The loan application does not exist")


def submit_application(session: Session, *, actor: Principal, application_id: int) -> Any:
    get_application(session, actor=actor, application_id=application_id)
    return origination.submit(session, actor=actor, application_id=application_id)


def withdraw_application(session: Session, *, actor: Principal, application_id: int, reason: str) -> Any:
    get_application(session, actor=actor, application_id=application_id)
    return origination.withdraw(session, actor=actor, application_id=application_id, reason=reason or "客户撤回")


def list_applications(session: Session, *, actor: Principal, page: int = 1, page_size: int = 20) -> tuple[list[Any], int]:
    return origination.list_applications(session, actor=actor, customer_id=customer_id_of(actor), page=page,
                                         page_size=page_size)


def _rate_text(rate: Any) -> str | None:
    if rate is None:
        return None
    return f"{(Decimal(rate) * 100).quantize(Decimal('0.01'))}%"


def application_view(session: Session, app: Any) -> dict[str, Any]:
    """What the customer sees of their application: terms, state, the offer; not the bank's scores,
    facts, bureau report or reason codes."""
    product = products.get_product(session, product_id=app.product_id)
    zh, en = STATE_NAMES[app.state]
    note_zh, note_en = CUSTOMER_NOTES[app.state]
    offer = None
    if app.state in ("in_approval", "approved", "credit_granted") and app.offered_amount_fen is not None:
        amount = app.approved_amount_fen if app.approved_amount_fen is not None else app.offered_amount_fen
        rate = app.approved_rate if app.approved_rate is not None else app.offered_rate
        term = app.approved_term_months or app.offered_term_months
        offer = {"amount_fen": amount, "amount_yuan": format_yuan(amount), "annual_rate": _rate_text(rate),
                 "term_months": term, "final": app.state != "in_approval"}
    return {"id": app.id, "number": app.number, "product_code": product.code, "product_name": product.name,
            "amount_fen": app.amount_fen, "amount_yuan": format_yuan(app.amount_fen), "term_months": app.term_months,
            "method": app.method, "method_name": METHOD_NAMES_ZH.get(app.method, app.method),
            "purpose": app.purpose, "channel": app.channel, "state": app.state, "state_name": zh,
            "state_name_en": en, "note": note_zh, "note_en": note_en, "offer": offer, "line_id": app.line_id,
            "created_at": app.created_at, "submitted_at": app.submitted_at,
            "declared": json.loads(app.declared_json or "{}"),
            "allowed": {"submit": app.can_submit(), "withdraw": app.can_withdraw()}}


# --- credit lines, signing, drawdowns --------------------------------------------------------------

def get_line(session: Session, *, actor: Principal, line_id: int) -> Any:
    line = origination.get_line(session, actor=actor, line_id=line_id)
    return _own(line, actor, "授信额度不存在", "The credit line does not exist")


def list_lines(session: Session, *, actor: Principal) -> list[Any]:
    rows, _ = origination.list_lines(session, actor=actor, customer_id=customer_id_of(actor), page_size=50)
    return rows


def line_view(session: Session, line: Any) -> dict[str, Any]:
    out = origination.line_out(line, today=get_business_date(session))
    product = products.get_product(session, product_id=line.product_id)
    keep = ("id", "number", "status", "status_name", "status_name_en", "frozen", "limit_fen", "limit_yuan",
            "used_fen", "available_fen", "available_yuan", "rate_type", "revolving", "max_term_months",
            "valid_from", "valid_until", "contract_id")
    view = {k: out[k] for k in keep}
    view.update({"product_code": product.code, "product_name": product.name,
                 "annual_rate": _rate_text(line.annual_rate), "can_sign": line.can_sign(),
                 "can_draw": line.status == "active" and not line.frozen and line.available_fen > 0,
                 "entrusted_threshold_fen": product.entrusted_threshold_fen,
                 "entrusted_threshold_yuan": format_yuan(product.entrusted_threshold_fen),
                 "methods": [{"code": m, "name": METHOD_NAMES_ZH.get(m, m)} for m in product.repayment_methods.split(",")]})
    return view


def request_signing_code(session: Session, *, actor: Principal, line_id: int) -> dict[str, Any]:
    get_line(session, actor=actor, line_id=line_id)
    return origination.request_signing_code(session, actor=actor, line_id=line_id)


def sign_line(session: Session, *, actor: Principal, line_id: int, signature_png: bytes, sms_code: str) -> Any:
    get_line(session, actor=actor, line_id=line_id)
    return origination.sign(session, actor=actor, line_id=line_id, signature_png=signature_png, sms_code=sms_code)


def contract_html(session: Session, *, actor: Principal, line_id: int) -> str:
    from zhanye.lending import contracts

    line = get_line(session, actor=actor, line_id=line_id)
    if line.contract_id is None:
        return ""
    return contracts.render_html(contracts.get_contract(session, actor=actor, contract_id=line.contract_id))


def create_drawdown(session: Session, *, actor: Principal, line_id: int, key: str, amount_fen: int, term_months: int,
                    method: str, payee_name: str | None = None, payee_account: str | None = None,
                    payee_bank: str | None = None, purpose: str = "") -> Any:
    get_line(session, actor=actor, line_id=line_id)
    return origination.create_drawdown(
        session, actor=actor, line_id=line_id, request_key=f"online:{customer_id_of(actor)}:{key}",
        amount_fen=amount_fen, term_months=term_months, method=method, payee_name=payee_name,
        payee_account=payee_account, payee_bank=payee_bank, purpose=purpose)


def get_drawdown(session: Session, *, actor: Principal, drawdown_id: int) -> Any:
    dd = origination.get_drawdown(session, actor=actor, drawdown_id=drawdown_id)
    return _own(dd, actor, "用信记录不存在", "The drawdown does not exist")


def list_drawdowns(session: Session, *, actor: Principal) -> list[Any]:
    rows, _ = origination.list_drawdowns(session, actor=actor, customer_id=customer_id_of(actor), page_size=50)
    return rows


def drawdown_view(dd: Any) -> dict[str, Any]:
    out = origination.drawdown_out(dd)
    keep = ("id", "number", "line_id", "loan_id", "amount_fen", "amount_yuan", "term_months", "method",
            "payment_mode", "payee", "business_date", "clearing_status", "created_at")
    view = {k: out[k] for k in keep}
    view["annual_rate"] = _rate_text(dd.annual_rate)
    view["method_name"] = METHOD_NAMES_ZH.get(dd.method, dd.method)
    return view
