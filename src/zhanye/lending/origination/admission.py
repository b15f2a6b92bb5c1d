"""Admission (准入) and the automated rating / limit / pricing decision of an application.

Facts come from four places, each through its owner's service:

* the customer file (``customers.service.customer_facts``: age, verification, blacklist hits;
  ``customers.sections.current_sections``: income, assets, land, livestock, debts elsewhere);
* the manager's declared figures on the application (used where the file is silent);
* the bank's own loans (``lending.servicing.service.exposure``: outstanding, overdue, max DPD);
* the credit bureau (``integrations.credit_bureau.query``).

The decisions are ``decisions.service.decide`` calls recorded durably with
``caller="loan_application:<id>"``; their record ids are kept on the application.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import ValidationFailed
from zhanye.decisions import service as decisions
from zhanye.integrations import credit_bureau
from zhanye.lending import lpr as lpr_service
from zhanye.lending.models import LoanProduct
from zhanye.lending.origination.models import Application

GENERIC_ADMISSION = "loan.admission"
GENERIC_RATING = "loan.rating"
GENERIC_PRICING = "loan.limit_pricing"
# product guarantee types → the pricing decision's vocabulary
GUARANTEE_TO_DECISION = {"credit": "credit", "guarantor": "guarantor", "mortgage": "collateral", "pledge": "pledge"}


def decision_key(session: Session, actor: Principal, preferred: str | None, generic: str) -> str:
    """The product's own decision key when that decision exists, else the house strategy.
    (Demo products name per-product keys such as ``loan.admission.farm_credit`` that strategy
    analysts may publish later; until then the built-in strategy decides.)"""
    if preferred and decisions.decision_exists(session, preferred):
        return preferred
    return generic


def exposure(session: Session, *, customer_id: int) -> dict[str, Any]:
    """The customer's loans in this bank (servicing's ``exposure``)."""
    try:
        from zhanye.lending.servicing import service as servicing
    except ModuleNotFoundError:  # servicing not installed: the bank holds no loans to report
        return {"outstanding_fen": 0, "overdue_fen": 0, "max_dpd": 0, "loans": 0, "source": "none"}
    data = dict(servicing.exposure(session, customer_id=customer_id))
    data["source"] = "servicing"
    return data


def max_dpd(session: Session, *, customer_id: int) -> int:
    """The customer's worst days past due in this bank (servicing's ``max_dpd``; 0 without servicing)."""
    try:
        from zhanye.lending.servicing import service as servicing
    except ModuleNotFoundError:  # servicing not installed: the bank holds no loans
        return 0
    return servicing.max_dpd(session, customer_id=customer_id)


def _file_figures(session: Session, actor: Principal, customer_id: int) -> dict[str, int | float]:
    from zhanye.customers import sections

    cur = {k: v.get("data") or {} for k, v in sections.current_sections(session, actor=actor,
                                                                        customer_id=customer_id).items()}
    out: dict[str, int | float] = {}
    inc = cur.get("income")
    if inc:
        out["annual_income_fen"] = sum(int(inc.get(k) or 0) for k in ("farming_fen", "wages_fen", "business_fen",
                                                                        "other_fen"))
    assets = cur.get("assets")
    if assets:
        if assets.get("land_area_mu") is not None:
            out["land_mu"] = float(assets["land_area_mu"])
        out["livestock"] = sum(int(x.get("head_count") or 0) for x in assets.get("livestock") or [])
        out["assets_fen"] = (sum(int(x.get("value_fen") or 0) for x in assets.get("houses") or [])
                             + sum(int(x.get("value_fen") or 0) for x in assets.get("vehicles") or [])
                             + sum(int(x.get("value_fen") or 0) for x in assets.get("livestock") or [])
                             + int(assets.get("deposits_elsewhere_fen") or 0))
    liab = cur.get("liabilities")
    if liab:
        loans = liab.get("loans_elsewhere") or []
        out["debt_elsewhere_fen"] = sum(int(x.get("balance_fen") or 0) for x in loans)
        out["debt_payment_elsewhere_fen"] = sum(int(x.get("monthly_payment_fen") or 0) for x in loans)
    return out


def customer_identity(session: Session, actor: Principal, customer_id: int) -> dict[str, str]:
    """Full name, ID number and mobile for the bureau query and the contract (never returned by
    the API; the contract stores them encrypted)."""
    from zhanye.customers import pii
    from zhanye.customers import service as customers

    cust = customers.get_customer(session, actor=actor, customer_id=customer_id)
    return {"name": pii.dec(cust.name_enc) or "", "id_number": pii.dec(cust.id_number_enc) or "",
            "mobile": pii.dec(cust.mobile_enc) or "", "address": cust.address or ""}


def gather(session: Session, actor: Principal, app: Application, *, on: dt.date) -> dict[str, Any]:
    """Collect every fact the admission and rating decisions need (and what they came from)."""
    from zhanye.customers import service as customers

    cf = customers.customer_facts(session, actor=actor, customer_id=app.customer_id, on=on)
    if cf.age is None:
        raise ValidationFailed.field(["customer", "birth_date"], "客户档案缺少出生日期，无法做准入检查",
                                     "The customer file has no birth date; admission cannot run")
    ident = customer_identity(session, actor, app.customer_id)
    report = credit_bureau.query(id_number=ident["id_number"], name=ident["name"],
                                 authorization_ref=f"application:{app.number}")
    own = exposure(session, customer_id=app.customer_id)
    declared = json.loads(app.declared_json or "{}")
    file = _file_figures(session, actor, app.customer_id)

    def pick(name: str, default: int | float = 0) -> Any:
        return file.get(name) if file.get(name) is not None else declared.get(name, default)

    annual_income = int(pick("annual_income_fen"))
    monthly_debt = (report.monthly_payment_fen + int(pick("debt_payment_elsewhere_fen"))
                    + int(declared.get("other_monthly_payment_fen", 0)))
    existing_debt = report.outstanding_fen + int(own.get("outstanding_fen", 0)) + int(pick("debt_elsewhere_fen"))
    return {
        "customer": {"age": cf.age, "identity_verified": cf.identity_verified, "blacklisted": cf.blacklisted,
                     "blacklist_lists": sorted({h["list_code"] for h in cf.blacklist_hits})},
        "bureau": report.summary(),
        "exposure": own,
        "file": file,
        "declared": declared,
        "admission": {
            "age": cf.age, "term_months": app.term_months, "blacklisted": cf.blacklisted,
            "identity_verified": cf.identity_verified,
            "current_overdue_days": max(report.current_overdue_days, int(own.get("max_dpd", 0))),
            "monthly_income_fen": annual_income // 12, "monthly_debt_payment_fen": monthly_debt,
            "customer_id": app.customer_id,
        },
        "rating": {
            "age": cf.age, "land_mu": float(pick("land_mu")), "annual_income_fen": annual_income,
            "livestock": int(pick("livestock")), "existing_debt_fen": existing_debt,
            "past_overdue_days": report.worst_overdue_days_24m, "customer_id": app.customer_id,
        },
    }


def lpr_string(session: Session, product: LoanProduct, on: dt.date) -> str:
    tenor = product.lpr_tenor or "1y"
    rate = Decimal(lpr_service.lpr_in_force(session, tenor, on).rate)
    return str(rate.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP).normalize())


def offer_rate(session: Session, product: LoanProduct, *, spread_bps: int, on: dt.date) -> tuple[Decimal, int | None]:
    """The annual rate of the offer: the LPR in force plus the decision's spread, kept inside the
    product's spread range (a fixed-rate product: its minimum plus the spread, inside its range)."""
    from zhanye.lending import products

    if product.rate_type == "lpr":
        lo, hi = product.spread_min_bp or 0, product.spread_max_bp if product.spread_max_bp is not None else spread_bps
        spread = min(max(spread_bps, lo), hi)
        return products.price(session, product, on_date=on, spread_bp=spread), spread
    lo_r, hi_r = Decimal(product.fixed_rate_min), Decimal(product.fixed_rate_max)
    rate = min(max(lo_r + Decimal(spread_bps) / Decimal(10000), lo_r), hi_r)
    return products.price(session, product, on_date=on, fixed_rate=rate), None


def run_admission(session: Session, actor: Principal, app: Application, product: LoanProduct,
                  facts: dict[str, Any]) -> decisions.DecisionResult:
    key = decision_key(session, actor, product.admission_decision_key, GENERIC_ADMISSION)
    return decisions.decide(session, key, facts["admission"], caller=f"loan_application:{app.id}",
                            institution_id=app.institution_id)


def run_rating_and_pricing(session: Session, actor: Principal, app: Application, product: LoanProduct,
                           facts: dict[str, Any], *, on: dt.date
                           ) -> tuple[decisions.DecisionResult, decisions.DecisionResult]:
    rating = decisions.decide(session, GENERIC_RATING, facts["rating"], caller=f"loan_application:{app.id}",
                              institution_id=app.institution_id)
    key = decision_key(session, actor, product.pricing_decision_key, GENERIC_PRICING)
    pricing_facts = {"rating": rating.output["rating"], "guarantee_type": GUARANTEE_TO_DECISION[app.guarantee],
                     "annual_income_fen": facts["rating"]["annual_income_fen"], "requested_fen": app.amount_fen,
                     "lpr": lpr_string(session, product, on), "customer_id": app.customer_id}
    pricing = decisions.decide(session, key, pricing_facts, caller=f"loan_application:{app.id}",
                               institution_id=app.institution_id)
    return rating, pricing
