"""Origination EOD step: credit lines whose validity has ended expire (set-based, one transaction)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from zhanye.batch.service import Progress, register_step
from zhanye.core import audit
from zhanye.lending.origination.lines import expire_lines


def line_expiry(session: Session, business_date: dt.date, progress: Progress) -> int:
    n = expire_lines(session, business_date)
    audit.record(session, action="eod.origination.line_expiry", object_type="business_date",
                 object_id=str(business_date), changes={"lines": n})
    progress(n, n)
    return n


register_step("origination.line_expiry", 310, line_expiry, title="Credit line expiry", chunked=False)
