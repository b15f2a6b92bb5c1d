"""The online channel's pages: a customer on a phone logs in with ID number, mobile and SMS code,
applies (the decision is shown at once), signs the line contract with a finger once approved,
draws down to a payee, and gets the receipt — in a real browser; and the forms refuse bad input
with the field named and nothing written."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.online.helpers import customer_login, new_customer
from tests.e2e.origination.test_api_flow import PAYEE, e2e_product
from tests.integration.origination.helpers import last_sms_code, snapshot


@pytest.fixture()
def phone_page(_browser) -> Iterator[object]:  # type: ignore[no-untyped-def]
    context = _browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True,
                                   locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_pages_need_a_customer_session(client, auth) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/m", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/m/login"
    assert client.get("/m/login").status_code == 200
    r = client.get("/m", headers={**auth("manager1"), "Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/m/login"  # staff are not customers


def test_apply_form_refuses_bad_input_and_writes_nothing(client, demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = new_customer(demo_db)
    c = customer_login(client, cust)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s)
    r = client.post("/m/apply", headers=c, data={"token": uuid.uuid4().hex, "product_code": "NHXYD",
                                                 "amount_yuan": "abc", "term_months": "12",
                                                 "method": "interest_first", "purpose": ""})
    assert r.status_code == 422 and 'name="amount_yuan"' in r.text and "field-err" in r.text
    r = client.post("/m/apply", headers=c, data={"token": uuid.uuid4().hex, "product_code": "NHXYD",
                                                 "amount_yuan": "9999999", "term_months": "12",
                                                 "method": "interest_first", "purpose": "春耕"})
    assert r.status_code == 422, r.text[-800:]  # above the product's maximum: the product's own check
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s) == before

    token = uuid.uuid4().hex  # a double tap posts the same form twice: one application
    form = {"token": token, "product_code": "NHXYD", "amount_yuan": "50000", "term_months": "12",
            "method": "interest_first", "purpose": "春耕", "annual_income_yuan": "120000"}
    first = client.post("/m/apply", headers=c, data=form, follow_redirects=False)
    second = client.post("/m/apply", headers=c, data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    page = client.get(first.headers["location"], headers=c)
    assert page.status_code == 200 and 'data-testid="state"' in page.text
    apps = client.get("/api/v1/online/loan-applications", headers=c).json()["items"]
    assert len(apps) == 1 and apps[0]["state"] != "draft"  # created and submitted at once


def test_online_flow_in_the_browser(phone_page, live_server, client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.ledger.check import check_ledger

    page = phone_page
    code = e2e_product(demo_db)
    cust = new_customer(demo_db)
    page.goto(f"{live_server}/m")
    page.wait_for_url(re.compile(r".*/m/login$"))
    page.fill("[data-testid=id-number]", cust["id_number"])
    page.fill("[data-testid=mobile]", cust["mobile"])
    page.click("[data-testid=get-code]")
    page.wait_for_selector("[data-testid=code-sent]")
    assert page.inner_text("[data-testid=sandbox-code]") == last_sms_code(cust["mobile"])
    page.fill("[data-testid=code]", last_sms_code(cust["mobile"]))
    screenshot(page, "online-1-login")
    page.click("[data-testid=login]")
    page.wait_for_selector("[data-testid=greeting]")

    page.click("[data-testid=apply]")
    page.check(f"[data-testid=product-{code}]")
    page.fill("[data-testid=amount]", "40000")
    page.fill("[data-testid=term]", "12")
    page.select_option("[data-testid=method]", "interest_first")
    page.fill("[data-testid=purpose]", "购买肉牛")
    page.fill("[data-testid=income]", "90000")
    screenshot(page, "online-2-apply")
    page.click("[data-testid=submit-application]")
    page.wait_for_url(re.compile(r".*/m/applications/\d+$"))
    assert page.inner_text("[data-testid=state]") == "审批中"
    assert page.locator("[data-testid=offer]").count() == 1
    app_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    approver = auth("sub101")
    tasks = client.get("/api/v1/workflow/tasks", params={"page_size": 200}, headers=approver).json()["items"]
    task = next(t for t in tasks if t["subject_type"] == "loan_application" and t["subject_id"] == str(app_id))
    r = client.post(f"/api/v1/workflow/tasks/{task['id']}/actions", headers=approver,
                    json={"action": "approve", "comment": "同意"})
    assert r.status_code == 200, r.text

    page.reload()
    assert page.inner_text("[data-testid=state]") == "已授信"
    page.click("[data-testid=to-lines]")
    page.click("[data-testid=sign-line]")
    page.wait_for_selector("[data-sign-url][data-ready]")
    box = page.locator("[data-testid=signature-pad]").bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 60)
    page.mouse.down()
    for i, (dx, dy) in enumerate([(60, 20), (110, 90), (170, 30), (230, 100), (300, 40)]):
        page.mouse.move(box["x"] + dx, box["y"] + dy, steps=4 + i)
    page.mouse.up()
    page.click("[data-testid=send-code]")
    page.wait_for_function("document.querySelector('[data-testid=sign-message]').textContent.length > 0")
    page.fill("[data-testid=sms-code]", last_sms_code(cust["mobile"]))
    screenshot(page, "online-3-signing")
    page.click("[data-testid=sign-button]")
    page.wait_for_function("document.querySelector('[data-testid=draw-line]') || "
                           "(document.querySelector('[data-testid=sign-message]') && !/正在签署|Signing/.test("
                           "document.querySelector('[data-testid=sign-message]').textContent))", timeout=60_000)
    assert page.locator("[data-testid=draw-line]").count() == 1, page.content()[-600:]

    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, account_id=cust["account_id"])
    page.click("[data-testid=draw-line]")
    page.fill("[data-testid=amount]", "30000")
    page.fill("[data-testid=term]", "6")
    page.fill("[data-testid=payee-name]", "长春农资有限公司")
    page.fill("[data-testid=payee-account]", PAYEE)
    page.click("[data-testid=confirm-draw]")
    page.wait_for_selector("[data-testid=receipt]")
    assert "已支付给收款人" in page.inner_text("[data-testid=payment-mode]")
    assert page.inner_text("[data-testid=receipt-amount]") == "¥30,000.00"
    screenshot(page, "online-4-receipt")
    with demo_db.unit_of_work(write=False) as s:
        after = snapshot(s, account_id=cust["account_id"])
        assert after["balance"] == before["balance"]  # entrusted: the e-account never held the money
        assert after["origination_drawdown"] == before["origination_drawdown"] + 1
        assert check_ledger(s).ok


def test_deposit_on_the_phone_in_the_browser(phone_page, live_server, demo_db) -> None:  # type: ignore[no-untyped-def]
    """Buy a term deposit after the quote, then take part of it out early after its quote."""
    from tests.integration.origination.test_lines_drawdowns import draw, granted_line

    page = phone_page
    cust = granted_line(demo_db, amount_fen=5_000_000)
    draw(demo_db, cust["line_id"], 2_000_000, f"dp-{uuid.uuid4().hex}")  # self payment: the e-account holds it
    page.goto(f"{live_server}/m/login")
    page.fill("[data-testid=id-number]", cust["id_number"])
    page.fill("[data-testid=mobile]", cust["mobile"])
    page.click("[data-testid=get-code]")
    page.wait_for_selector("[data-testid=code-sent]")
    page.fill("[data-testid=code]", last_sms_code(cust["mobile"]))
    page.click("[data-testid=login]")
    page.wait_for_selector("[data-testid=greeting]")

    page.click("[data-testid=deposits]")
    page.check("[data-testid=dp-JHC6M]")
    page.fill("[data-testid=dp-amount]", "8000")
    page.click("[data-testid=dp-quote]")
    page.wait_for_selector("[data-testid=dp-quote-result]")
    assert page.locator("[data-testid=dp-instruction]").input_value() == "renew_principal"
    screenshot(page, "online-5-deposit-quote")
    page.click("[data-testid=dp-buy]")
    page.wait_for_selector("[data-testid=deposit-done]")
    assert page.inner_text("[data-testid=deposit-principal]") == "¥8,000.00"

    page.click("summary")
    page.check("[data-testid=wd-partial]")
    page.fill("[data-testid=wd-amount]", "3000")
    page.click("[data-testid=wd-quote]")
    page.wait_for_selector("[data-testid=wd-quote-result]")
    page.click("[data-testid=wd-confirm]")
    page.wait_for_selector("[data-testid=deposit-done]")
    assert page.inner_text("[data-testid=deposit-principal]") == "¥5,000.00"
    screenshot(page, "online-6-deposit-withdrawn")
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, account_id=cust["account_id"])["balance"] == 2_000_000 - 500_000
