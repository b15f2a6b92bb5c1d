"""The customer's e-account and loans online: top up from the bound card, see the loan and its
schedule, repay early at the quoted total from the e-account (a stale total is refused), and the
refusals (nothing due yet, another customer's loan or e-account) change nothing."""

from __future__ import annotations

import uuid

from tests.e2e.online.helpers import customer_login, key
from tests.integration.origination.helpers import snapshot
from tests.integration.origination.test_lines_drawdowns import draw, granted_line


def _balance(client, c, account_id: int) -> int:  # type: ignore[no-untyped-def]
    items = client.get("/api/v1/online/eaccounts", headers=c).json()["items"]
    return next(a["balance_fen"] for a in items if a["id"] == account_id)


def test_topup_loan_and_repayment(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db, amount_fen=5_000_000)
    dd = draw(demo_db, cust["line_id"], 1_200_000, f"ol-{uuid.uuid4().hex}")  # self payment into the e-account
    c = customer_login(client, cust)
    acc = cust["account_id"]
    assert _balance(client, c, acc) == 1_200_000

    loans = client.get("/api/v1/online/loans", headers=c).json()["items"]
    assert [ln["id"] for ln in loans] == [dd["loan_id"]]
    loan = client.get(f"/api/v1/online/loans/{dd['loan_id']}", headers=c).json()
    assert loan["outstanding_principal_fen"] == 1_200_000 and loan["due_now_fen"] == 0
    assert len(loan["schedule"]) == 12 and loan["next_installment"]

    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, account_id=acc)
    r = client.post(f"/api/v1/online/loans/{dd['loan_id']}/repayments", headers={**c, **key()},
                    json={"amount_fen": 10_000})
    assert r.status_code == 422 and r.json()["code"] == "nothing_due", r.text
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, account_id=acc) == before

    # early repayment: the quote, then the confirmation at the quoted total (a stale total is refused)
    base = f"/api/v1/online/loans/{dd['loan_id']}"
    quote = client.post(f"{base}/prepayment-quote", headers=c,
                        json={"kind": "partial", "principal_fen": 200_000, "option": "lower_installment"})
    assert quote.status_code == 200, quote.text
    total = quote.json()["total_fen"]
    assert total >= 200_000 and quote.json()["remaining_principal_fen"] == 1_000_000
    body = {"kind": "partial", "principal_fen": 200_000, "option": "lower_installment"}
    r = client.post(f"{base}/prepayments", headers={**c, **key()}, json={**body, "expected_total_fen": total + 1})
    assert r.status_code in (409, 422), r.text
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, account_id=acc) == before
    k = key()
    r = client.post(f"{base}/prepayments", headers={**c, **k}, json={**body, "expected_total_fen": total})
    assert r.status_code == 201, r.text
    again = client.post(f"{base}/prepayments", headers={**c, **k}, json={**body, "expected_total_fen": total})
    assert again.json() == r.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert _balance(client, c, acc) == 1_200_000 - total
    assert client.get(base, headers=c).json()["outstanding_principal_fen"] == 1_000_000
    due = total

    r = client.post(f"/api/v1/online/eaccounts/{acc}/topups", headers={**c, **key()}, json={"amount_fen": 30_000})
    assert r.status_code == 201 and r.json()["status"] == "confirmed", r.text
    assert _balance(client, c, acc) == 1_200_000 - due + 30_000
    with demo_db.unit_of_work(write=False) as s:
        from zhanye.ledger.check import check_ledger

        assert check_ledger(s).ok


def test_loans_and_eaccounts_of_another_customer_are_not_found(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    owner = granted_line(demo_db, amount_fen=5_000_000)
    dd = draw(demo_db, owner["line_id"], 500_000, f"ol-{uuid.uuid4().hex}")
    intruder = granted_line(demo_db, amount_fen=5_000_000, sign=False)
    b = customer_login(client, intruder)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, account_id=owner["account_id"])
    assert client.get(f"/api/v1/online/loans/{dd['loan_id']}", headers=b).status_code == 404
    r = client.post(f"/api/v1/online/loans/{dd['loan_id']}/repayments", headers={**b, **key()},
                    json={"amount_fen": 100})
    assert r.status_code == 404
    r = client.post(f"/api/v1/online/eaccounts/{owner['account_id']}/topups", headers={**b, **key()},
                    json={"amount_fen": 100})
    assert r.status_code == 404
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, account_id=owner["account_id"]) == before


def test_loan_page_and_repay_form(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db, amount_fen=5_000_000)
    dd = draw(demo_db, cust["line_id"], 1_000_000, f"ol-{uuid.uuid4().hex}")
    c = customer_login(client, cust)
    home = client.get("/m", headers=c)
    assert home.status_code == 200 and f'data-testid="loan-{dd["loan_id"]}"' in home.text
    page = client.get(f"/m/loans/{dd['loan_id']}", headers=c)
    assert page.status_code == 200 and 'data-testid="schedule"' in page.text
    r = client.post(f"/m/loans/{dd['loan_id']}/repay", headers=c, data={"token": uuid.uuid4().hex,
                                                                        "amount_yuan": "abc"})
    assert r.status_code == 422 and 'data-testid="repay-error"' in r.text
    r = client.post(f"/m/loans/{dd['loan_id']}/repay", headers=c, data={"token": uuid.uuid4().hex,
                                                                        "amount_yuan": "100"})
    assert r.status_code == 422 and "没有应还款项" in r.text  # nothing due yet
    r = client.post(f"/m/loans/{dd['loan_id']}/prepay-quote", headers=c, data={"kind": "full"})
    assert r.status_code == 200 and 'data-testid="quote"' in r.text
    import re

    total = re.search(r'name="expected_total_fen" value="(\d+)"', r.text)
    assert total, r.text[-1500:]
    token = uuid.uuid4().hex
    form = {"token": token, "kind": "full", "expected_total_fen": total.group(1)}
    first = client.post(f"/m/loans/{dd['loan_id']}/prepay", headers=c, data=form, follow_redirects=False)
    second = client.post(f"/m/loans/{dd['loan_id']}/prepay", headers=c, data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303, first.text[-800:]
    assert "done=prepaid" in first.headers["location"]
    view = client.get(f"/api/v1/online/loans/{dd['loan_id']}", headers=c).json()
    assert view["status"] == "closed" and view["outstanding_principal_fen"] == 0
    r = client.post(f"/m/eaccounts/{cust['account_id']}/topup", headers=c,
                    data={"token": uuid.uuid4().hex, "amount_yuan": "500"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/m?done=topup_confirmed"
