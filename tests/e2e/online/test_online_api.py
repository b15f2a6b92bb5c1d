"""The customer's own channel through the HTTP API: login by ID number + mobile + SMS code, an
online application that runs admission, the decision and approval, then signing the line contract
and an entrusted drawdown from the phone; refusals change nothing; tokens stay in their lane."""

from __future__ import annotations

import base64

from tests.e2e.online.helpers import customer_login, key, new_customer
from tests.e2e.origination.test_api_flow import PAYEE, e2e_product
from tests.integration.origination.helpers import last_sms_code, signature_png, snapshot


def test_login_needs_the_mobile_on_file_and_the_code(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = new_customer(demo_db)
    ids = {"id_number": cust["id_number"], "mobile": cust["mobile"]}
    # details that match nobody: the same answer, nothing sent, and no way to log in
    other = {"id_number": cust["id_number"], "mobile": "13800000001"}
    r = client.post("/api/v1/online/login/code", json=other)
    assert r.status_code == 202 and r.json()["sent"] is True and "sandbox_code" not in r.json()
    r = client.post("/api/v1/online/login", json={**other, "code": "123456"})
    assert r.status_code == 401 and r.json()["code"] == "online_login_failed"

    r = client.post("/api/v1/online/login/code", json=ids)
    assert r.status_code == 202 and r.json()["sandbox_code"] == last_sms_code(cust["mobile"])
    right = last_sms_code(cust["mobile"])
    wrong = "000000" if right != "000000" else "111111"
    r = client.post("/api/v1/online/login", json={**ids, "code": wrong})
    assert r.status_code == 422 and r.json()["code"] == "sms_code_invalid"
    assert "4" in r.json()["detail"]  # tries left, counted (committed) before the answer
    r = client.post("/api/v1/online/login", json={**ids, "code": right})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert r.cookies.get("zhanye_customer") == token
    client.cookies.delete("zhanye_customer")
    me = client.get("/api/v1/online/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and "*" in me.json()["name"] and "****" in me.json()["mobile"]
    r = client.post("/api/v1/online/login", json={**ids, "code": right})  # a code is used once
    assert r.status_code == 422

    r = client.post("/api/v1/online/logout", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    assert client.get("/api/v1/online/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_bad_login_input_is_a_problem(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/online/login/code", json={"id_number": "12345", "mobile": "999", "extra": 1})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert {"body.id_number", "body.mobile", "body.extra"} <= {e["field"] for e in r.json()["errors"]}


def test_customer_and_staff_tokens_stay_in_their_lane(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = new_customer(demo_db)
    c = customer_login(client, cust)
    assert client.get("/api/v1/me", headers=c).status_code == 401
    assert client.get("/api/v1/loan-applications", headers=c).status_code == 401
    assert client.get("/api/v1/online/me", headers=auth("manager1")).status_code == 401
    assert client.get("/api/v1/online/me").status_code == 401


def test_online_application_to_drawdown(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    code = e2e_product(demo_db)  # credit-guaranteed, always approved by a person, entrusted above 10,000 yuan
    cust = new_customer(demo_db)
    c = customer_login(client, cust)
    products = client.get("/api/v1/online/products", headers=c).json()["items"]
    codes = {p["code"] for p in products}
    assert code in codes and "NJD" not in codes  # 农机贷 needs a guarantor or collateral: not online

    body = {"product_code": code, "amount_fen": 4_000_000, "term_months": 12, "method": "interest_first",
            "purpose": "购买肉牛", "annual_income_fen": 9_000_000}
    assert client.post("/api/v1/online/loan-applications", headers=c, json=body).status_code == 428
    r = client.post("/api/v1/online/loan-applications", headers=c,
                    json={**body, "product_code": "NJD"} | key())
    assert r.status_code == 422
    k = key()
    r = client.post("/api/v1/online/loan-applications", headers={**c, **k}, json=body)
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["state"] == "draft" and app["channel"] == "online" and app["allowed"]["submit"]
    again = client.post("/api/v1/online/loan-applications", headers={**c, **k}, json=body)
    assert again.json()["id"] == app["id"] and again.headers.get("Idempotent-Replayed") == "true"

    r = client.post(f"/api/v1/online/loan-applications/{app['id']}/submit", headers={**c, **key()})
    assert r.status_code == 200, r.text
    app = r.json()
    assert app["state"] == "in_approval" and app["offer"] and not app["offer"]["final"]
    assert "decision" not in app and "facts" not in app and "bureau" not in app  # the bank's internals stay inside
    r = client.post(f"/api/v1/online/loan-applications/{app['id']}/submit", headers={**c, **key()})
    assert r.status_code == 409  # double submission

    # the bank sees it with the channel, and the customer's manager is the process's submitter
    m1 = auth("manager1")
    staff_view = client.get(f"/api/v1/loan-applications/{app['id']}", headers=m1).json()
    assert staff_view["channel"] == "online" and staff_view["created_by"].startswith("customer:")
    approver = auth("sub101")
    tasks = client.get("/api/v1/workflow/tasks", params={"page_size": 200}, headers=approver).json()["items"]
    task = next(t for t in tasks if t["subject_type"] == "loan_application" and t["subject_id"] == str(app["id"]))
    r = client.post(f"/api/v1/workflow/tasks/{task['id']}/actions", headers=approver,
                    json={"action": "approve", "comment": "同意", "adjustments": {"approved_amount_fen": 3_500_000}})
    assert r.status_code == 200, r.text

    app = client.get(f"/api/v1/online/loan-applications/{app['id']}", headers=c).json()
    assert app["state"] == "credit_granted" and app["offer"]["final"] and app["offer"]["amount_fen"] == 3_500_000
    lines = client.get("/api/v1/online/credit-lines", headers=c).json()["items"]
    line = next(ln for ln in lines if ln["id"] == app["line_id"])
    assert line["status"] == "pending_signature" and line["can_sign"] and not line["can_draw"]

    line_id = line["id"]
    r = client.post(f"/api/v1/online/credit-lines/{line_id}/signing-code", headers=c)
    assert r.status_code == 200, r.text
    png = base64.b64encode(signature_png()).decode()
    r = client.post(f"/api/v1/online/credit-lines/{line_id}/sign", headers=c,
                    json={"sms_code": last_sms_code(cust["mobile"]), "signature_png_base64": png})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "active" and len(r.json()["pdf_sm3"]) == 64

    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=line_id, account_id=cust["account_id"])
    draw = {"amount_fen": 2_000_000, "term_months": 6, "method": "interest_first"}
    r = client.post(f"/api/v1/online/credit-lines/{line_id}/drawdowns", headers={**c, **key()}, json=draw)
    assert r.status_code == 422 and r.json()["code"] == "entrusted_payee_required"
    r = client.post(f"/api/v1/online/credit-lines/{line_id}/drawdowns", headers=c, json=draw)
    assert r.status_code == 428
    r = client.post(f"/api/v1/online/credit-lines/{line_id}/drawdowns", headers={**c, **key()},
                    json={**draw, "amount_fen": 3_500_001, "payee_name": "长春农资有限公司", "payee_account": PAYEE})
    assert r.status_code == 409 and r.json()["code"] == "insufficient_limit"
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=line_id, account_id=cust["account_id"]) == before

    k = key()
    entrusted = {**draw, "payee_name": "长春农资有限公司", "payee_account": PAYEE, "payee_bank": "中国工商银行"}
    r = client.post(f"/api/v1/online/credit-lines/{line_id}/drawdowns", headers={**c, **k}, json=entrusted)
    assert r.status_code == 201, r.text
    dd = r.json()
    assert dd["payment_mode"] == "entrusted" and dd["loan_id"] and dd["payee"]["account"].endswith("0015")
    r2 = client.post(f"/api/v1/online/credit-lines/{line_id}/drawdowns", headers={**c, **k}, json=entrusted)
    assert r2.json() == dd and r2.headers.get("Idempotent-Replayed") == "true"
    assert client.get(f"/api/v1/online/credit-lines/{line_id}", headers=c).json()["available_fen"] == 1_500_000
    assert [d["id"] for d in client.get("/api/v1/online/drawdowns", headers=c).json()["items"]] == [dd["id"]]
    with demo_db.unit_of_work(write=False) as s:
        after = snapshot(s, line_id=line_id, account_id=cust["account_id"])
        assert after["balance"] == before["balance"]  # the borrower's e-account never held it
        from zhanye.ledger.check import check_ledger

        assert check_ledger(s).ok


def test_online_withdraw_and_declined_wording(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = new_customer(demo_db)
    c = customer_login(client, cust)
    body = {"product_code": "NHXYD", "amount_fen": 5_000_000, "term_months": 12, "method": "interest_first",
            "purpose": "春耕"}
    app = client.post("/api/v1/online/loan-applications", headers={**c, **key()}, json=body).json()
    r = client.post(f"/api/v1/online/loan-applications/{app['id']}/withdraw", headers=c, json={"reason": "不需要了"})
    assert r.status_code == 200 and r.json()["state"] == "withdrawn" and not r.json()["allowed"]["withdraw"]
    r = client.post(f"/api/v1/online/loan-applications/{app['id']}/submit", headers={**c, **key()})
    assert r.status_code == 409


def test_a_request_slides_the_session_end(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from sqlalchemy import select

    from zhanye.core.config import get_settings
    from zhanye.core.db import utcnow
    from zhanye.online.models import OnlineSession

    cust = new_customer(demo_db)
    h = customer_login(client, cust)
    idle = dt.timedelta(minutes=get_settings().online_session_minutes)
    stmt = select(OnlineSession).where(OnlineSession.customer_id == cust["customer_id"])
    with demo_db.unit_of_work() as s:
        s.execute(stmt).scalar_one().expires_at = utcnow() + dt.timedelta(minutes=2)  # nearly idle for too long
    assert client.get("/api/v1/online/me", headers=h).status_code == 200
    with demo_db.unit_of_work(write=False) as s:
        assert s.execute(stmt).scalar_one().expires_at > utcnow() + idle - dt.timedelta(minutes=1)
