"""Tablet pages in Chromium: loan detail with the prepayment quote, the inspection form, the
portfolio charts."""

from __future__ import annotations

from tests.e2e.authz import MatrixContext
from tests.e2e.authz.servicing import make_loan
from tests.e2e.conftest import login_page, screenshot


def test_quote_inspection_and_portfolio(browser_page, live_server, demo_db) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with demo_db.unit_of_work(write=False) as s:
        own = s.execute(text("SELECT id FROM org_institution WHERE code='101'")).scalar_one()
    loan = make_loan(MatrixContext(client=None, db=demo_db, own_institution_id=own, other_institution_id=own,
                                   admin_headers={}), own)
    page = browser_page
    login_page(page, live_server, "manager1")
    page.goto(f"{live_server}/servicing/loans/{loan['loan_id']}")
    page.wait_for_selector("[data-testid=schedule]")
    page.select_option("[data-testid=quote-form] select[name=kind]", "full")
    page.click("[data-testid=quote-form] button[type=submit]")
    page.wait_for_selector("[data-testid=quote-total]")
    assert "¥" in page.inner_text("[data-testid=quote-total]")
    screenshot(page, "servicing-loan-quote")
    page.goto(f"{live_server}/servicing/inspections/{loan['inspection_id']}")
    page.wait_for_selector("[data-testid=inspection-form]")
    page.click("[data-testid=inspection-form] button[type=submit]")
    page.wait_for_url("**/servicing/my**")
    screenshot(page, "servicing-my")
    page.goto(f"{live_server}/logout")
    login_page(page, live_server, "risk")
    page.goto(f"{live_server}/servicing/portfolio")
    page.wait_for_selector("[data-testid=chart-class] canvas")
    screenshot(page, "servicing-portfolio")
