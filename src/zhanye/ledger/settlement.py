"""Settlement of clearing in transit (清算资金往来 1131) against the bank's settlement account
(存放中央银行款项 / 清算备付 1011).

A movement through an outside clearing system (a transfer to or from a customer's card at another
bank, an entrusted payment to a payee) is first posted against 1131 while it is in transit. When
the clearing system confirms it, the money has left (or reached) the bank's settlement account:
``settle_clearing`` moves the amount from 1131 to 1011 in the caller's transaction, once per item
(the item's id is the entry's external id). A failed item is reversed instead, so 1131 holds
exactly the items still in transit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import ValidationFailed
from zhanye.ledger.models import JournalEntry

CLEARING_GL = "1131"
SETTLEMENT_GL = "1011"


def settle_clearing(session: Session, *, actor: Principal, institution_id: int, amount_fen: int, direction: str,
                    source_type: str, source_id: str, business_date: dt.date | None = None) -> JournalEntry:
    """``direction`` ``out``: money left the bank (Dr 1131, Cr 1011); ``in``: it arrived (Dr 1011,
    Cr 1131). Idempotent per (source_type, source_id)."""
    from zhanye.ledger.service import credit, debit, post_entry

    if direction == "out":
        legs = [debit(amount_fen, gl=CLEARING_GL), credit(amount_fen, gl=SETTLEMENT_GL)]
    elif direction == "in":
        legs = [debit(amount_fen, gl=SETTLEMENT_GL), credit(amount_fen, gl=CLEARING_GL)]
    else:
        raise ValidationFailed.field(["direction"], "方向须为 in 或 out", "direction must be in or out")
    return post_entry(session, actor=actor, institution_id=institution_id, lines=legs,
                      source_type=f"{source_type}.settle", source_id=source_id, business_date=business_date,
                      description="清算确认：在途资金划转备付金" if direction == "out" else "清算确认：来账入备付金",
                      external_id=f"settle:{source_type}:{source_id}")
