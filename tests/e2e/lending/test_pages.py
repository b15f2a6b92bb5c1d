"""Lending pages over HTTP (server-rendered HTML)."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlencode

HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_calculator_page_shows_the_schedule(client, auth) -> None:
    r = client.get("/loans/calculator", params={"amount": "1000000", "months": "360", "rate_percent": "4.9",
                                                "method": "equal_installment", "start": "2026-01-01"},
                   headers={**auth("manager1"), **HTML})
    assert r.status_code == 200
    assert 'data-testid="first-installment">¥5,307.27' in r.text
    assert "壹佰万元整" in r.text and "echarts.min.js" in r.text
    assert r.text.count("<tr>") >= 361
    assert "还款试算" in r.text  # Chinese by default


def test_calculator_uses_the_product_price(client, auth) -> None:
    products = client.get("/api/v1/loan-products", headers=auth("manager1")).json()["items"]
    njd = next(p for p in products if p["code"] == "NJD")
    r = client.get("/loans/calculator", params={"product_id": njd["id"], "amount": "120000", "months": "24",
                                                "method": "equal_installment", "start": "2026-01-05",
                                                "day_rule": "fixed_day:20"},
                   headers={**auth("manager1"), **HTML})
    assert r.status_code == 200
    assert "3.8%" in r.text  # 1-year LPR 3.00% + 80 bp
    assert "2026-01-20*" in r.text  # odd first period marked


def test_calculator_bad_input_shows_errors(client, auth) -> None:
    r = client.get("/loans/calculator", params={"amount": "abc", "months": "0", "rate_percent": "99",
                                                "method": "x", "start": "2026-13-01"},
                   headers={**auth("manager1"), **HTML})
    assert r.status_code == 422
    assert r.text.count('class="field-error"') >= 5
    assert 'data-testid="schedule-table"' not in r.text


def test_products_and_lpr_pages(client, auth) -> None:
    r = client.get("/loan-products", headers={**auth("manager1"), **HTML})
    assert r.status_code == 200 and "农户信用贷" in r.text and "房抵极速贷（二押）" in r.text
    r = client.get("/loan-products/NHXYD", headers={**auth("manager1"), **HTML})
    assert r.status_code == 200 and "loan.admission.farm_credit" in r.text and "edit-product" not in r.text
    r = client.get("/lpr", headers={**auth("admin"), **HTML})
    assert r.status_code == 200 and 'data-testid="lpr-form"' in r.text and "2024-10-21" in r.text


def test_product_edit_form_makes_a_new_version(client, auth) -> None:
    code = "P" + uuid.uuid4().hex[:8].upper()
    base = client.get("/api/v1/loan-products/GHD", headers=auth("admin")).json()
    config = {k: base[k] for k in ("name", "purpose_category", "customer_type", "min_amount_fen", "max_amount_fen",
                                   "min_term_months", "max_term_months", "rate_type", "lpr_tenor", "spread_min_bp",
                                   "spread_max_bp", "repayment_methods", "guarantee_types", "line_validity_months",
                                   "entrusted_threshold_fen", "admission_decision_key", "pricing_decision_key",
                                   "approval_process_key", "revolving")}
    assert client.post("/api/v1/loan-products", json={**config, "code": code}, headers=auth("admin")).status_code == 201
    page = client.get(f"/loan-products/{code}?edit=1", headers={**auth("admin"), **HTML})
    assert 'data-testid="product-form"' in page.text
    form = [("base_version", "1"), ("name", base["name"]), ("status", "active"), ("purpose_category", "consumer"),
            ("customer_type", "individual"), ("min_amount_fen", "1000000"), ("max_amount_fen", "20000000"),
            ("min_term_months", "6"), ("max_term_months", "36"), ("rate_type", "lpr"), ("lpr_tenor", "1y"),
            ("spread_min_bp", "30"), ("spread_max_bp", "120"), ("fixed_rate_min", ""), ("fixed_rate_max", ""),
            ("repayment_methods", "equal_installment"), ("repayment_methods", "interest_first"),
            ("repayment_day_rule", "loan_date"), ("grace_days", "3"), ("penalty_uplift", "0.5"),
            ("guarantee_types", "credit"), ("compound_interest", "on"), ("revolving", "on"),
            ("allocation_order", "penalty"), ("allocation_order", "compound"), ("allocation_order", "interest"),
            ("allocation_order", "principal"), ("line_validity_months", "36"), ("entrusted_threshold_fen", "10000000"),
            ("prepayment_fee_rule", "none"), ("admission_decision_key", "loan.admission.consumer"),
            ("pricing_decision_key", "loan.pricing.consumer"), ("approval_process_key", "loan.approval.standard"),
            ("approval_mode", "referred"), ("description", ""), ("change_note", "加点上限调到120")]
    r = client.post(f"/loan-products/{code}", content=urlencode(form), headers={**auth("admin"), **HTML, **FORM},
                    follow_redirects=False)
    assert r.status_code == 303, re.findall(r'(?:field-error|flash bad)[^>]*>([^<]*)<', r.text)
    detail = client.get(f"/api/v1/loan-products/{code}", headers=auth("admin")).json()
    assert detail["version"] == 2 and detail["spread_max_bp"] == 120
    bad = [(k, "0.9" if k == "penalty_uplift" else v) for k, v in form if k != "base_version"]
    r = client.post(f"/loan-products/{code}", content=urlencode(bad), headers={**auth("admin"), **HTML, **FORM})
    assert r.status_code == 422 and 'class="field-error"' in r.text
    assert client.get(f"/api/v1/loan-products/{code}", headers=auth("admin")).json()["version"] == 2
    assert client.post(f"/loan-products/{code}", content=urlencode(form),
                       headers={**auth("manager1"), **HTML, **FORM}).status_code == 403


def test_lpr_form_add_and_withdraw(client, auth) -> None:
    day = f"20{uuid.uuid4().int % 40 + 60}-0{uuid.uuid4().int % 9 + 1}-1{uuid.uuid4().int % 9}"
    r = client.post("/lpr", data={"op": "add", "tenor": "5y", "rate_percent": "3.45", "effective_date": day},
                    headers={**auth("admin"), **HTML})
    assert r.status_code == 200 and day in r.text
    rows = client.get("/api/v1/lpr", params={"tenor": "5y"}, headers=auth("admin")).json()["items"]
    row = next(x for x in rows if x["effective_date"] == day)
    assert row["rate"] == "0.0345"
    r = client.post("/lpr", data={"op": "withdraw", "lpr_id": str(row["id"])}, headers={**auth("admin"), **HTML})
    assert r.status_code == 200
    rows = client.get("/api/v1/lpr", params={"tenor": "5y"}, headers=auth("admin")).json()["items"]
    assert all(x["effective_date"] != day for x in rows)
    r = client.post("/lpr", data={"op": "add", "tenor": "5y", "rate_percent": "x", "effective_date": day},
                    headers={**auth("admin"), **HTML})
    assert r.status_code == 422


def test_contract_pages(client, auth, pending_contract) -> None:
    cid, _ = pending_contract
    r = client.get("/contracts", headers={**auth("manager1"), **HTML})
    assert r.status_code == 200 and f'/contracts/{cid}"' in r.text
    r = client.get(f"/contracts/{cid}", headers={**auth("manager1"), **HTML})
    assert r.status_code == 200 and "壹拾贰万元整" in r.text and "王*" in r.text and "王建国" not in r.text
    r = client.get(f"/contracts/{cid}/sign", headers={**auth("manager1"), **HTML})
    assert r.status_code == 200 and 'data-testid="signature-pad"' in r.text
    assert client.get(f"/contracts/{cid}", headers={**auth("manager3"), **HTML}).status_code == 404
    assert client.get(f"/contracts/{cid}/sign", headers={**auth("approver1"), **HTML}).status_code == 403


def test_calculator_in_english(client, auth) -> None:
    client.cookies.set("zhanye_lang", "en")
    try:
        r = client.get("/loans/calculator", params={"amount": "100000", "months": "12", "rate_percent": "4.35",
                                                    "method": "equal_installment", "start": "2026-01-01"},
                       headers={**auth("manager1"), **HTML})
    finally:
        client.cookies.delete("zhanye_lang")
    assert r.status_code == 200
    assert "Repayment calculator" in r.text and "还款试算" not in r.text and "¥8,530.99" in r.text
