"""Demo data of lending: the LPR history and the demo bank's seven loan products.

LPR values below are the People's Bank of China / National Interbank Funding Center publications
(1-year and over-5-year) from 2023 to the last change known when this file was written
(2025-05-20). Operations MUST maintain newer publications on the LPR page (lpr.manage): the
demo does not know later values and a loan priced after a newer publication would be wrong.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhanye.lending import lpr, products
from zhanye.lending.schemas import ProductConfig

# (tenor, effective date, rate) — published on the 20th (next working day if a holiday).
LPR_HISTORY = [
    ("1y", dt.date(2023, 8, 21), "0.0345"),
    ("5y", dt.date(2023, 6, 20), "0.0420"),
    ("5y", dt.date(2024, 2, 20), "0.0395"),
    ("1y", dt.date(2024, 7, 22), "0.0335"),
    ("5y", dt.date(2024, 7, 22), "0.0385"),
    ("1y", dt.date(2024, 10, 21), "0.0310"),
    ("5y", dt.date(2024, 10, 21), "0.0360"),
    ("1y", dt.date(2025, 5, 20), "0.0300"),
    ("5y", dt.date(2025, 5, 20), "0.0350"),
]

W = 100  # fen per yuan, for readability below

_COMMON: dict[str, Any] = {
    "grace_days": 3, "penalty_uplift": Decimal("0.5"), "compound_interest": True,
    "allocation_order": ["penalty", "compound", "interest", "principal"],
}

PRODUCTS: list[tuple[str, dict[str, Any]]] = [
    ("NHXYD", {
        "name": "农户信用贷", "purpose_category": "farm_production", "customer_type": "farmer",
        "description": "整村授信预授信产品：评议通过的农户凭信用获得循环额度，签约激活，随借随还。",
        "min_amount_fen": 1_000 * W, "max_amount_fen": 300_000 * W, "min_term_months": 1, "max_term_months": 36,
        "rate_type": "lpr", "lpr_tenor": "1y", "spread_min_bp": 50, "spread_max_bp": 150,
        "repayment_methods": ["interest_first", "equal_installment", "equal_principal"],
        "repayment_day_rule": "fixed_day:20", "guarantee_types": ["credit"], "revolving": True,
        "line_validity_months": 36, "entrusted_threshold_fen": 100_000 * W, "prepayment_fee_rule": "none",
        "admission_decision_key": "loan.admission.farm_credit", "pricing_decision_key": "loan.pricing.farm_credit",
        "approval_process_key": "loan.approval.village_credit", "approval_mode": "referred",
    }),
    ("NJD", {
        "name": "农机贷", "purpose_category": "farm_production", "customer_type": "farmer",
        "description": "购置农业机械：受托支付至农机经销商，按月等额还款。",
        "min_amount_fen": 10_000 * W, "max_amount_fen": 500_000 * W, "min_term_months": 6, "max_term_months": 36,
        "rate_type": "lpr", "lpr_tenor": "1y", "spread_min_bp": 80, "spread_max_bp": 200,
        "repayment_methods": ["equal_installment", "equal_principal"], "repayment_day_rule": "fixed_day:20",
        "guarantee_types": ["guarantor", "mortgage"], "revolving": False, "line_validity_months": 6,
        "entrusted_threshold_fen": 50_000 * W, "prepayment_fee_rule": "none",
        "admission_decision_key": "loan.admission.farm", "pricing_decision_key": "loan.pricing.farm",
        "approval_process_key": "loan.approval.standard", "approval_mode": "referred",
    }),
    ("GHD", {
        "name": "工惠贷", "purpose_category": "consumer", "customer_type": "individual",
        "description": "面向工会会员的信用消费贷款，利率优惠。",
        "min_amount_fen": 10_000 * W, "max_amount_fen": 300_000 * W, "min_term_months": 6, "max_term_months": 36,
        "rate_type": "lpr", "lpr_tenor": "1y", "spread_min_bp": 30, "spread_max_bp": 100,
        "repayment_methods": ["equal_installment", "interest_first"], "repayment_day_rule": "loan_date",
        "guarantee_types": ["credit"], "revolving": True, "line_validity_months": 36,
        "entrusted_threshold_fen": 100_000 * W, "prepayment_fee_rule": "none",
        "admission_decision_key": "loan.admission.consumer", "pricing_decision_key": "loan.pricing.consumer",
        "approval_process_key": "loan.approval.standard", "approval_mode": "referred",
    }),
    ("JYKD", {
        "name": "经营快贷", "purpose_category": "business", "customer_type": "individual_business",
        "description": "个体工商户和小微企业主的流动资金贷款，线上申请、自动审批。",
        "min_amount_fen": 10_000 * W, "max_amount_fen": 1_000_000 * W, "min_term_months": 3, "max_term_months": 36,
        "rate_type": "lpr", "lpr_tenor": "1y", "spread_min_bp": 100, "spread_max_bp": 300,
        "repayment_methods": ["interest_first", "equal_installment"], "repayment_day_rule": "fixed_day:21",
        "guarantee_types": ["credit", "guarantor"], "revolving": True, "line_validity_months": 24,
        "entrusted_threshold_fen": 500_000 * W, "prepayment_fee_rule": "none",
        "admission_decision_key": "loan.admission.business", "pricing_decision_key": "loan.pricing.business",
        "approval_process_key": "loan.approval.standard", "approval_mode": "referred",
    }),
    ("XFD", {
        "name": "消费贷", "purpose_category": "consumer", "customer_type": "individual",
        "description": "装修、教育、购车等个人消费，固定利率。",
        "min_amount_fen": 5_000 * W, "max_amount_fen": 200_000 * W, "min_term_months": 3, "max_term_months": 60,
        "rate_type": "fixed", "fixed_rate_min": Decimal("0.0398"), "fixed_rate_max": Decimal("0.0980"),
        "repayment_methods": ["equal_installment", "equal_principal"], "repayment_day_rule": "loan_date",
        "guarantee_types": ["credit", "guarantor"], "revolving": False, "line_validity_months": 6,
        "entrusted_threshold_fen": 50_000 * W, "prepayment_fee_rule": "percent:0.01:12",
        "admission_decision_key": "loan.admission.consumer", "pricing_decision_key": "loan.pricing.consumer",
        "approval_process_key": "loan.approval.standard", "approval_mode": "referred",
    }),
    ("FDJS1", {
        "name": "房抵极速贷（一押）", "purpose_category": "house_mortgage_express",
        "customer_type": "individual_business",
        "description": "以借款人或其家庭自有住房第一顺位抵押，快速评估、循环使用。",
        "min_amount_fen": 100_000 * W, "max_amount_fen": 5_000_000 * W, "min_term_months": 12,
        "max_term_months": 120, "rate_type": "lpr", "lpr_tenor": "5y", "spread_min_bp": 30, "spread_max_bp": 150,
        "repayment_methods": ["interest_first", "equal_installment", "equal_principal"],
        "repayment_day_rule": "fixed_day:21", "guarantee_types": ["mortgage"], "revolving": True,
        "line_validity_months": 120, "entrusted_threshold_fen": 500_000 * W, "prepayment_fee_rule": "none",
        "admission_decision_key": "loan.admission.house_mortgage",
        "pricing_decision_key": "loan.pricing.house_mortgage",
        "approval_process_key": "loan.approval.mortgage", "approval_mode": "always",
    }),
    ("FDJS2", {
        "name": "房抵极速贷（二押）", "purpose_category": "house_mortgage_express",
        "customer_type": "individual_business",
        "description": "住房已有第一顺位抵押时，以剩余价值第二顺位抵押，额度和期限更保守。",
        "min_amount_fen": 50_000 * W, "max_amount_fen": 2_000_000 * W, "min_term_months": 12, "max_term_months": 60,
        "rate_type": "lpr", "lpr_tenor": "1y", "spread_min_bp": 150, "spread_max_bp": 350,
        "repayment_methods": ["interest_first", "equal_installment"], "repayment_day_rule": "fixed_day:21",
        "guarantee_types": ["mortgage", "guarantor"], "revolving": True, "line_validity_months": 60,
        "entrusted_threshold_fen": 300_000 * W, "prepayment_fee_rule": "percent:0.02:24",
        "admission_decision_key": "loan.admission.house_mortgage",
        "pricing_decision_key": "loan.pricing.house_mortgage_second",
        "approval_process_key": "loan.approval.mortgage", "approval_mode": "always",
    }),
]


def seed(session: Session, ctx: Any) -> None:
    from zhanye.org import service as org_service

    actor = org_service.system_principal(session)
    for tenor, day, rate in LPR_HISTORY:
        lpr.add_lpr(session, actor=actor, tenor=tenor, rate=Decimal(rate), effective_date=day,
                    note="中国人民银行授权全国银行间同业拆借中心公布")
    for code, fields in PRODUCTS:
        row = products.create_product(session, actor=actor, code=code,
                                      config=ProductConfig.model_validate({**_COMMON, **fields}))
        ctx.extra.setdefault("loan_products", {})[code] = row.id
    _demo_contracts(session, ctx)


def _demo_contracts(session: Session, ctx: Any) -> None:
    """Two contracts waiting for signature at 柳河支行, so the tablet signing screen can be tried
    before applications and credit lines exist (the later flow creates contracts itself)."""
    from zhanye.core.context import Principal
    from zhanye.lending import contracts
    from zhanye.org import service as org_service

    inst_id, staff_id = ctx.institutions.get("101"), ctx.staff.get("manager1")
    if inst_id is None or staff_id is None:
        return
    actor = Principal(staff_id=staff_id, username="manager1", display_name="客户经理张伟", institution_id=inst_id,
                      institution_name="柳河支行", roles=frozenset({"manager"}), permissions=frozenset(),
                      scope_ids=org_service.subtree_ids(session, inst_id))
    farmer = contracts.PartyData(name="王建国", id_number="22010219850612341" + "8", phone="13800000001",
                                 address="柳河镇红旗村三组")
    contracts.create_line_contract(
        session, actor=actor, party=farmer, product=products.current_product(session, code="NHXYD"),
        limit_fen=20_000_000, annual_rate=Decimal("0.0380"), months=36, start=dt.date(2026, 3, 1), revolving=True,
        source_type="demo", source_id="whole-village-precredit")
    contracts.create_loan_contract(
        session, actor=actor, party=farmer, product=products.current_product(session, code="NJD"),
        amount_fen=12_000_000, months=24, annual_rate=Decimal("0.0380"), method="equal_installment",
        start=dt.date(2026, 3, 5), day_rule="fixed_day:20", purpose="购买拖拉机", payee_name="柳河农机销售有限公司",
        payee_account="6222020000000001", source_type="demo", source_id="tractor")
