"""Lending API over HTTP: calculator, products, LPR, contract signing; bad input is a 4xx."""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.conftest import count_rows
from tests.integration.lending.helpers import signature_png


def test_schedule_reference_figures(client, auth) -> None:
    body = {"amount_fen": 100_000_000, "months": 360, "annual_rate": "0.049", "method": "equal_installment",
            "start": "2026-01-01"}
    r = client.post("/api/v1/loans/schedule", json=body, headers=auth("manager1"))
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["installments"][0]["total_fen"] == 530_727
    assert data["installments"][0]["due_date"] == "2026-02-01" and len(data["installments"]) == 360
    assert data["annual_rate"] == "0.049" and data["total_fen"] == 100_000_000 + data["total_interest_fen"]
    r = client.post("/api/v1/loans/schedule", json={**body, "method": "equal_principal"}, headers=auth("manager1"))
    totals = [i["total_fen"] for i in r.json()["installments"]]
    assert totals[0] == 686_111 and totals[0] - totals[1] == 1_134


def test_schedule_checks_the_product(client, auth) -> None:
    products = client.get("/api/v1/loan-products", headers=auth("manager1")).json()["items"]
    njd = next(p for p in products if p["code"] == "NJD")
    body = {"amount_fen": 60_000_000, "months": 12, "annual_rate": "0.04", "method": "bullet",
            "start": "2026-01-01", "product_id": njd["id"]}
    r = client.post("/api/v1/loans/schedule", json=body, headers=auth("manager1"))
    assert r.status_code == 422 and r.json()["code"] == "product_terms_refused"
    assert {e["field"] for e in r.json()["errors"]} == {"amount_fen", "method"}


@pytest.mark.parametrize("bad", [
    {"amount_fen": 0}, {"amount_fen": 1.5}, {"months": 0}, {"annual_rate": "abc"}, {"annual_rate": "0.5"},
    {"method": "balloon"}, {"start": "2026-02-30"}, {"repayment_day_rule": "fixed_day:31"}, {"extra": 1},
    {"amount_fen": 10**16},
])
def test_schedule_bad_input_is_a_problem(client, auth, bad: dict) -> None:
    body = {"amount_fen": 1_000_000, "months": 12, "annual_rate": "0.05", "method": "equal_installment",
            "start": "2026-01-01", **bad}
    r = client.post("/api/v1/loans/schedule", json=body, headers=auth("manager1"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"]


def test_products_api_versions(client, auth) -> None:
    code = "E" + uuid.uuid4().hex[:8].upper()
    base = client.get("/api/v1/loan-products/XFD", headers=auth("admin")).json()
    keep = {k for k in ("name", "description", "status", "purpose_category", "customer_type", "min_amount_fen",
                        "max_amount_fen", "min_term_months", "max_term_months", "rate_type", "lpr_tenor",
                        "fixed_rate_min", "fixed_rate_max", "spread_min_bp", "spread_max_bp", "repayment_methods",
                        "repayment_day_rule", "grace_days", "penalty_uplift", "compound_interest",
                        "allocation_order", "guarantee_types", "revolving", "line_validity_months",
                        "entrusted_threshold_fen", "prepayment_fee_rule", "admission_decision_key",
                        "pricing_decision_key", "approval_process_key", "approval_mode")}
    config = {k: base[k] for k in keep}
    headers = {**auth("admin"), "Idempotency-Key": uuid.uuid4().hex}
    r = client.post("/api/v1/loan-products", json={**config, "code": code}, headers=headers)
    assert r.status_code == 201, r.text
    again = client.post("/api/v1/loan-products", json={**config, "code": code}, headers=headers)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    r = client.post(f"/api/v1/loan-products/{code}/versions", headers={**auth("admin"), "Idempotency-Key": uuid.uuid4().hex},
                    json={**config, "fixed_rate_max": "0.0880", "change_note": "下调上限", "base_version": 1})
    assert r.status_code == 201 and r.json()["version"] == 2
    detail = client.get(f"/api/v1/loan-products/{code}", headers=auth("manager1")).json()
    assert detail["version"] == 2 and [v["version"] for v in detail["versions"]] == [2, 1]
    v1 = client.get(f"/api/v1/loan-products/{code}/versions/1", headers=auth("manager1")).json()
    assert v1["fixed_rate_max"] == "0.098"
    # a manager may read but not manage products
    r = client.post("/api/v1/loan-products", json={**config, "code": code + "X"}, headers=auth("manager1"))
    assert r.status_code == 403
    # invalid configuration: every bad field named, nothing written
    r = client.post("/api/v1/loan-products", headers=auth("admin"),
                    json={**config, "code": code + "Y", "min_amount_fen": 10**9, "penalty_uplift": "0.9"})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {"min_amount_fen", "penalty_uplift"}
    assert client.get(f"/api/v1/loan-products/{code}Y", headers=auth("admin")).status_code == 404


def test_lpr_api(client, auth, demo_db) -> None:
    r = client.get("/api/v1/lpr/in-force", params={"tenor": "5y", "on": "2024-11-01"}, headers=auth("manager1"))
    assert r.status_code == 200 and r.json()["rate"] == "0.036"
    before = count_rows(demo_db, "lending_lpr")
    r = client.post("/api/v1/lpr", json={"tenor": "1y", "rate": "0.0345", "effective_date": "2023-08-21"},
                    headers=auth("admin"))
    assert r.status_code == 409  # already published for that day
    r = client.post("/api/v1/lpr", json={"tenor": "1y", "rate": "0.0345", "effective_date": "2099-01-20"},
                    headers=auth("manager1"))
    assert r.status_code == 403
    r = client.post("/api/v1/lpr", json={"tenor": "1y", "rate": "0.0345", "effective_date": "2099-01-20",
                                         "note": "长" * 201}, headers=auth("admin"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.note"
    assert count_rows(demo_db, "lending_lpr") == before


def test_sign_contract_over_http(client, auth, pending_contract) -> None:
    from tests.integration.lending.helpers import last_sms_code

    cid, phone = pending_contract
    h = auth("manager1")
    r = client.get(f"/api/v1/contracts/{cid}", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "pending_signature"
    assert r.json()["amount_upper"] == "壹拾贰万元整"
    assert client.get(f"/api/v1/contracts/{cid}/pdf", headers=h).status_code == 404
    r = client.post(f"/api/v1/contracts/{cid}/sms-code", headers=h)
    assert r.status_code == 200 and r.json()["sandbox_code"] == last_sms_code(phone)
    png = base64.b64encode(signature_png()).decode()
    r = client.post(f"/api/v1/contracts/{cid}/sign", headers=h, json={"signature_png_base64": png, "sms_code": "000000"
                    if last_sms_code(phone) != "000000" else "111111"})
    assert r.status_code == 422 and r.json()["code"] == "sms_code_invalid"
    r = client.post(f"/api/v1/contracts/{cid}/sign", headers=h,
                    json={"signature_png_base64": "data:image/png;base64," + png, "sms_code": last_sms_code(phone)})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "signed" and len(r.json()["pdf_sm3"]) == 64
    pdf = client.get(f"/api/v1/contracts/{cid}/pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    v = client.get(f"/api/v1/contracts/{cid}/verify", headers=h).json()
    assert v["ok"] and v["failed"] == []
    r = client.post(f"/api/v1/contracts/{cid}/sign", headers=h, json={"signature_png_base64": png, "sms_code": "123456"})
    assert r.status_code == 409
    # another institution's manager does not see it
    assert client.get(f"/api/v1/contracts/{cid}", headers=auth("manager3")).status_code == 404


def test_sign_bad_inputs(client, auth, pending_contract) -> None:
    cid, _ = pending_contract
    h = auth("manager1")
    for body in ({"signature_png_base64": "!!not base64!!" * 3, "sms_code": "123456"},
                 {"signature_png_base64": base64.b64encode(b"GIF89a" * 10).decode(), "sms_code": "123456"},
                 {"signature_png_base64": base64.b64encode(signature_png()).decode(), "sms_code": "12ab56"},
                 {"signature_png_base64": base64.b64encode(signature_png()).decode()}):
        r = client.post(f"/api/v1/contracts/{cid}/sign", headers=h, json=body)
        assert r.status_code == 422, r.text
    assert client.get(f"/api/v1/contracts/{cid}", headers=h).json()["status"] == "pending_signature"


def test_contract_verify_cli(demo_db, pending_contract, contract_storage, cli_env) -> None:
    """``zhanye contracts verify ID`` passes, then names the failed checks once the PDF is altered."""
    from typer.testing import CliRunner

    from tests.integration.lending.helpers import last_sms_code
    from tests.integration.org.helpers import principal_of
    from zhanye.cli import app
    from zhanye.lending import contracts

    cid, phone = pending_contract
    actor = principal_of(demo_db, "manager1")
    with demo_db.unit_of_work() as s:
        contracts.request_signing_code(s, actor=actor, contract_id=cid)
    with demo_db.unit_of_work() as s:
        assert contracts.sign_contract(s, actor=actor, contract_id=cid, signature_png=signature_png(),
                                       sms_code=last_sms_code(phone)).ok
        path = contracts.pdf_file(s.get(contracts.Contract, cid))
    runner = CliRunner()
    ok = runner.invoke(app, ["contracts", "verify", str(cid), "--database-url", demo_db.url])
    assert ok.exit_code == 0, ok.output
    assert "contract intact" in ok.output
    path.write_bytes(path.read_bytes() + b"%tampered\n")
    bad = runner.invoke(app, ["contracts", "verify", str(cid), "--database-url", demo_db.url])
    assert bad.exit_code == 1
    assert "FAIL digest" in bad.output and "verification failed: digest, customer_signature, bank_signature" in bad.output


def test_cli_schedule_prints_the_reference_figure() -> None:
    from typer.testing import CliRunner

    from zhanye.cli import app

    r = CliRunner().invoke(app, ["loans", "schedule", "--amount", "1000000", "--annual-rate", "0.049", "--months",
                                 "360", "--method", "equal_installment", "--start", "2026-01-01", "--rows", "2"])
    assert r.exit_code == 0, r.output
    assert "5,307.27" in r.output and "910,615.12" in r.output
    bad = CliRunner().invoke(app, ["loans", "schedule", "--amount", "12.345", "--annual-rate", "0.049", "--months",
                                   "12", "--method", "equal_installment"])
    assert bad.exit_code != 0


def test_cli_lists_the_products(demo_db, cli_env) -> None:
    from typer.testing import CliRunner

    from zhanye.cli import app

    r = CliRunner().invoke(app, ["loans", "products", "--database-url", demo_db.url])
    assert r.exit_code == 0, r.output
    assert "NHXYD" in r.output and "FDJS2" in r.output and "LPR1y+50~150bp" in r.output
