"""The whole origination flow through the HTTP API: application → admission → decision →
approval → line → signed contract → entrusted drawdown → the ledger check passes; and the
refusals on the way answer problem+json and change nothing."""

from __future__ import annotations

import base64
import uuid

from tests.integration.origination.helpers import (
    last_sms_code,
    principal,
    signature_png,
    snapshot,
    verified_customer,
)
from zhanye.lending import products

PAYEE = "6222020000000015"


def e2e_product(db) -> str:  # type: ignore[no-untyped-def]
    """A product copy that always goes to approval and pays entrusted above 10,000 yuan."""
    with db.unit_of_work() as s:
        for p in products.list_products(s):
            if p.code.startswith("TE2E"):
                return p.code
        cfg = products.config_of(products.current_product(s, code="NHXYD")).model_copy(update={
            "name": "端到端测试贷", "approval_mode": "always", "approval_process_key": "loan.approval",
            "entrusted_threshold_fen": 1_000_000})
        code = "TE2E" + uuid.uuid4().hex[:4].upper()
        products.create_product(s, actor=principal(s, "admin"), code=code, config=cfg)
        return code


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def test_whole_flow_through_the_api(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    code = e2e_product(demo_db)
    with demo_db.unit_of_work() as s:
        cust = verified_customer(s, principal(s, "manager1"))
    m1 = auth("manager1")
    body = {"customer_id": cust["customer_id"], "product_code": code, "amount_fen": 4_000_000, "term_months": 12,
            "method": "interest_first", "guarantee": "credit", "purpose": "购买肉牛", "channel": "tablet",
            "declared": {"annual_income_fen": 9_000_000}}
    k = key()
    r = client.post("/api/v1/loan-applications", json=body, headers={**m1, **k})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["state"] == "draft" and app["allowed"]["submit"]
    again = client.post("/api/v1/loan-applications", json=body, headers={**m1, **k})
    assert again.json()["id"] == app["id"] and again.headers.get("Idempotent-Replayed") == "true"

    r = client.post(f"/api/v1/loan-applications/{app['id']}/submit", headers={**m1, **key()})
    assert r.status_code == 200, r.text
    app = r.json()
    assert app["state"] == "in_approval", app
    assert app["decision"]["outcome"] in ("approve", "refer") and all(app["decision_records"].values())
    r = client.post(f"/api/v1/loan-applications/{app['id']}/submit", headers={**m1, **key()})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition"  # double submission

    approver = auth("sub101")
    tasks = client.get("/api/v1/workflow/tasks", params={"page_size": 200}, headers=approver)
    assert tasks.status_code == 200, tasks.text
    tasks = tasks.json()["items"]
    task = next(t for t in tasks if t["subject_type"] == "loan_application" and t["subject_id"] == str(app["id"]))
    r = client.post(f"/api/v1/workflow/tasks/{task['id']}/actions", headers=approver,
                    json={"action": "approve", "comment": "同意", "adjustments": {"approved_amount_fen": 3_500_000}})
    assert r.status_code == 200, r.text
    app = client.get(f"/api/v1/loan-applications/{app['id']}", headers=m1).json()
    assert app["state"] == "credit_granted" and app["approved"]["amount_fen"] == 3_500_000
    line_id = app["line_id"]
    line = client.get(f"/api/v1/credit-lines/{line_id}", headers=m1).json()
    assert line["status"] == "pending_signature" and line["limit_fen"] == 3_500_000

    # drawdown before signing is refused
    r = client.post(f"/api/v1/credit-lines/{line_id}/drawdowns", headers={**m1, **key()},
                    json={"amount_fen": 2_000_000, "term_months": 6, "method": "interest_first",
                          "payee_name": "长春农资有限公司", "payee_account": PAYEE})
    assert r.status_code == 409 and r.json()["code"] == "credit_line_not_active"

    assert client.post(f"/api/v1/credit-lines/{line_id}/signing-code", headers=m1).status_code == 200
    png = base64.b64encode(signature_png()).decode()
    right = last_sms_code(cust["mobile"])
    wrong = "000000" if right != "000000" else "111111"
    r = client.post(f"/api/v1/credit-lines/{line_id}/sign", headers=m1, json={"sms_code": wrong,
                                                                             "signature_png_base64": png})
    assert r.status_code == 422 and r.json()["code"] == "sms_code_invalid", r.text
    r = client.post(f"/api/v1/credit-lines/{line_id}/sign", headers=m1, json={"sms_code": right,
                                                                             "signature_png_base64": png})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and len(r.json()["pdf_sm3"]) == 64

    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=line_id, account_id=cust["account_id"])
    draw = {"amount_fen": 2_000_000, "term_months": 6, "method": "interest_first"}
    r = client.post(f"/api/v1/credit-lines/{line_id}/drawdowns", headers={**m1, **key()}, json=draw)
    assert r.status_code == 422 and r.json()["code"] == "entrusted_payee_required"
    assert r.json()["errors"][0]["field"] == "body.payee_account"
    r = client.post(f"/api/v1/credit-lines/{line_id}/drawdowns", headers=m1, json=draw)
    assert r.status_code == 428
    r = client.post(f"/api/v1/credit-lines/{line_id}/drawdowns", headers={**m1, **key()},
                    json={**draw, "amount_fen": 3_500_001, "payee_name": "长春农资有限公司", "payee_account": PAYEE})
    assert r.status_code == 409 and r.json()["code"] == "insufficient_limit"
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=line_id, account_id=cust["account_id"]) == before

    k = key()
    entrusted = {**draw, "payee_name": "长春农资有限公司", "payee_account": PAYEE, "payee_bank": "中国工商银行"}
    r = client.post(f"/api/v1/credit-lines/{line_id}/drawdowns", headers={**m1, **k}, json=entrusted)
    assert r.status_code == 201, r.text
    dd = r.json()
    assert dd["payment_mode"] == "entrusted" and dd["payee"]["account"].endswith("0015") and dd["loan_id"]
    r2 = client.post(f"/api/v1/credit-lines/{line_id}/drawdowns", headers={**m1, **k}, json=entrusted)
    assert r2.json() == dd and r2.headers.get("Idempotent-Replayed") == "true"
    line = client.get(f"/api/v1/credit-lines/{line_id}", headers=m1).json()
    assert line["available_fen"] == 1_500_000
    with demo_db.unit_of_work(write=False) as s:
        after = snapshot(s, line_id=line_id, account_id=cust["account_id"])
        assert after["balance"] == before["balance"]  # the borrower's e-account never held it
        assert after["servicing_loan"] == before["servicing_loan"] + 1
        from zhanye.ledger.check import check_ledger

        assert check_ledger(s).ok

    # a frozen line refuses; unfreezing restores it (risk staff)
    risk = auth("risk")
    assert client.post(f"/api/v1/credit-lines/{line_id}/freeze", headers=risk, json={"reason": "预警"}).status_code == 200
    r = client.post(f"/api/v1/credit-lines/{line_id}/drawdowns", headers={**m1, **key()},
                    json={**entrusted, "amount_fen": 1_000_000})
    assert r.status_code == 409 and r.json()["code"] == "credit_line_frozen"
    assert client.post(f"/api/v1/credit-lines/{line_id}/freeze", headers=m1, json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/credit-lines/{line_id}/unfreeze", headers=risk,
                       json={"reason": "核实"}).status_code == 200


def test_bad_input_is_a_problem_not_a_500(client, auth) -> None:  # type: ignore[no-untyped-def]
    m1 = auth("manager1")
    r = client.post("/api/v1/loan-applications", headers={**m1, **key()},
                    json={"customer_id": 1, "product_code": "NHXYD", "amount_fen": -5, "term_months": 0,
                          "method": "weekly", "guarantee": "credit", "purpose": "x", "surprise": 1})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"body.amount_fen", "body.term_months", "body.method"} <= fields
    r = client.get("/api/v1/loan-applications/999999999", headers=m1)
    assert r.status_code == 404
    r = client.post("/api/v1/credit-lines/1/sign", headers=m1, json={"sms_code": "123456",
                                                                    "signature_png_base64": "!!!not base64!!!"})
    assert r.status_code in (404, 422)
