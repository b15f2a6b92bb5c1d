"""The shell in a real browser (Debian chromium, headless, tablet viewport)."""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.conftest import login_page, screenshot

pytestmark = pytest.mark.browser


def test_admin_logs_in_and_manages_staff(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    login_page(page, live_server, "admin")
    assert page.locator("[data-testid=welcome]").inner_text().startswith("欢迎")
    assert page.locator("[data-testid=business-date]").inner_text()
    screenshot(page, "shell-home")
    page.click("text=员工管理")
    page.wait_for_selector("[data-testid=staff-table]")
    assert page.locator("[data-testid=staff-table] tbody tr").count() >= 10
    page.click("text=新增员工")
    name = f"br{uuid.uuid4().hex[:6]}"
    page.fill("input[name=username]", name)
    page.fill("input[name=display_name]", "浏览器测试员")
    page.check("input[name=roles][value=manager]")
    page.click("button[type=submit]:has-text('保存')")
    page.wait_for_selector("[data-testid=temp-password]")
    screenshot(page, "shell-staff-created")
    page.click("text=员工管理")
    page.fill("input[name=q]", name)
    page.click("form.toolbar button[type=submit]")
    page.wait_for_load_state("networkidle")
    screenshot(page, "shell-staff-search")
    assert page.locator("[data-testid=staff-table] tbody tr").count() == 1
    assert name in page.locator("[data-testid=staff-table]").inner_text()
    page.click("text=角色权限")
    page.wait_for_selector("text=客户经理")
    page.click("text=English")
    page.wait_for_selector("text=Roles and permissions")
    screenshot(page, "shell-roles-en")
    page.click("text=中文")
    page.click("button:has-text('退出')")
    page.wait_for_selector("input[name=username]")


def test_wrong_password_then_manager_home(live_server, browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    login_page(page, live_server, "manager2", "not-the-password")
    assert "用户名或密码错误" in page.locator("[data-testid=login-error]").inner_text()
    login_page(page, live_server, "manager2")
    nav = page.locator("nav.sidenav").inner_text()
    assert "首页" in nav and "角色权限" not in nav
    screenshot(page, "shell-manager-home")
