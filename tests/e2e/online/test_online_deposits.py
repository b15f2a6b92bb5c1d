"""Term deposits online: products and a quote, buying from the customer's own class II e-account
(idempotent, refusals change nothing), early withdrawal (one partial, then all) with its quote,
and the pages."""

from __future__ import annotations

import re
import uuid

from tests.e2e.online.helpers import customer_login, key
from tests.integration.origination.helpers import snapshot
from tests.integration.origination.test_lines_drawdowns import draw, granted_line


def _funded_customer(client, demo_db, fen: int = 2_000_000):  # type: ignore[no-untyped-def]
    """A customer whose e-account holds ``fen`` (a self-payment drawdown) and their session."""
    cust = granted_line(demo_db, amount_fen=5_000_000)
    draw(demo_db, cust["line_id"], fen, f"od-{uuid.uuid4().hex}")
    return cust, customer_login(client, cust)


def _balance(client, c, account_id: int) -> int:  # type: ignore[no-untyped-def]
    return next(a["balance_fen"] for a in client.get("/api/v1/online/eaccounts", headers=c).json()["items"]
                if a["id"] == account_id)


def test_buy_and_withdraw_early(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust, c = _funded_customer(client, demo_db)
    acc = cust["account_id"]
    listed = client.get("/api/v1/online/deposit-products", headers=c).json()["items"]
    mins = [p["min_amount_fen"] for p in listed]
    assert mins == sorted(mins)  # what anybody can buy first, large CDs last
    products = {p["code"]: p for p in listed}
    assert "JHC1Y" in products and "DEMAND" not in products
    q = client.post("/api/v1/online/deposit-quote", headers=c, json={"product_code": "JHC1Y", "amount_fen": 1_000_000})
    assert q.status_code == 200 and q.json()["interest_fen"] > 0, q.text

    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, account_id=acc)
    for bad, code in (({"amount_fen": 100}, "deposit_rule"),  # under the 50-yuan minimum
                      ({"amount_fen": 1_000_050}, "deposit_rule"),  # not in steps of 1 yuan
                      ({"amount_fen": 9_000_000}, "insufficient_funds")):
        r = client.post("/api/v1/online/term-deposits", headers={**c, **key()},
                        json={"product_code": "JHC1Y", "eaccount_id": acc, **bad})
        assert r.status_code == 422 and r.json()["code"] == code, r.text
    r = client.post("/api/v1/online/term-deposits", headers=c,
                    json={"product_code": "JHC1Y", "eaccount_id": acc, "amount_fen": 1_000_000})
    assert r.status_code == 428
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, account_id=acc) == before

    k = key()
    body = {"product_code": "JHC1Y", "eaccount_id": acc, "amount_fen": 1_000_000, "instruction": "return"}
    r = client.post("/api/v1/online/term-deposits", headers={**c, **k}, json=body)
    assert r.status_code == 201, r.text
    dep = r.json()
    again = client.post("/api/v1/online/term-deposits", headers={**c, **k}, json=body)
    assert again.json() == dep and again.headers.get("Idempotent-Replayed") == "true"
    assert _balance(client, c, acc) == 1_000_000
    assert [d["id"] for d in client.get("/api/v1/online/term-deposits", headers=c).json()["items"]] == [dep["id"]]

    base = f"/api/v1/online/term-deposits/{dep['id']}"
    q = client.post(f"{base}/withdrawal-quote", headers=c, json={"amount_fen": 400_000}).json()
    assert q["amount_fen"] == 400_000 and q["remaining_fen"] == 600_000
    r = client.post(f"{base}/withdrawals", headers={**c, **key()}, json={"amount_fen": 400_000})
    assert r.status_code == 200 and r.json()["principal_fen"] == 600_000 and r.json()["partial_done"], r.text
    r = client.post(f"{base}/withdrawals", headers={**c, **key()}, json={"amount_fen": 100_000})
    assert r.status_code == 422  # one partial withdrawal only
    r = client.post(f"{base}/withdrawal-quote", headers=c, json={"amount_fen": 100_000})
    assert r.status_code == 422 and r.json()["code"] == "deposit_rule"  # the quote refuses it too
    r = client.post(f"{base}/withdrawals", headers={**c, **key()}, json={})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert _balance(client, c, acc) == 2_000_000  # same business date: no interest
    with demo_db.unit_of_work(write=False) as s:
        from zhanye.ledger.check import check_ledger

        assert check_ledger(s).ok


def test_deposit_pages(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust, c = _funded_customer(client, demo_db, 500_000)
    assert client.get("/m/deposits", headers=c).status_code == 200
    r = client.post("/m/deposits/quote", headers=c, data={"product_code": "JHC3M", "amount_yuan": "10"})
    assert r.status_code == 422 and 'data-testid="deposit-error"' in r.text  # under the minimum
    r = client.post("/m/deposits/quote", headers=c, data={"product_code": "JHC1Y", "amount_yuan": "1000"})
    assert '<option value="renew_all" selected>' in r.text  # the product's own maturity instruction first
    r = client.post("/m/deposits/quote", headers=c, data={"product_code": "JHC3M", "amount_yuan": "1000"})
    assert r.status_code == 200 and 'data-testid="dp-quote-result"' in r.text
    token = re.search(r'name="token" value="([0-9a-f]+)"', r.text).group(1)  # type: ignore[union-attr]
    form = {"token": token, "product_code": "JHC3M", "amount_yuan": "1000", "eaccount_id": str(cust["account_id"]),
            "instruction": "return"}
    first = client.post("/m/deposits/buy", headers=c, data=form, follow_redirects=False)
    second = client.post("/m/deposits/buy", headers=c, data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303 and first.headers["location"] == second.headers["location"]
    assert len(client.get("/api/v1/online/term-deposits", headers=c).json()["items"]) == 1
    page = client.get(first.headers["location"].split("?")[0], headers=c)
    assert page.status_code == 200 and "¥1,000.00" in page.text
    dep_id = int(first.headers["location"].split("?")[0].rsplit("/", 1)[1])
    r = client.post("/m/deposits/buy", headers=c, data={**form, "token": uuid.uuid4().hex, "eaccount_id": "\u00b2"})
    assert r.status_code == 422  # a digit, not a number
    r = client.post(f"/m/deposits/{dep_id}/withdraw", headers=c, follow_redirects=False,
                    data={"token": uuid.uuid4().hex, "kind": "partial", "amount_yuan": ""})
    assert r.status_code == 422 and "请输入支取金额" in r.text  # a blank partial amount is not "all of it"
    assert client.get(f"/api/v1/online/term-deposits/{dep_id}", headers=c).json()["status"] == "active"
    r = client.post(f"/m/deposits/{dep_id}/withdrawal-quote", headers=c,
                    data={"kind": "partial", "amount_yuan": "5000"})  # more than the deposit holds
    assert r.status_code == 422 and "¥1,000.00" in r.text, r.text[:300]
    r = client.post(f"/m/deposits/{dep_id}/withdrawal-quote", headers=c, data={"kind": "full"})
    assert r.status_code == 200 and 'data-testid="wd-quote-result"' in r.text
    r = client.post(f"/m/deposits/{dep_id}/withdraw", headers=c, data={"token": uuid.uuid4().hex, "kind": "full"},
                    follow_redirects=False)
    assert r.status_code == 303 and "done=withdrawn" in r.headers["location"]
    assert client.get(f"/api/v1/online/term-deposits/{dep_id}", headers=c).json()["status"] == "closed"
