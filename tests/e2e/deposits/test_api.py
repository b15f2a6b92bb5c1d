"""The e-account, transfer and deposit API over HTTP: idempotency, problem+json refusals that write
nothing, masking, statement CSV."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from tests.conftest import count_rows

CARD = "6222020200112233446"


def _verified_customer(db, code: str, index: int) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        ids = s.execute(text("""SELECT c.id FROM customers_customer c JOIN org_institution i ON i.id = c.institution_id
                                WHERE i.code = :c AND c.identity_verified ORDER BY c.id"""), {"c": code}).scalars().all()
    return int(ids[index])


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def test_open_fund_transfer_statement(client, auth, demo_db) -> None:
    h = auth("manager1")
    cid = _verified_customer(demo_db, "101", 0)
    body = {"customer_id": cid, "eclass": "II", "bound_card": CARD}
    assert client.post("/api/v1/eaccounts", json=body, headers=h).status_code == 428  # key required
    key = _key()
    r = client.post("/api/v1/eaccounts", json=body, headers=h | key)
    assert r.status_code == 201, r.text
    acc = r.json()
    assert acc["bound_card"] == "622202*********3446" and CARD not in r.text  # masked
    again = client.post("/api/v1/eaccounts", json=body, headers=h | key)
    assert again.json()["id"] == acc["id"] and again.headers.get("idempotent-replayed") == "true"

    k = _key()
    order = client.post(f"/api/v1/eaccounts/{acc['id']}/bound-transfers", json={"direction": "in", "amount_fen": 800_000},
                        headers=h | k)
    assert order.status_code == 201, order.text
    assert order.json()["status"] == "pending"
    done = client.post(f"/api/v1/clearing-orders/{order.json()['id']}/confirm", headers=h)
    assert done.json()["status"] == "confirmed"
    assert client.get(f"/api/v1/accounts/{acc['id']}", headers=h).json()["available"]["fen"] == 800_000

    q = client.get("/api/v1/term-deposits/quote", params={"product_id": _product(client, h, "JHC1Y"),
                                                         "amount_fen": 500_000}, headers=h)
    assert q.status_code == 200 and q.json()["interest_fen"] == 7_351  # 500,000 × 1.45% × 365/360 = 7,350.69
    buy = client.post(f"/api/v1/eaccounts/{acc['id']}/term-deposits",
                      json={"product_id": _product(client, h, "JHC1Y"), "amount_fen": 500_000}, headers=h | _key())
    assert buy.status_code == 201, buy.text
    st = client.get(f"/api/v1/accounts/{acc['id']}/statement", headers=h).json()
    assert st["total"] == 2 and st["items"][-1]["balance_after"]["fen"] == 300_000
    csv = client.get(f"/api/v1/accounts/{acc['id']}/statement", params={"format": "csv"}, headers=h)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "3000.00" in csv.text and acc["number"] in csv.text


def _product(client, h, code: str) -> int:  # type: ignore[no-untyped-def]
    return next(p["id"] for p in client.get("/api/v1/deposit-products", headers=h).json()["items"] if p["code"] == code)


def test_bad_transfers_are_problems_and_write_nothing(client, auth, demo_db) -> None:
    h = auth("manager1")
    accounts = client.get("/api/v1/eaccounts", headers=h).json()["items"]
    src = next(a for a in accounts if a["eclass"] == "II" and a["available"]["fen"] > 0)
    dst = next(a for a in accounts if a["id"] != src["id"])
    before = (count_rows(demo_db, "ledger_entry"), count_rows(demo_db, "ledger_line"))
    bal = client.get(f"/api/v1/accounts/{src['id']}", headers=h).json()["balance"]["fen"]
    for amount, status in ((0, 422), (-5, 422), (1.5, 422), ("100", 422), (10**15 + 1, 422), (10**14, 422)):
        r = client.post("/api/v1/transfers", json={"from_account_id": src["id"], "to_account_id": dst["id"],
                                                   "amount_fen": amount}, headers=h | _key())
        assert r.status_code == status, (amount, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post("/api/v1/transfers", json={"from_account_id": src["id"], "to_account_id": dst["id"],
                                               "amount_fen": 100, "extra": 1}, headers=h | _key())
    assert r.status_code == 422
    assert (count_rows(demo_db, "ledger_entry"), count_rows(demo_db, "ledger_line")) == before
    assert client.get(f"/api/v1/accounts/{src['id']}", headers=h).json()["balance"]["fen"] == bal


def test_other_institution_is_404_and_no_permission_403(client, auth) -> None:
    other = client.get("/api/v1/eaccounts", headers=auth("manager3")).json()["items"]
    assert other, "manager3 (石桥支行) has demo e-accounts"
    r = client.get(f"/api/v1/accounts/{other[0]['id']}", headers=auth("manager1"))
    assert r.status_code == 404
    assert client.get("/api/v1/ledger/trial-balance", headers=auth("manager1")).status_code == 403
    tb = client.get("/api/v1/ledger/trial-balance", headers=auth("admin")).json()
    assert tb["balanced"] and tb["total_debit"] == tb["total_credit"]
    assert client.get("/api/v1/ledger/check", headers=auth("admin")).json()["ok"]
    assert client.get("/api/v1/eod", headers=auth("admin")).json()["steps"][-1]["name"] == "business_date.roll"
