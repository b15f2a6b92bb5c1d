"""Loan products: versioned configuration. A product is identified by its code; each edit adds
a version and existing versions never change. Applications, lines and loans keep the id of the
version they were made under.

Later rounds call:
* ``current_product(session, code=...)`` / ``get_product(session, product_id=...)``
* ``check_loan_terms(product, amount_fen=..., months=..., method=..., guarantee=...)``
* ``price(session, product, on_date=..., spread_bp=... | fixed_rate=...)`` → the annual rate.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.db import lock_for_update
from zhanye.core.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from zhanye.core.money import format_yuan
from zhanye.lending import lpr as lpr_service
from zhanye.lending.models import LoanProduct
from zhanye.lending.schedules import METHOD_NAMES_ZH, DayRule, Method
from zhanye.lending.schemas import ProductConfig

PURPOSES = {"farm_production": "农户生产", "consumer": "消费", "business": "经营",
            "house_mortgage_express": "房抵极速贷"}
CUSTOMER_TYPES = {"farmer": "农户", "individual": "个人", "individual_business": "个体工商户",
                  "small_enterprise": "小微企业主"}
GUARANTEES = {"credit": "信用", "guarantor": "保证", "mortgage": "抵押", "pledge": "质押"}
ALLOCATION = {"penalty": "罚息", "compound": "复利", "interest": "利息", "principal": "本金"}
DEFAULT_ALLOCATION = ["penalty", "compound", "interest", "principal"]
LIST_FIELDS = ("repayment_methods", "allocation_order", "guarantee_types")
RATE_CEILING = Decimal("0.24")


class ProductTermsRefused(DomainError):
    code = "product_terms_refused"
    status = 422
    title_zh = "不符合产品规定"
    title_en = "Outside the product's terms"


def _err(errors: list[FieldError], field: str, zh: str, en: str) -> None:
    errors.append(FieldError(field.split("."), zh, en))


def parse_prepayment_rule(text: str) -> tuple[Decimal, int | None] | None:
    """``none`` | ``percent:<rate>`` | ``percent:<rate>:<months>`` (fee on the prepaid principal,
    only within the first <months> months when given). Returns None for no fee."""
    if text == "none":
        return None
    parts = text.split(":")
    if parts[0] != "percent" or len(parts) not in (2, 3):
        raise ValueError(text)
    rate = Decimal(parts[1])
    if not rate.is_finite() or not Decimal(0) < rate <= Decimal("0.05"):
        raise ValueError(text)
    months = int(parts[2]) if len(parts) == 3 else None
    if months is not None and not 1 <= months <= 120:
        raise ValueError(text)
    return rate, months


def validate_config(cfg: ProductConfig) -> None:
    """Cross-field rules of a product configuration; every broken rule is reported at once."""
    errors: list[FieldError] = []
    if cfg.min_amount_fen > cfg.max_amount_fen:
        _err(errors, "min_amount_fen", "最低金额不能高于最高金额", "The minimum amount is above the maximum")
    if cfg.min_term_months > cfg.max_term_months:
        _err(errors, "min_term_months", "最短期限不能长于最长期限", "The minimum term is above the maximum")
    if cfg.rate_type == "fixed":
        if cfg.fixed_rate_min is None or cfg.fixed_rate_max is None:
            _err(errors, "fixed_rate_min", "固定利率产品须设定利率区间", "A fixed-rate product needs a rate range")
        elif not Decimal(0) < cfg.fixed_rate_min <= cfg.fixed_rate_max <= RATE_CEILING:
            _err(errors, "fixed_rate_max", "利率区间须满足 0 < 下限 ≤ 上限 ≤ 24%",
                 "The rate range must satisfy 0 < min ≤ max ≤ 24%")
        if cfg.lpr_tenor is not None or cfg.spread_min_bp is not None or cfg.spread_max_bp is not None:
            _err(errors, "lpr_tenor", "固定利率产品不设 LPR 期限和加点", "A fixed-rate product has no LPR tenor or spread")
    else:
        if cfg.lpr_tenor is None:
            _err(errors, "lpr_tenor", "LPR 定价产品须选择 1 年期或 5 年期以上 LPR",
                 "An LPR-priced product needs the 1-year or over-5-year LPR")
        if cfg.spread_min_bp is None or cfg.spread_max_bp is None:
            _err(errors, "spread_min_bp", "LPR 定价产品须设定加点区间（基点）",
                 "An LPR-priced product needs a spread range in basis points")
        elif cfg.spread_min_bp > cfg.spread_max_bp:
            _err(errors, "spread_min_bp", "加点下限不能高于上限", "The minimum spread is above the maximum")
        if cfg.fixed_rate_min is not None or cfg.fixed_rate_max is not None:
            _err(errors, "fixed_rate_min", "LPR 定价产品不设固定利率", "An LPR-priced product has no fixed rate")
    if len(set(cfg.repayment_methods)) != len(cfg.repayment_methods):
        _err(errors, "repayment_methods", "还款方式重复", "A repayment method is listed twice")
    if "bullet" in cfg.repayment_methods and cfg.max_term_months > 12:
        _err(errors, "repayment_methods", "利随本清仅适用于一年（含）以内的贷款",
             "Bullet repayment is only for terms up to 12 months")
    try:
        DayRule.parse(cfg.repayment_day_rule)
    except ValidationFailed:
        _err(errors, "repayment_day_rule", "还款日规则应为 loan_date 或 fixed_day:1-28",
             "The repayment day rule must be loan_date or fixed_day:1-28")
    if not Decimal("0.3") <= cfg.penalty_uplift <= Decimal("0.5"):
        _err(errors, "penalty_uplift", "罚息上浮比例须在 30% 到 50% 之间（0.3-0.5）",
             "The penalty uplift must be between 30% and 50% (0.3-0.5)")
    if sorted(cfg.allocation_order) != sorted(DEFAULT_ALLOCATION):
        _err(errors, "allocation_order", "还款冲抵顺序须包含罚息、复利、利息、本金各一次",
             "The allocation order must list penalty, compound, interest and principal once each")
    if len(set(cfg.guarantee_types)) != len(cfg.guarantee_types):
        _err(errors, "guarantee_types", "担保方式重复", "A guarantee type is listed twice")
    if cfg.purpose_category == "house_mortgage_express" and "mortgage" not in cfg.guarantee_types:
        _err(errors, "guarantee_types", "房抵极速贷须以房产抵押担保", "A house-mortgage product needs the mortgage guarantee")
    if cfg.entrusted_threshold_fen > cfg.max_amount_fen:
        _err(errors, "entrusted_threshold_fen", "受托支付起点不能高于最高金额",
             "The entrusted-payment threshold cannot exceed the maximum amount")
    try:
        parse_prepayment_rule(cfg.prepayment_fee_rule)
    except (ValueError, ArithmeticError):
        _err(errors, "prepayment_fee_rule", "提前还款违约金规则应为 none、percent:费率 或 percent:费率:月数（费率 ≤ 5%）",
             "The prepayment fee rule must be none, percent:<rate> or percent:<rate>:<months> (rate ≤ 5%)")
    if errors:
        raise ValidationFailed("产品配置有误", "The product configuration is not valid", errors=errors)


def _columns(cfg: ProductConfig) -> dict[str, Any]:
    data = cfg.model_dump(include=set(ProductConfig.model_fields))
    for name in LIST_FIELDS:
        data[name] = ",".join(data[name])
    data["repayment_day_rule"] = str(DayRule.parse(cfg.repayment_day_rule))
    return data


def config_of(product: LoanProduct) -> ProductConfig:
    data = {name: getattr(product, name) for name in ProductConfig.model_fields}
    for name in LIST_FIELDS:
        data[name] = [p for p in data[name].split(",") if p]
    for name in ("penalty_uplift", "fixed_rate_min", "fixed_rate_max"):
        if data[name] is not None:  # NUMERIC(12, 8) reads back as 0.50000000
            data[name] = Decimal(data[name]).normalize()
    return ProductConfig.model_validate(data)


def _insert(session: Session, row: LoanProduct) -> None:
    """Insert in a savepoint: a concurrent writer of the same code/version is a 409, not a 500."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict("产品已被他人同时修改，请刷新后重试",
                       "The product was changed at the same moment by someone else; reload and retry") from exc


def create_product(session: Session, *, actor: Principal, code: str, config: ProductConfig) -> LoanProduct:
    validate_config(config)
    if session.execute(select(LoanProduct.id).where(LoanProduct.code == code).limit(1)).first():
        raise Conflict(f"产品代码 {code} 已存在", f"The product code {code} already exists")
    row = LoanProduct(code=code, version=1, created_by=actor.username, change_note="", **_columns(config))
    _insert(session, row)
    audit.record(session, action="loan_product.create", object_type="loan_product", object_id=row.id, actor=actor,
                 changes={"code": code, "version": 1, **config.model_dump(mode="json")})
    return row


def edit_product(session: Session, *, actor: Principal, code: str, config: ProductConfig, change_note: str = "",
                 base_version: int | None = None) -> LoanProduct:
    """Add a new version of ``code``; the versions before it stay as they were."""
    validate_config(config)
    current = session.execute(lock_for_update(
        select(LoanProduct).where(LoanProduct.code == code).order_by(LoanProduct.version.desc()).limit(1),
        session)).scalar_one_or_none()
    if current is None:
        raise NotFound(f"产品 {code} 不存在", f"The product {code} does not exist")
    if base_version is not None and base_version != current.version:
        raise Conflict(f"产品已被他人修改（当前为第 {current.version} 版），请刷新后再改",
                       f"The product was changed meanwhile (now version {current.version}); reload and edit again",
                       current_version=current.version)
    before, after = config_of(current).model_dump(), config.model_dump()  # Decimals compare by value
    before_json, after_json = config_of(current).model_dump(mode="json"), config.model_dump(mode="json")
    changed = {k: {"from": before_json[k], "to": after_json[k]} for k in after if before.get(k) != after[k]}
    if not changed:
        raise ValidationFailed("配置没有变化，不产生新版本", "Nothing changed; no new version is made")
    row = LoanProduct(code=code, version=current.version + 1, created_by=actor.username,
                      change_note=change_note, **_columns(config))
    _insert(session, row)
    audit.record(session, action="loan_product.new_version", object_type="loan_product", object_id=row.id,
                 actor=actor, changes={"code": code, "version": row.version, "changed": changed,
                                       "note": change_note})
    return row


def get_product(session: Session, *, product_id: int) -> LoanProduct:
    row = session.get(LoanProduct, product_id)
    if row is None:
        raise NotFound("贷款产品不存在", "The loan product does not exist")
    return row


def current_product(session: Session, *, code: str) -> LoanProduct:
    row = session.execute(select(LoanProduct).where(LoanProduct.code == code)
                          .order_by(LoanProduct.version.desc()).limit(1)).scalar_one_or_none()
    if row is None:
        raise NotFound(f"产品 {code} 不存在", f"The product {code} does not exist")
    return row


def list_products(session: Session, *, include_suspended: bool = True) -> list[LoanProduct]:
    """The current (latest) version of every product."""
    latest = (select(LoanProduct.code, func.max(LoanProduct.version).label("v"))
              .group_by(LoanProduct.code).subquery())
    stmt = (select(LoanProduct).join(latest, (LoanProduct.code == latest.c.code)
                                     & (LoanProduct.version == latest.c.v)).order_by(LoanProduct.code))
    rows = list(session.execute(stmt).scalars())
    return rows if include_suspended else [r for r in rows if r.status == "active"]


def product_versions(session: Session, *, code: str) -> list[LoanProduct]:
    rows = list(session.execute(select(LoanProduct).where(LoanProduct.code == code)
                                .order_by(LoanProduct.version.desc())).scalars())
    if not rows:
        raise NotFound(f"产品 {code} 不存在", f"The product {code} does not exist")
    return rows


def check_loan_terms(product: LoanProduct, *, amount_fen: int, months: int, method: str,
                     guarantee: str | None = None) -> None:
    """Refuse an amount, term, method or guarantee outside the product version's terms."""
    errors: list[FieldError] = []
    if product.status != "active":
        raise ProductTermsRefused(f"产品 {product.name} 已暂停", f"The product {product.code} is suspended")
    if not product.min_amount_fen <= amount_fen <= product.max_amount_fen:
        _err(errors, "amount_fen", f"金额须在 {format_yuan(product.min_amount_fen)} 到 {format_yuan(product.max_amount_fen)} 之间",
             f"The amount must be between {format_yuan(product.min_amount_fen)} and {format_yuan(product.max_amount_fen)}")
    if not product.min_term_months <= months <= product.max_term_months:
        _err(errors, "months", f"期限须在 {product.min_term_months} 到 {product.max_term_months} 个月之间",
             f"The term must be {product.min_term_months} to {product.max_term_months} months")
    if method not in product.repayment_methods.split(","):
        _err(errors, "method", "该产品不支持此还款方式", "The product does not offer this repayment method")
    if guarantee is not None and guarantee not in product.guarantee_types.split(","):
        _err(errors, "guarantee", "该产品不支持此担保方式", "The product does not take this guarantee")
    if errors:
        raise ProductTermsRefused("不符合产品规定", "Outside the product's terms", errors=errors)


def price(session: Session, product: LoanProduct, *, on_date: dt.date, spread_bp: int | None = None,
          fixed_rate: Decimal | None = None, lpr_rate: Decimal | None = None) -> Decimal:
    """The annual rate for a loan made on ``on_date``: the LPR in force plus a spread within the
    product's range, or a fixed rate within its range. A caller that has read the LPR in force on
    that day for the product's tenor (``lpr.in_force_subquery``) passes it as ``lpr_rate``."""
    if product.rate_type == "lpr":
        assert product.lpr_tenor is not None and product.spread_min_bp is not None
        spread = product.spread_min_bp if spread_bp is None else spread_bp
        if not product.spread_min_bp <= spread <= (product.spread_max_bp or spread):
            raise ProductTermsRefused(
                f"加点须在 {product.spread_min_bp} 到 {product.spread_max_bp} 个基点之间",
                f"The spread must be {product.spread_min_bp} to {product.spread_max_bp} bp",
                errors=[FieldError(["spread_bp"], "加点超出产品区间", "The spread is outside the product range")])
        value = lpr_rate if lpr_rate is not None else lpr_service.lpr_in_force(session, product.lpr_tenor,
                                                                               on_date).rate
        return lpr_service.rate_from_lpr(Decimal(value), spread)
    assert product.fixed_rate_min is not None and product.fixed_rate_max is not None
    rate = Decimal(product.fixed_rate_min) if fixed_rate is None else fixed_rate
    if not Decimal(product.fixed_rate_min) <= rate <= Decimal(product.fixed_rate_max):
        raise ProductTermsRefused(
            f"利率须在 {product.fixed_rate_min} 到 {product.fixed_rate_max} 之间",
            f"The rate must be between {product.fixed_rate_min} and {product.fixed_rate_max}",
            errors=[FieldError(["annual_rate"], "利率超出产品区间", "The rate is outside the product range")])
    return rate


def product_out(p: LoanProduct) -> dict[str, Any]:
    cfg = config_of(p).model_dump(mode="json")
    return {
        "id": p.id, "code": p.code, "version": p.version, **cfg,
        "purpose_category_name": PURPOSES[p.purpose_category],
        "customer_type_name": CUSTOMER_TYPES[p.customer_type],
        "repayment_method_names": [METHOD_NAMES_ZH[Method(m)] for m in cfg["repayment_methods"]],
        "guarantee_type_names": [GUARANTEES[g] for g in cfg["guarantee_types"]],
        "min_amount_yuan": format_yuan(p.min_amount_fen), "max_amount_yuan": format_yuan(p.max_amount_fen),
        "entrusted_threshold_yuan": format_yuan(p.entrusted_threshold_fen),
        "change_note": p.change_note, "created_at": p.created_at, "created_by": p.created_by,
    }
