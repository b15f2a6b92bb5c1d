"""Ledger EOD steps: hold expiry and dormancy marking (set-based, one transaction each)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from zhanye.batch.service import Progress, register_step
from zhanye.core import audit
from zhanye.ledger import service
from zhanye.ledger.models import LedgerSetting

DEFAULT_DORMANT_DAYS = 365


def dormant_days(session: Session) -> int:
    rec = session.get(LedgerSetting, "dormant_days")
    return int(rec.value) if rec else DEFAULT_DORMANT_DAYS


def hold_expiry(session: Session, business_date: dt.date, progress: Progress) -> int:
    n = service.expire_holds(session, business_date)
    audit.record(session, action="eod.ledger.hold_expiry", object_type="business_date",
                 object_id=str(business_date), changes={"accounts": n})
    progress(n, n)
    return n


def dormancy(session: Session, business_date: dt.date, progress: Progress) -> int:
    days = dormant_days(session)
    n = service.mark_dormant(session, business_date, days=days)
    audit.record(session, action="eod.ledger.dormancy", object_type="business_date",
                 object_id=str(business_date), changes={"accounts": n, "days": days})
    progress(n, n)
    return n


register_step("ledger.hold_expiry", 110, hold_expiry, title="Hold expiry", chunked=False)
register_step("ledger.dormancy", 120, dormancy, title="Dormancy marking", chunked=False)
