"""In Chromium at tablet size: the repayment calculator, and signing a contract on the signature pad."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login_page, screenshot

pytestmark = pytest.mark.browser


def test_calculator_in_the_browser(browser_page, live_server) -> None:
    page = browser_page
    login_page(page, live_server, "manager1")
    page.goto(f"{live_server}/loans/calculator")
    page.fill("input[name=amount]", "1000000")
    page.fill("input[name=months]", "360")
    page.fill("input[name=rate_percent]", "4.9")
    page.select_option("select[name=method]", "equal_installment")
    page.fill("input[name=start]", "2026-01-01")
    page.click("[data-testid=calc-submit]")
    page.wait_for_selector("[data-testid=first-installment]")
    assert page.inner_text("[data-testid=first-installment]").strip() == "¥5,307.27"
    assert page.locator("[data-testid=schedule-table] tbody tr").count() == 360
    page.wait_for_selector("#chart canvas")  # ECharts drew the principal/interest chart
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024  # fits the tablet
    screenshot(page, "lending-calculator")


def test_sign_a_contract_on_the_pad(browser_page, live_server, pending_contract) -> None:
    cid, phone = pending_contract
    page = browser_page
    login_page(page, live_server, "manager1")
    page.goto(f"{live_server}/contracts/{cid}/sign")
    page.wait_for_selector("[data-sign-url][data-ready]")  # the pad listens before the finger moves
    pad = page.locator("[data-testid=signature-pad]")
    box = pad.bounding_box()
    assert box is not None
    x0, y0 = box["x"], box["y"]
    page.mouse.move(x0 + 40, y0 + 120)
    page.mouse.down()
    for i, (dx, dy) in enumerate([(90, 40), (150, 140), (230, 60), (320, 150), (420, 70), (520, 130)]):
        page.mouse.move(x0 + dx, y0 + dy, steps=5 + i)
    page.mouse.up()
    page.click("[data-testid=send-code]")
    page.wait_for_function("document.querySelector('[data-testid=sign-message]').textContent.length > 0")
    from tests.integration.lending.helpers import last_sms_code

    code = last_sms_code(phone)
    assert code in page.inner_text("[data-testid=sign-message]")  # sandbox SMS shown for the demo
    page.fill("[data-testid=sms-code]", code)
    screenshot(page, "lending-sign-pad")
    page.click("[data-testid=sign-button]")
    try:  # signing renders the PDF and makes two SM2 signatures: allow for a busy machine
        page.wait_for_url(f"{live_server}/contracts/{cid}", timeout=60_000)
    except Exception as exc:  # noqa: BLE001 - report what the page said
        raise AssertionError(f"no redirect; the page says: {page.inner_text('[data-testid=sign-message]')!r}") from exc
    assert page.inner_text("[data-testid=contract-status]").strip() == "已签署"
    assert "完好" in page.inner_text("[data-testid=verify-report]")
    screenshot(page, "lending-contract-signed")
