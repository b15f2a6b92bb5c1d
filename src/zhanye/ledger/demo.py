"""Demo chart of accounts: the head office keeps the books for the whole demo bank."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.context import SYSTEM
from zhanye.ledger import chart


def seed(session: Session, ctx: Any) -> None:
    chart.ensure_standard_chart(session, actor=SYSTEM, book_id=ctx.institutions["000"])
