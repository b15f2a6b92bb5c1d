"""LPR (贷款市场报价利率) values maintained by operations, with their effective dates.

A loan's rate is fixed at drawdown from the LPR in force that day plus the product spread
(``loan_rate``). Values are never edited: a new publication is a new row; a row entered by
mistake that is not yet in force may be withdrawn (audited).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ScalarSelect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from zhanye.lending.models import LprRate

TENORS = {"1y": ("1年期LPR", "1-year LPR"), "5y": ("5年期以上LPR", "over-5-year LPR")}
BP = Decimal("0.0001")


class LprMissing(DomainError):
    code = "lpr_missing"
    status = 422
    title_zh = "没有生效的LPR"
    title_en = "No LPR value is in force"


def _check_tenor(tenor: str) -> None:
    if tenor not in TENORS:
        raise ValidationFailed.field(["tenor"], "期限品种须为 1y 或 5y", "The tenor must be 1y or 5y")


def add_lpr(session: Session, *, actor: Principal, tenor: str, rate: Decimal, effective_date: dt.date,
            note: str = "") -> LprRate:
    """Record a published LPR value from its effective date."""
    _check_tenor(tenor)
    if not isinstance(rate, Decimal) or not rate.is_finite() or not Decimal(0) < rate < Decimal("0.2"):
        raise ValidationFailed.field(["rate"], "LPR 须为 0 到 0.2 之间的小数（如 0.0300）",
                                     "The LPR must be a decimal between 0 and 0.2 (e.g. 0.0300)")
    if rate != rate.quantize(BP / 100):
        raise ValidationFailed.field(["rate"], "LPR 最多精确到 0.01 个基点", "The LPR has at most 6 decimals")
    exists = session.execute(select(LprRate.id).where(LprRate.tenor == tenor,
                                                      LprRate.effective_date == effective_date)).first()
    if exists:
        raise Conflict(f"{TENORS[tenor][0]} 在 {effective_date} 已有报价",
                       f"The {TENORS[tenor][1]} already has a value effective {effective_date}")
    row = LprRate(tenor=tenor, rate=rate, effective_date=effective_date, note=note, created_by=actor.username)
    try:
        with session.begin_nested():  # a concurrent entry of the same day is a 409, not a 500
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{TENORS[tenor][0]} 在 {effective_date} 已有报价",
                       f"The {TENORS[tenor][1]} already has a value effective {effective_date}") from exc
    audit.record(session, action="lpr.add", object_type="lpr", object_id=row.id, actor=actor,
                 changes={"tenor": tenor, "rate": str(rate), "effective_date": effective_date})
    return row


def withdraw_lpr(session: Session, *, actor: Principal, lpr_id: int, today: dt.date) -> None:
    """Remove a value entered by mistake, only while it is not yet in force."""
    row = session.get(LprRate, lpr_id)
    if row is None:
        raise NotFound("LPR 记录不存在", "The LPR value does not exist")
    if row.effective_date <= today:
        raise Conflict("已生效的 LPR 不能撤销，请录入新的报价",
                       "An LPR already in force cannot be withdrawn; add a new value instead")
    audit.record(session, action="lpr.withdraw", object_type="lpr", object_id=row.id, actor=actor,
                 changes={"tenor": row.tenor, "rate": str(row.rate), "effective_date": row.effective_date})
    session.delete(row)
    session.flush()


def list_lpr(session: Session, *, tenor: str | None = None) -> list[LprRate]:
    stmt = select(LprRate).order_by(LprRate.effective_date.desc(), LprRate.tenor)
    if tenor is not None:
        _check_tenor(tenor)
        stmt = stmt.where(LprRate.tenor == tenor)
    return list(session.execute(stmt).scalars())


def lpr_in_force(session: Session, tenor: str, on_date: dt.date) -> LprRate:
    """The value of ``tenor`` in force on ``on_date`` (the latest with effective date ≤ that day)."""
    _check_tenor(tenor)
    row = session.execute(
        select(LprRate).where(LprRate.tenor == tenor, LprRate.effective_date <= on_date)
        .order_by(LprRate.effective_date.desc()).limit(1)
    ).scalar_one_or_none()
    if row is None:
        raise LprMissing(f"{on_date} 没有生效的{TENORS[tenor][0]}，请运营人员先维护 LPR",
                         f"No {TENORS[tenor][1]} is in force on {on_date}; operations must maintain it first")
    return row


def in_force_subquery(tenor: Any, on_date: Any) -> ScalarSelect[Decimal]:
    """``lpr_in_force(...).rate`` as a scalar subquery (``tenor`` and ``on_date`` may be columns or
    subqueries), for a caller that reads it in a round trip it makes anyway; NULL when none."""
    return (select(LprRate.rate).where(LprRate.tenor == tenor, LprRate.effective_date <= on_date)
            .order_by(LprRate.effective_date.desc()).limit(1).scalar_subquery())


def rate_from_lpr(lpr: Decimal, spread_bp: int) -> Decimal:
    """LPR plus a spread in basis points (1 bp = 0.0001), exact."""
    return lpr + BP * spread_bp


def current_values(session: Session, on_date: dt.date) -> dict[str, LprRate | None]:
    out: dict[str, LprRate | None] = {}
    for tenor in TENORS:
        try:
            out[tenor] = lpr_in_force(session, tenor, on_date)
        except LprMissing:
            out[tenor] = None
    return out
