"""Servicing over HTTP on the demo bank: idempotent money-moving POSTs, bad input as
problem+json writing nothing, data scope, and the pages."""

from __future__ import annotations

import json
import uuid

from tests.conftest import count_rows
from tests.e2e.authz import MatrixContext
from tests.e2e.authz.servicing import make_loan


def _ctx(client, demo_db) -> MatrixContext:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with demo_db.unit_of_work(write=False) as s:
        own = s.execute(text("SELECT id FROM org_institution WHERE code='101'")).scalar_one()
        other = s.execute(text("SELECT id FROM org_institution WHERE code='201'")).scalar_one()
    return MatrixContext(client=client, db=demo_db, own_institution_id=own, other_institution_id=other,
                         admin_headers={})


def _balance(demo_db, loan_id: int) -> int:  # type: ignore[no-untyped-def]
    from zhanye.core.context import SYSTEM
    from zhanye.ledger import service as ledger
    from zhanye.lending.servicing.models import Loan

    with demo_db.unit_of_work(write=False) as s:
        return ledger.get_account(s, SYSTEM, s.get(Loan, loan_id).repay_account_id).balance_fen


def test_prepayment_is_idempotent_and_needs_a_key(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    loan = make_loan(_ctx(client, demo_db), _ctx(client, demo_db).own_institution_id, funds=600_000)
    h = auth("manager1")
    url = f"/api/v1/loans/{loan['loan_id']}/prepayments"
    body = {"kind": "partial", "principal_fen": 100_000, "option": "shorten_term", "channel": "eaccount"}
    before = (count_rows(demo_db, "servicing_repayment"), _balance(demo_db, loan["loan_id"]))
    r = client.post(url, json=body, headers=h)
    assert r.status_code == 428 and r.headers["content-type"].startswith("application/problem+json")
    assert (count_rows(demo_db, "servicing_repayment"), _balance(demo_db, loan["loan_id"])) == before
    quote = client.post(f"/api/v1/loans/{loan['loan_id']}/prepayment-quote", json={
        "kind": "partial", "principal_fen": 100_000, "option": "shorten_term"}, headers=h).json()
    key = {"Idempotency-Key": uuid.uuid4().hex}
    first = client.post(url, json={**body, "expected_total_fen": quote["total_fen"]}, headers={**h, **key})
    assert first.status_code == 201, first.text
    again = client.post(url, json={**body, "expected_total_fen": quote["total_fen"]}, headers={**h, **key})
    assert again.json() == first.json() and again.headers.get("Idempotent-Replayed") == "true"
    assert _balance(demo_db, loan["loan_id"]) == before[1] - quote["total_fen"]
    detail = client.get(f"/api/v1/loans/{loan['loan_id']}", headers=h).json()
    assert detail["outstanding_principal_fen"] == 1_000_000 - 100_000
    ledger = client.get(f"/api/v1/loans/{loan['loan_id']}/ledger", headers=h).json()["items"]
    assert [t["kind"] for t in ledger] == ["disbursement", "prepay_partial"]
    assert ledger[-1]["principal_after_fen"] == 900_000


def test_bad_input_is_a_problem_and_writes_nothing(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx(client, demo_db)
    loan = make_loan(ctx, ctx.own_institution_id)
    h = {**auth("manager1"), "Idempotency-Key": uuid.uuid4().hex}
    before = (count_rows(demo_db, "servicing_repayment"), count_rows(demo_db, "ledger_entry"))
    for body in ({"amount_fen": -5}, {"amount_fen": 1.5}, {"amount_fen": 100, "channel": "bitcoin"},
                 {"amount_fen": 100, "extra": 1}, {"amount_fen": 10**16}):
        r = client.post(f"/api/v1/loans/{loan['loan_id']}/repayments", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["code"] == "validation_failed" and r.json()["errors"]
    r = client.post(f"/api/v1/loans/{loan['loan_id']}/repayments", json={"amount_fen": 100},
                    headers={**h, "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 422 and r.json()["code"] == "nothing_due"
    r = client.post(f"/api/v1/loans/{loan['loan_id']}/prepayment-quote", json={"kind": "partial"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "principal_fen"
    assert (count_rows(demo_db, "servicing_repayment"), count_rows(demo_db, "ledger_entry")) == before


def test_other_institution_is_not_found(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx(client, demo_db)
    loan = make_loan(ctx, ctx.other_institution_id)
    h = auth("manager1")
    assert client.get(f"/api/v1/loans/{loan['loan_id']}", headers=h).status_code == 404
    ids = [x["id"] for x in client.get("/api/v1/loans?limit=500", headers=h).json()["items"]]
    assert loan["loan_id"] not in ids
    assert client.get(f"/api/v1/loans/{loan['loan_id']}", headers=auth("risk")).status_code == 200


def test_pages(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    ctx = _ctx(client, demo_db)
    loan = make_loan(ctx, ctx.own_institution_id)
    h = auth("manager1")
    page = client.get(f"/servicing/loans/{loan['loan_id']}", headers=h)
    assert page.status_code == 200 and "还款计划" in page.text and "贷款明细账" in page.text
    quote = client.post(f"/servicing/loans/{loan['loan_id']}/prepay-quote", data={"kind": "full"}, headers=h)
    assert quote.status_code == 200 and 'data-testid="quote-total"' in quote.text
    bad = client.post(f"/servicing/loans/{loan['loan_id']}/repay", data={"amount": "abc", "token": "t1"}, headers=h)
    assert bad.status_code == 400 and 'data-testid="form-error"' in bad.text
    assert client.get("/servicing/my", headers=h).status_code == 200
    portfolio = client.get("/servicing/portfolio", headers=auth("risk"))
    assert portfolio.status_code == 200 and "echarts.min.js" in portfolio.text
    assert client.get("/servicing/portfolio", headers=h).status_code == 403


def test_collection_case_page_names_channels_results_and_promise_states(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.e2e.authz.servicing import _case

    ctx = _ctx(client, demo_db)
    case_id = _case(ctx, ctx.own_institution_id)["case_id"]
    h = auth("risk")
    with demo_db.unit_of_work(write=False) as s:
        from zhanye.core.calendar import get_business_date

        day = get_business_date(s).isoformat()
    r = client.post(f"/servicing/collections/{case_id}/contacts", headers=h, follow_redirects=False,
                    data={"channel": "phone", "result": "promise", "promise_amount": "500", "promise_date": day})
    assert r.status_code in (200, 303), r.text[:300]
    page = client.get(f"/servicing/collections/{case_id}", headers=h)
    assert page.status_code == 200
    assert "电话" in page.text and "承诺还款" in page.text and "待兑现" in page.text and "催收中" in page.text


def test_inspection_photos_are_kept_among_the_customers_images(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    """A photo taken on the tablet is stored once as the customer's image (watermarked, GPS) and
    shown on the done inspection's page; the row keeps the image id, not the picture."""
    import base64
    import io

    from PIL import Image
    from sqlalchemy import select

    from tests.integration.origination.test_lines_drawdowns import draw, granted_line
    from zhanye.lending.servicing.models import Inspection

    cust = granted_line(demo_db, amount_fen=5_000_000)
    loan_id = draw(demo_db, cust["line_id"], 1_000_000, f"insp-{uuid.uuid4().hex}")["loan_id"]
    with demo_db.unit_of_work(write=False) as s:
        insp_id = s.execute(select(Inspection.id).where(Inspection.loan_id == loan_id)).scalar_one()
    buf = io.BytesIO()
    Image.new("RGB", (80, 60), (120, 160, 90)).save(buf, "JPEG")
    photo = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()
    h = auth("manager1")
    body = {"answers": {"funds_use": True, "operation": True, "income": True, "collateral": True, "adverse": True},
            "conclusion": "normal", "latitude": "43.881234567", "longitude": "125.321234567", "images": [photo]}
    r = client.post(f"/api/v1/inspections/{insp_id}/perform", json=body, headers=h)
    assert r.status_code == 200 and r.json()["images"] == 1, r.text
    with demo_db.unit_of_work(write=False) as s:
        stored = s.get(Inspection, insp_id).images
        from zhanye.customers.models import CustomerImage

        image = s.get(CustomerImage, json.loads(stored)[0])
    assert "data:" not in stored and image.gps == "43.881235,125.321235"  # the watermark's six decimals
    page = client.get(f"/servicing/inspections/{insp_id}", headers=h)
    assert page.status_code == 200 and 'data-testid="inspection-photos"' in page.text
    thumb = page.text.split('data-testid="inspection-photos"')[1].split('src="')[1].split('"')[0]
    img = client.get(thumb.replace("&amp;", "&"), headers=h)
    assert img.status_code == 200 and img.headers["content-type"] == "image/jpeg"
