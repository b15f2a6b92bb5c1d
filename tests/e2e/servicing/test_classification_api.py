"""Manual five-level classification over HTTP: risk staff only, a reason, never better than the
DPD rule; refusals write nothing."""

from __future__ import annotations

from tests.conftest import count_rows
from tests.e2e.authz.servicing import make_loan
from tests.e2e.servicing.test_api import _ctx


def test_risk_manager_classifies_with_a_reason(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx(client, demo_db)
    loan = make_loan(ctx, ctx.own_institution_id)
    url = f"/api/v1/loans/{loan['loan_id']}/classification"
    before = (count_rows(demo_db, "servicing_classification"), count_rows(demo_db, "ledger_entry"))
    r = client.post(url, json={"classification": "substandard", "reason": "经营恶化"}, headers=auth("manager1"))
    assert r.status_code == 403
    r = client.post(url, json={"classification": "substandard"}, headers=auth("risk"))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = client.post(url, json={"classification": "normal", "reason": "无变化"}, headers=auth("risk"))
    assert r.status_code == 409, r.text  # already normal
    assert (count_rows(demo_db, "servicing_classification"), count_rows(demo_db, "ledger_entry")) == before
    r = client.post(url, json={"classification": "substandard", "reason": "经营恶化"}, headers=auth("risk"))
    assert r.status_code == 200, r.text
    assert r.json()["from"] == "normal" and r.json()["to"] == "substandard" and r.json()["source"] == "manual"
    detail = client.get(f"/api/v1/loans/{loan['loan_id']}", headers=auth("risk")).json()
    assert detail["classification"] == "substandard"
    # back to a better class by hand: allowed while the DPD rule (0 days late) gives normal
    r = client.post(url, json={"classification": "special_mention", "reason": "核实后恢复"}, headers=auth("risk"))
    assert r.status_code == 200, r.text
