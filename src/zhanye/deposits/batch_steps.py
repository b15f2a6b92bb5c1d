"""Deposit EOD steps: pending clearing confirmations, demand accrual, quarterly settlement and
term maturities."""

from __future__ import annotations

from zhanye.batch.service import StepContext, register_step
from zhanye.deposits import eaccounts, interest


def clearing_confirmations(ctx: StepContext) -> int:
    """Ask the provider about orders still pending (one order per transaction)."""
    with ctx.unit() as s:
        ids = eaccounts.pending_orders(s, limit=100_000)
    ctx.total(len(ids))
    for oid in ids:
        with ctx.unit() as s:
            eaccounts.finish_clearing(s, actor=ctx.actor, order_id=oid)
        ctx.advance(1)
    return len(ids)


register_step("deposits.clearing", 150, clearing_confirmations, title="Clearing confirmations")
register_step("deposits.demand_accrual", 200, interest.demand_accrual, title="Demand interest accrual")
register_step("deposits.demand_settlement", 210, interest.demand_settlement, title="Quarterly interest settlement")
register_step("deposits.term_maturity", 220, interest.term_maturity, title="Term deposit maturities")
