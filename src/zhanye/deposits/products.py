"""Deposit products (configuration) and the interest quote (试算) shown before confirming."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.errors import Conflict, NotFound, ValidationFailed
from zhanye.core.money import Rounding, interest_fen
from zhanye.deposits.models import INSTRUCTIONS, PRODUCT_KINDS, DepositProduct

CD_MIN_FEN = 20_000_000  # 大额存单: 200,000 yuan for individuals
DEMAND_CODE = "DEMAND"
VALID_TERMS = (3, 6, 12, 24, 36, 60)


def add_months(day: dt.date, months: int) -> dt.date:
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_rate(rate: Decimal) -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0 or rate > Decimal("0.2"):
        raise ValidationFailed.field(["annual_rate"], "年利率须在 0 到 20% 之间", "The annual rate must be 0-20%")
    return rate


def create_product(session: Session, *, actor: Principal, code: str, name: str, kind: str, term_months: int,
                   annual_rate: Decimal, min_amount_fen: int = 0, increment_fen: int = 1,
                   early_withdrawal: bool = True, default_instruction: str = "return") -> DepositProduct:
    if kind not in PRODUCT_KINDS:
        raise ValidationFailed.field(["kind"], "产品类型无效", "Unknown product kind")
    if kind == "demand" and term_months != 0:
        raise ValidationFailed.field(["term_months"], "活期产品无期限", "A demand product has no term")
    if kind != "demand" and term_months not in VALID_TERMS:
        raise ValidationFailed.field(["term_months"], "期限须为 3、6、12、24、36 或 60 个月",
                                     "The term must be 3, 6, 12, 24, 36 or 60 months")
    if kind == "cd" and min_amount_fen < CD_MIN_FEN:
        raise ValidationFailed.field(["min_amount_fen"], "大额存单起存金额不低于 20 万元",
                                     "A large-denomination CD starts at 200,000 yuan")
    if min_amount_fen < 0 or increment_fen <= 0:
        raise ValidationFailed.field(["increment_fen"], "起存金额和递增金额无效", "Bad minimum or increment")
    if default_instruction not in INSTRUCTIONS:
        raise ValidationFailed.field(["default_instruction"], "到期处理方式无效", "Unknown maturity instruction")
    if session.execute(select(DepositProduct.id).where(DepositProduct.code == code)).first():
        raise Conflict(f"产品代码 {code} 已存在", f"Product code {code} exists")
    p = DepositProduct(code=code, name=name, kind=kind, term_months=term_months, annual_rate=_check_rate(annual_rate),
                       min_amount_fen=min_amount_fen, increment_fen=increment_fen, early_withdrawal=early_withdrawal,
                       default_instruction=default_instruction, active=True)
    session.add(p)
    session.flush()
    audit.record(session, action="deposit.product.create", object_type="deposit_product", object_id=p.id,
                 changes={"code": code, "kind": kind, "term_months": term_months, "rate": str(annual_rate)},
                 actor=actor)
    return p


def set_rate(session: Session, *, actor: Principal, product_id: int, annual_rate: Decimal) -> DepositProduct:
    """Change a product's rate: it applies to deposits opened from now on; existing ones keep theirs."""
    p = get_product(session, product_id)
    before = p.annual_rate
    p.annual_rate = _check_rate(annual_rate)
    session.flush()
    audit.record(session, action="deposit.product.rate", object_type="deposit_product", object_id=p.id,
                 changes={"rate": [str(before), str(annual_rate)]}, actor=actor)
    return p


def get_product(session: Session, product_id: int) -> DepositProduct:
    p = session.get(DepositProduct, product_id)
    if p is None:
        raise NotFound("存款产品不存在", "The deposit product does not exist")
    return p


def product_by_code(session: Session, code: str) -> DepositProduct:
    p = session.execute(select(DepositProduct).where(DepositProduct.code == code)).scalar_one_or_none()
    if p is None:
        raise NotFound(f"存款产品 {code} 不存在", f"Deposit product {code} does not exist")
    return p


def demand_rate(session: Session) -> Decimal:
    return product_by_code(session, DEMAND_CODE).annual_rate


def list_products(session: Session, *, active_only: bool = False) -> list[DepositProduct]:
    stmt = select(DepositProduct).order_by(DepositProduct.kind, DepositProduct.term_months, DepositProduct.id)
    if active_only:
        stmt = stmt.where(DepositProduct.active.is_(True))
    return list(session.execute(stmt).scalars())


def quote(product: DepositProduct, amount_fen: int, start: dt.date) -> dict[str, object]:
    """试算: maturity date and interest at maturity (actual days / 360, half-up to the fen)."""
    maturity = add_months(start, product.term_months)
    days = (maturity - start).days
    interest = interest_fen(amount_fen, product.annual_rate, days, Rounding.HALF_UP)
    return {"product_code": product.code, "amount_fen": amount_fen, "annual_rate": product.annual_rate,
            "start_date": start, "maturity_date": maturity, "days": days, "interest_fen": interest,
            "total_fen": amount_fen + interest}
