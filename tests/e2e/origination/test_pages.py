"""Origination pages: server-rendered pages answer for their objects, and the tablet flow runs
once in a real browser (customer → application → decision → approval → signing on the pad →
entrusted drawdown → receipt), after which the ledger check passes."""

from __future__ import annotations

import re
import uuid

from tests.e2e.conftest import login_page, screenshot
from tests.e2e.origination.test_api_flow import PAYEE, e2e_product
from tests.integration.origination.helpers import image, principal, verified_customer


def test_pages_render(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.origination.test_lines_drawdowns import draw, granted_line

    cust = granted_line(demo_db, amount_fen=30_000_000)
    dd = draw(demo_db, cust["line_id"], 3_000_000, f"pg-{uuid.uuid4().hex}", payee_name="长春农资有限公司",
              payee_account=PAYEE)
    m1 = auth("manager1")
    for url in ("/origination/applications", "/origination/applications/new",
                f"/origination/applications/new?customer_id={cust['customer_id']}", "/origination/lines",
                f"/origination/lines/{cust['line_id']}", f"/origination/lines/{cust['line_id']}/drawdown",
                f"/origination/lines/{cust['line_id']}/sign", f"/origination/drawdowns/{dd['id']}",
                "/origination/payments"):
        r = client.get(url, headers=m1)
        assert r.status_code == 200, (url, r.text[:300])
    assert "受托支付" in client.get(f"/origination/drawdowns/{dd['id']}", headers=m1).text
    assert client.get(f"/origination/lines/{cust['line_id']}", headers=auth("manager3")).status_code == 404
    r = client.post(f"/origination/lines/{cust['line_id']}/drawdown", headers=m1,
                    data={"request_token": uuid.uuid4().hex, "amount_yuan": "150000", "term_months": "12",
                          "method": "interest_first"})
    assert r.status_code == 422 and "收款" in r.text, r.text[-1500:]  # above the threshold, no payee


def test_tablet_flow_in_the_browser(browser_page, live_server, client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.origination.helpers import snapshot
    from zhanye.ledger.check import check_ledger

    page = browser_page
    code = e2e_product(demo_db)
    with demo_db.unit_of_work() as s:
        m1 = principal(s, "manager1")
        cust = verified_customer(s, m1)
        image(s, m1, cust["customer_id"], "house")
    login_page(page, live_server, "manager1")
    page.goto(f"{live_server}/origination/applications/new?customer_id={cust['customer_id']}")
    page.select_option("[data-testid=product]", code)
    page.fill("[data-testid=amount]", "40000")
    page.fill("[data-testid=term]", "12")
    page.select_option("[data-testid=method]", "interest_first")
    page.fill("[data-testid=purpose]", "购买肉牛")
    page.fill("[data-testid=income]", "90000")
    screenshot(page, "origination-1-application")
    page.click("[data-testid=save-application]")
    page.wait_for_url(re.compile(r".*/origination/applications/\d+$"))
    page.click("[data-testid=submit-application]")
    page.wait_for_selector("[data-testid=decision-card]")
    assert page.inner_text("[data-testid=app-state]") == "审批中"
    screenshot(page, "origination-2-decision")
    app_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    approver = auth("sub101")
    tasks = client.get("/api/v1/workflow/tasks", params={"page_size": 200}, headers=approver).json()["items"]
    task = next(t for t in tasks if t["subject_type"] == "loan_application" and t["subject_id"] == str(app_id))
    task_page = client.get(f"/workflow/tasks/{task['id']}", headers=approver)
    assert task_page.status_code == 200  # the approver goes from the task to the application
    assert f'href="/origination/applications/{app_id}"' in task_page.text and "查看贷款申请" in task_page.text
    r = client.post(f"/api/v1/workflow/tasks/{task['id']}/actions", headers=approver,
                    json={"action": "approve", "comment": "同意"})
    assert r.status_code == 200, r.text

    page.reload()
    assert page.inner_text("[data-testid=app-state]") == "已授信"
    page.click("[data-testid=go-sign]")
    page.wait_for_selector("[data-sign-url][data-ready]")  # the pad listens before the finger moves
    box = page.locator("[data-testid=signature-pad]").bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for i, (dx, dy) in enumerate([(80, 40), (140, 130), (220, 50), (300, 140), (420, 60), (500, 110)]):
        page.mouse.move(box["x"] + dx, box["y"] + dy, steps=4 + i)
    page.mouse.up()
    page.click("[data-testid=send-code]")
    page.wait_for_function("document.querySelector('[data-testid=sign-message]').textContent.length > 0")
    from tests.integration.origination.helpers import last_sms_code

    page.fill("[data-testid=sms-code]", last_sms_code(cust["mobile"]))
    screenshot(page, "origination-3-signing")
    page.click("[data-testid=sign-button]")
    # signing renders and seals the contract PDF: allow a loaded machine time, and say why it failed
    page.wait_for_function("document.querySelector('[data-testid=go-drawdown]') || "
                           "(document.querySelector('[data-testid=sign-message]') && !/正在签署|Signing/.test("
                           "document.querySelector('[data-testid=sign-message]').textContent))", timeout=60_000)
    assert page.locator("[data-testid=go-drawdown]").count() == 1, page.inner_text("[data-testid=sign-message]")
    assert page.inner_text("[data-testid=line-status]") == "生效"

    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, account_id=cust["account_id"])
    page.click("[data-testid=go-drawdown]")
    page.fill("[data-testid=dd-amount]", "30000")
    page.fill("[data-testid=dd-term]", "6")
    page.fill("[data-testid=dd-payee-name]", "长春农资有限公司")
    page.fill("[data-testid=dd-payee-account]", PAYEE)
    page.click("[data-testid=dd-submit]")
    page.wait_for_selector("[data-testid=receipt]")
    assert page.inner_text("[data-testid=dd-mode]") == "受托支付"
    screenshot(page, "origination-4-receipt")
    with demo_db.unit_of_work(write=False) as s:
        after = snapshot(s, account_id=cust["account_id"])
        assert after["balance"] == before["balance"]
        assert after["origination_drawdown"] == before["origination_drawdown"] + 1
        assert check_ledger(s).ok


def test_payment_management_forms(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.origination.test_lines_drawdowns import draw, granted_line

    cust = granted_line(demo_db)
    dd = draw(demo_db, cust["line_id"], 2_000_000, f"pm-{uuid.uuid4().hex}")
    with demo_db.unit_of_work() as s:
        img = image(s, principal(s, "manager1"), cust["customer_id"])
    m1 = auth("manager1")
    url = f"/origination/drawdowns/{dd['id']}"
    r = client.post(f"{url}/vouchers", headers=m1, data={"amount_yuan": "50000", "description": "超额",
                                                         "image_refs": str(img)})
    assert r.status_code == 422  # more than the drawdown
    r = client.post(f"{url}/vouchers", headers=m1, data={"amount_yuan": "20000", "description": "化肥发票",
                                                         "image_refs": str(img)}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"{url}/offline-payments", headers=m1, follow_redirects=False,
                    data={"amount_yuan": "5000", "counterparty": "李四", "purpose": "购买牛犊", "reason": "现金交易"})
    assert r.status_code == 303
    page = client.get(url, headers=m1).text
    assert "provided" in page and "李四" in page
    pending = client.get("/api/v1/offline-payments", params={"drawdown_id": dd["id"]}, headers=m1).json()["items"]
    r = client.post(f"/origination/offline-payments/{pending[0]['id']}/review", headers=auth("sub101"),
                    data={"approve": "1", "comment": "同意"}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get(f"/api/v1/drawdowns/{dd['id']}", headers=m1).json()["voucher_status"] == "provided"
