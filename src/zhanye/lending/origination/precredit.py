"""Whole-village pre-credit (整村授信): for a campaign, the ``village.precredit`` decision runs on
every filed household whose committee review approved it (``villages.service.run_precredit``
with this module's engine registered), the campaign records each limit (its credited rate
updates), and a pre-approved line waits for the household's customer to activate it by signing.

Facts per household come from its members' customer files (income, assets, debts elsewhere,
blacklists). Re-running a campaign does not create a second line for a household.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.decisions import service as decisions
from zhanye.lending import products
from zhanye.lending.origination import lines as lines_service
from zhanye.lending.origination.admission import _file_figures
from zhanye.lending.origination.models import CreditLine
from zhanye.villages import service as villages

DECISION_KEY = "village.precredit"
DEFAULT_PRODUCT = "NHXYD"
_results: ContextVar[dict[int, dict[str, Any]] | None] = ContextVar("origination_precredit_results", default=None)


def household_facts(session: Session, actor: Principal, cand: villages.PrecreditCandidate) -> dict[str, Any]:
    from zhanye.customers import service as customers

    income = assets = debt = 0
    bad = False
    for cid in cand.customer_ids:
        fig = _file_figures(session, actor, cid)
        income += int(fig.get("annual_income_fen", 0))
        assets += int(fig.get("assets_fen", 0))
        debt += int(fig.get("debt_elsewhere_fen", 0))
        bad = bad or customers.customer_facts(session, actor=actor, customer_id=cid).blacklisted
    return {"household_annual_income_fen": income, "assets_fen": assets, "debt_fen": debt,
            "committee_opinion": "recommend", "labour_count": len(cand.customer_ids), "bad_record": bad,
            "household_id": cand.household_id}


def engine(session: Session, actor: Principal, cand: villages.PrecreditCandidate) -> int | None:
    """The pre-credit engine registered with villages: the limit from the decision (None: no customer)."""
    if not cand.customer_ids:
        return None
    facts = household_facts(session, actor, cand)
    res = decisions.decide(session, DECISION_KEY, facts, caller=f"household:{cand.household_id}",
                           institution_id=actor.institution_id or None)
    limit = int(res.output["limit_fen"]) if res.output["decision"] == "grant" else 0
    found = _results.get()
    if found is not None:
        found[cand.household_id] = {"limit_fen": limit, "record_id": res.record_id, "decision": res.output["decision"],
                                    "reasons": res.output["reasons"], "customer_id": cand.customer_ids[0]}
    return limit


villages.register_precredit_engine(engine)


def run_campaign(session: Session, *, actor: Principal, campaign_id: int,
                 product_code: str = DEFAULT_PRODUCT) -> dict[str, Any]:
    """Run the pre-credit decision over the campaign and create the pre-approved lines."""
    product = products.current_product(session, code=product_code)
    villages.register_precredit_engine(engine)
    token = _results.set({})
    try:
        counts = villages.run_precredit(session, actor=actor, campaign_id=campaign_id)
        found = dict(_results.get() or {})
    finally:
        _results.reset(token)
    existing = set(session.execute(select(CreditLine.household_id).where(
        CreditLine.campaign_id == campaign_id, CreditLine.status.in_(("pending_signature", "active")))).scalars())
    created = []
    for household_id, res in sorted(found.items()):
        if res["limit_fen"] < product.min_amount_fen or household_id in existing:
            continue
        line = lines_service.grant_precredit(session, actor=actor, customer_id=res["customer_id"], product=product,
                                             limit_fen=res["limit_fen"], campaign_id=campaign_id,
                                             household_id=household_id, decision_record_id=res["record_id"])
        created.append(line.id)
    audit.record(session, action="campaign.precredit_lines", object_type="campaign", object_id=campaign_id,
                 actor=actor, changes={**counts, "lines": len(created), "product": product.code})
    return {**counts, "lines_created": len(created), "line_ids": created,
            "households": {str(k): {kk: v[kk] for kk in ("decision", "limit_fen", "reasons")}
                           for k, v in sorted(found.items())}}
