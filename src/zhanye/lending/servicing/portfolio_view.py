"""Portfolio by five-level classification and DPD band (scoped to the viewer's institutions)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.scope import in_scope
from zhanye.lending.servicing.models import CLASS_CODES, CLASS_NAMES_ZH, Loan

DPD_BANDS = [("current", "正常", 0, 0), ("1-30", "1-30天", 1, 30), ("31-60", "31-60天", 31, 60),
             ("61-90", "61-90天", 61, 90), ("91-180", "91-180天", 91, 180), ("181-360", "181-360天", 181, 360),
             (">360", "360天以上", 361, None)]


def summary(session: Session, *, actor: Principal) -> dict[str, Any]:
    scope = [] if "system" in actor.roles else [in_scope(Loan.institution_id, actor)]
    active = [Loan.status == "active", *scope]
    by_cls = {int(c): (int(n), int(p or 0)) for c, n, p in session.execute(
        select(Loan.cls, func.count(), func.sum(Loan.outstanding_principal_fen)).where(*active)
        .group_by(Loan.cls)).all()}
    band = case(*[(Loan.dpd <= hi, key) for key, _, _, hi in DPD_BANDS if hi is not None], else_=">360")
    by_band = {k: (int(n), int(p or 0)) for k, n, p in session.execute(
        select(band, func.count(), func.sum(Loan.outstanding_principal_fen)).where(*active).group_by(band)).all()}
    total = sum(p for _, p in by_cls.values())
    npl = sum(p for c, (_, p) in by_cls.items() if c >= 2)
    return {
        "classification": [{"code": CLASS_CODES[i], "name": CLASS_NAMES_ZH[i], "loans": by_cls.get(i, (0, 0))[0],
                            "outstanding_fen": by_cls.get(i, (0, 0))[1]} for i in range(5)],
        "dpd_bands": [{"band": k, "name": name, "loans": by_band.get(k, (0, 0))[0],
                       "outstanding_fen": by_band.get(k, (0, 0))[1]} for k, name, _, _ in DPD_BANDS],
        "total_outstanding_fen": total, "npl_outstanding_fen": npl,
        "npl_ratio": f"{(Decimal(npl) * 100 / Decimal(total)).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"
        if total else "0.00%",
    }
