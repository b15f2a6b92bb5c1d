"""Browser (1024x768 tablet): open an e-account, fund it from the bound card, see the interest quote
before buying a term deposit, read the statement; operations see the trial balance, journal and EOD."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.e2e.conftest import login_page, screenshot

pytestmark = pytest.mark.browser


def _verified_customer(db, code: str, index: int) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        ids = s.execute(text("""SELECT c.id FROM customers_customer c JOIN org_institution i ON i.id = c.institution_id
                                WHERE i.code = :c AND c.identity_verified ORDER BY c.id"""), {"c": code}).scalars().all()
    return int(ids[index])


def test_manager_opens_funds_buys_and_reads_statement(browser_page, live_server, demo_db) -> None:
    page = browser_page
    login_page(page, live_server, "manager1")
    page.goto(f"{live_server}/accounts")
    page.click("[data-testid=open-eaccount]")
    page.fill("input[name=customer_id]", str(_verified_customer(demo_db, "101", 1)))
    page.fill("input[name=bound_card]", "6222020200112233441")  # wrong check digit
    page.click("main form button[type=submit]")
    assert "校验位" in page.inner_text("[data-testid=error]")
    page.fill("input[name=bound_card]", "6222020200112233446")
    page.click("main form button[type=submit]")
    page.wait_for_selector("[data-testid=account-number]")
    assert "电子账户已开立" in page.inner_text("[data-testid=done]")

    page.fill("[data-testid=bound-form] input[name=amount]", "20000")
    page.click("[data-testid=bound-form] button")
    page.wait_for_selector("[data-testid=done]")
    assert page.inner_text("[data-testid=balance]") == "¥20,000.00"
    assert page.inner_text("[data-testid=available]") == "¥20,000.00"

    option = page.locator("[data-testid=buy-form] option", has_text="九惠存·1年")
    assert "1.45%" in option.inner_text()
    page.select_option("[data-testid=buy-form] select[name=product_id]", value=option.get_attribute("value"))
    page.fill("[data-testid=buy-form] input[name=amount]", "10000")
    page.wait_for_selector("[data-testid=quote-interest]")
    assert page.inner_text("[data-testid=quote-interest]") == "¥147.01"  # 1,000,000 × 1.45% × 365/360
    screenshot(page, "deposits-quote")
    page.click("[data-testid=buy-form] button[type=submit]")
    page.wait_for_selector("[data-testid=done]")
    assert "定期存款已购买" in page.inner_text("[data-testid=done]")
    assert "九惠存·1年" in page.inner_text("[data-testid=terms]")
    assert page.inner_text("[data-testid=balance]") == "¥10,000.00"

    page.fill("[data-testid=transfer-form] input[name=to_account]", "0000")
    page.fill("[data-testid=transfer-form] input[name=amount]", "1")
    page.click("[data-testid=transfer-form] button")
    assert "收款账号不存在" in page.inner_text("[data-testid=error]")
    assert page.inner_text("[data-testid=balance]") == "¥10,000.00"

    page.click("[data-testid=statement-link]")
    page.wait_for_selector("[data-testid=statement]")
    rows = page.locator("[data-testid=statement] tbody tr")
    assert rows.count() == 2
    assert "¥10,000.00" in rows.nth(1).inner_text()
    assert page.get_attribute("[data-testid=csv]", "href").endswith("format=csv")
    screenshot(page, "deposits-statement")


def test_operations_see_trial_balance_journal_and_eod(browser_page, live_server) -> None:
    page = browser_page
    login_page(page, live_server, "admin")
    page.goto(f"{live_server}/ledger")
    assert "总账检查通过" in page.inner_text("[data-testid=check]")
    assert page.inner_text("[data-testid=total-debit]") == page.inner_text("[data-testid=total-credit]")
    screenshot(page, "ledger-trial-balance")
    page.goto(f"{live_server}/ledger/journal")
    page.locator("[data-testid=journal] tbody a").first.click()
    page.wait_for_selector("[data-testid=entry-lines]")
    assert page.locator("[data-testid=entry-lines] tbody tr").count() >= 2
    page.goto(f"{live_server}/eod")
    assert "会计日期切换" in page.inner_text("[data-testid=eod-steps]")
    assert page.locator("[data-testid=eod-run]").count() == 1
    screenshot(page, "eod")
