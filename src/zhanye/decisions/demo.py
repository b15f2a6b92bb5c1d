"""Demo data of the decision engine: the built-in strategies (authored by ``analyst``, approved by
``analyst2``, activated at the head office) with their test suites, a candidate draft of the
admission strategy, and a few hundred recorded decisions from the demo household data set."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.decisions import dataset, service, suites
from zhanye.decisions.strategies.builtin import STRATEGIES, admission_graph
from zhanye.org import service as org_service
from zhanye.org.permissions import DEFAULT_ROLE_PERMISSIONS


def analyst_principal(session: Session, staff_id: int, username: str, institution_id: int) -> Principal:
    return Principal(staff_id=staff_id, username=username, display_name=username, institution_id=institution_id,
                     institution_name="", roles=frozenset({"strategy_analyst"}),
                     permissions=frozenset(DEFAULT_ROLE_PERMISSIONS["strategy_analyst"]),
                     scope_ids=org_service.subtree_ids(session, institution_id))


def install_strategy(session: Session, maker: Principal, checker: Principal, strategy: dict[str, Any]) -> int:
    """Create the decision, its suite and version 1; submit, approve and activate it."""
    service.create_decision(session, maker, key=strategy["key"], name=strategy["name"],
                            description=strategy["description"], input_schema=strategy["input"],
                            output_schema=strategy["output"], branch_override=strategy.get("branch_override", False))
    suites.save_cases(session, maker, key=strategy["key"], cases=[
        {"name": name, "given": given, "expect": expect, "match": "partial"}
        for name, given, expect in strategy["cases"]])
    v = service.create_version(session, maker, key=strategy["key"], content=strategy["graph"]())
    service.submit_version(session, maker, v.id, change_note="内置策略初始版本 / built-in initial version")
    service.approve_version(session, checker, v.id, note="同意上线 / approved")
    service.activate_version(session, checker, v.id)
    return v.id


def stricter_admission() -> dict[str, Any]:
    """A candidate: refer from DTI 45% instead of 50% (for regression demos)."""
    graph = copy.deepcopy(admission_graph())
    for node in graph["nodes"]:
        if node["id"] == "decide":
            for rule in node["content"]["rules"]:
                for col, cell in list(rule.items()):
                    if cell == "> 0.5":
                        rule[col] = "> 0.45"
    return graph


def seed(session: Session, ctx: Any) -> None:
    head = ctx.institutions["000"]
    maker = analyst_principal(session, ctx.staff["analyst"], "analyst", head)
    checker = analyst_principal(session, ctx.staff["analyst2"], "analyst2", head)
    for strategy in STRATEGIES:
        install_strategy(session, maker, checker, strategy)
    service.create_version(session, maker, key="loan.admission", content=stricter_admission(),
                           change_note="负债收入比转人工阈值 50% → 45%")
    rows = dataset.load()[:300]
    for row in rows:
        income = int(row["annual_income_fen"])
        facts = {"age": int(row["age"]), "term_months": 12, "blacklisted": False, "identity_verified": True,
                 "current_overdue_days": 0, "monthly_income_fen": income // 12,
                 "monthly_debt_payment_fen": int(row["existing_debt_fen"]) // 24,
                 "customer_id": int(row["household_id"])}
        service.decide(session, "loan.admission", facts, caller=f"demo:{row['household_id']}", institution_id=head)
        rating = {k: row[k] for k in ("age", "land_mu", "annual_income_fen", "livestock", "existing_debt_fen",
                                      "past_overdue_days")}
        service.decide(session, "loan.rating", {**rating, "customer_id": int(row["household_id"])},
                       caller=f"demo:{row['household_id']}", institution_id=head)
