"""A customer reaches only their own objects: every customer route naming an object answers 404 to
another customer of the same sub-branch (the institution scope alone would let them through),
changes nothing, and lists show only the caller's own."""

from __future__ import annotations

import base64
import re

from fastapi.routing import APIRoute
from sqlalchemy import select

from tests.e2e.online.helpers import customer_login, key, new_customer
from tests.integration.origination.helpers import signature_png, snapshot
from zhanye.lending.origination.demo import DEMO_FARMERS, _rid
from zhanye.web.deps import CUSTOMER, all_routes, route_permission

BODIES = {  # a valid body for every customer POST naming an object, so that only ownership can refuse
    "/api/v1/online/loan-applications/{application_id}/submit": None,
    "/api/v1/online/loan-applications/{application_id}/withdraw": {"reason": "x"},
    "/api/v1/online/credit-lines/{line_id}/signing-code": None,
    "/api/v1/online/credit-lines/{line_id}/sign": {"sms_code": "123456",
                                                   "signature_png_base64": base64.b64encode(signature_png()).decode()},
    "/api/v1/online/credit-lines/{line_id}/drawdowns": {"amount_fen": 100_000, "term_months": 3,
                                                        "method": "interest_first"},
    "/api/v1/online/eaccounts/{account_id}/topups": {"amount_fen": 100},
    "/api/v1/online/loans/{loan_id}/repayments": {"amount_fen": 100},
    "/api/v1/online/loans/{loan_id}/prepayment-quote": {"kind": "full"},
    "/api/v1/online/loans/{loan_id}/prepayments": {"kind": "full", "expected_total_fen": 100},
    "/api/v1/online/term-deposits/{deposit_id}/withdrawal-quote": {},
    "/api/v1/online/term-deposits/{deposit_id}/withdrawals": {},
    "/m/applications/{application_id}/withdraw": None,
    "/m/deposits/{deposit_id}/withdrawal-quote": ("form", {"kind": "full"}),
    "/m/deposits/{deposit_id}/withdraw": ("form", {"kind": "full"}),
    "/m/eaccounts/{account_id}/topup": ("form", {"amount_yuan": "1"}),
    "/m/loans/{loan_id}/repay": ("form", {"amount_yuan": "1"}),
    "/m/loans/{loan_id}/prepay-quote": ("form", {"kind": "full"}),
    "/m/loans/{loan_id}/prepay": ("form", {"kind": "full", "expected_total_fen": "100"}),
    "/m/lines/{line_id}/draw": ("form", {"amount_yuan": "1000", "term_months": "3", "method": "interest_first"}),
}


def _demo_farmer(demo_db):  # type: ignore[no-untyped-def]
    """孙丰收 of the demo bank: an application, a signed line, a drawdown, its loan and his e-account
    (a term deposit is bought below)."""
    from zhanye.customers import pii
    from zhanye.customers.models import Customer
    from zhanye.lending.origination.models import Application, CreditLine, Drawdown
    from zhanye.lending.servicing.models import Loan

    name, birth, seq, mobile, *_ = DEMO_FARMERS[0]
    number = _rid(birth, seq)
    with demo_db.unit_of_work(write=False) as s:
        cid = s.execute(select(Customer.id).where(Customer.id_number_bidx == pii.id_bidx(number))).scalar_one()
        ids = {"application_id": s.execute(select(Application.id).where(Application.customer_id == cid)).scalars().first(),
               "line_id": s.execute(select(CreditLine.id).where(CreditLine.customer_id == cid)).scalars().first(),
               "drawdown_id": s.execute(select(Drawdown.id).where(Drawdown.customer_id == cid)).scalars().first(),
               "loan_id": s.execute(select(Loan.id).where(Loan.customer_id == cid)).scalars().first()}
        ids["account_id"] = s.execute(select(Loan.repay_account_id).where(Loan.id == ids["loan_id"])).scalar_one()
    assert all(ids.values()), ids
    return {"id_number": number, "mobile": mobile, "customer_id": cid}, ids


def test_every_customer_object_route_refuses_another_customer(app, client, demo_db) -> None:  # type: ignore[no-untyped-def]
    owner, ids = _demo_farmer(demo_db)
    a = customer_login(client, owner)
    r = client.post("/api/v1/online/term-deposits", headers={**a, **key()},
                    json={"product_code": "JHC3M", "eaccount_id": ids["account_id"], "amount_fen": 10_000})
    assert r.status_code == 201, r.text
    ids["deposit_id"] = r.json()["id"]
    intruder = new_customer(demo_db)  # same sub-branch (柳河支行) as the demo farmer
    b = customer_login(client, intruder)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, line_id=ids["line_id"], application_id=ids["application_id"],
                          account_id=ids["account_id"])
    walked = []
    for route in all_routes(app):
        if not isinstance(route, APIRoute) or route_permission(route) != CUSTOMER or "{" not in route.path:
            continue
        url = re.sub(r"\{([^}]+)\}", lambda m: str(ids[m.group(1)]), route.path)
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            walked.append((method, route.path))
            if method == "GET":
                assert client.get(url, headers=a).status_code == 200, (route.path, "owner")
                r = client.get(url, headers=b)
            else:
                assert route.path in BODIES, f"add a valid body for {method} {route.path} to BODIES"
                body = BODIES[route.path]
                if isinstance(body, tuple):
                    r = client.request(method, url, headers=b, data=body[1])
                else:
                    r = client.request(method, url, headers={**b, **key()}, **({"json": body} if body is not None else {}))
            assert r.status_code == 404, (method, route.path, r.status_code, r.text[:200])
    assert len(walked) >= 24, walked
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, line_id=ids["line_id"], application_id=ids["application_id"],
                        account_id=ids["account_id"]) == before

    # lists: each customer sees their own only
    own_apps = client.get("/api/v1/online/loan-applications", headers=a).json()["items"]
    assert ids["application_id"] in {x["id"] for x in own_apps}
    for path in ("/api/v1/online/loan-applications", "/api/v1/online/credit-lines", "/api/v1/online/drawdowns",
                 "/api/v1/online/loans", "/api/v1/online/term-deposits"):
        assert client.get(path, headers=b).json()["items"] == [], path
