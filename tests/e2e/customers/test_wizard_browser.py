"""Browser: a manager files a customer through the wizard with an uploaded image; an interrupted
visit resumes at the step it stopped; the 360 page shows the customer masked."""

from __future__ import annotations

import datetime as dt
import io
import random

from PIL import Image

from tests.e2e.conftest import login_page, screenshot
from zhanye.customers.validators import make_resident_id


def test_manager_files_a_customer_through_the_wizard(live_server, browser_page, tmp_path) -> None:
    page = browser_page
    number = make_resident_id("220122", dt.date(1980, 1, 1) + dt.timedelta(days=random.randrange(8000)),
                              random.randrange(900))
    phone = f"136{random.randrange(10**7, 10**8)}"
    photo = tmp_path / "house.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (1024, 768), (70, 130, 90)).save(buf, "JPEG")
    photo.write_bytes(buf.getvalue())

    login_page(page, live_server, "manager1")
    page.goto(f"{live_server}/customers")
    page.click("[data-testid=new-customer]")
    page.fill("input[name=id_number]", number)
    page.fill("input[name=name]", "浏览器客户")
    page.fill("input[name=mobile]", phone)
    page.click("[data-testid=save-identity]")
    page.wait_for_url("**/wizard/verify")
    customer_url = page.url.split("/wizard")[0]
    page.click("[data-testid=check-id]")
    page.wait_for_selector("[data-testid=id-verified]")
    page.click("[data-testid=verify-next]")
    page.wait_for_url("**/wizard/file")
    page.fill("[data-testid=income-farming_fen]", "45000")

    # the visit is interrupted here: going back to the customer list and resuming lands on this step
    page.goto(f"{live_server}/customers")
    cid = customer_url.rsplit("/", 1)[1]
    page.locator(f"a[href='/customers/{cid}/wizard']").first.click()  # listed among unfinished files
    page.wait_for_url("**/wizard/file")
    page.fill("[data-testid=income-farming_fen]", "45000")
    page.click("[data-testid=save-file]")
    page.wait_for_url("**/wizard/images")
    page.select_option("select[name=purpose]", "house")
    page.set_input_files("[data-testid=image-files]", str(photo))
    page.click("[data-testid=upload-images]")
    page.wait_for_selector("[data-testid=ok]")
    assert page.locator("[data-testid=images] img").count() == 1
    page.click("[data-testid=finish]")
    page.wait_for_url(customer_url)
    page.wait_for_selector("[data-testid=identity]")
    html = page.content()
    assert number not in html and phone not in html and "浏览器客户" not in html
    assert page.inner_text("[data-testid=id-number]") == number[0] + "*" * 16 + number[-1]
    assert page.inner_text("[data-testid=customer-name]").startswith("浏****")
    assert "450.00" in page.inner_text("[data-section=income]") or "45,000.00" in page.inner_text(
        "[data-section=income]")
    img = page.locator("[data-testid=images] img").first
    assert img.evaluate("i => i.naturalWidth") > 0  # the thumbnail really loads
    screenshot(page, "customers_360")
