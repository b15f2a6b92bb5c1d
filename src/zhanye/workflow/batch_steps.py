"""The workflow's end-of-day step: the SLA scan (yellow and red cards, due-soon and overdue
notifications), set-based in one transaction, order 900 (after lending, before the date roll)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from zhanye.batch.service import register_step
from zhanye.core.db import utcnow
from zhanye.workflow import sla


def sla_scan_step(session: Session, business_date: dt.date, progress: Any) -> int:
    """Cards are judged against the wall clock (working hours), not the business date."""
    result = sla.scan(session, utcnow())
    progress(result.cards, None)
    return result.cards


register_step("workflow.sla_scan", 900, sla_scan_step, title="Workflow SLA scan (yellow and red cards)",
              chunked=False)
