"""In a real browser (tablet size, then phone width): an approver finds a task in the inbox, opens
it, approves with an adjusted amount, and sees the timeline; the SLA board draws its charts; the
definition upload shows errors per line."""

from __future__ import annotations

import uuid

from tests.e2e.conftest import login_page, screenshot
from tests.integration.workflow.helpers import principal
from zhanye.workflow import service as wf


def _start(db, summary: str, amount_fen: int) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return wf.start(s, principal(s, "manager1"), process_key="loan.approval", subject_type="wf_browser",
                        subject_id=uuid.uuid4().hex[:8], facts={"amount_fen": amount_fen}, summary=summary).id


def test_approve_from_the_inbox(browser_page, wf_live_server, wf_app) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    summary = f"浏览器测试 {uuid.uuid4().hex[:4]}"
    inst_id = _start(wf_app.state.db, summary, 3_000_000)
    login_page(page, wf_live_server, "sub101")
    page.goto(f"{wf_live_server}/workflow/inbox?q={summary}")
    assert page.locator("[data-testid=inbox] tbody tr").count() == 1
    screenshot(page, "workflow-inbox")
    page.click(f"[data-testid=inbox] td a:has-text(\"{summary}\")")
    page.wait_for_selector("[data-testid=action-form]")
    page.fill("textarea[name=comment]", "经调查同意，批准 2.5 万元")
    page.fill("input[name=approved_amount_yuan]", "25000")
    screenshot(page, "workflow-task")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=task-done]")
    assert page.locator("[data-testid=timeline] li[data-action=approve]").count() == 1
    assert "经调查同意" in page.inner_text("[data-testid=timeline]")
    page.goto(f"{wf_live_server}/workflow/instances/{inst_id}")
    assert page.locator("[data-status=approved]").count() >= 1
    screenshot(page, "workflow-instance")


def test_second_approver_gets_a_clear_message(browser_page, wf_live_server, wf_app) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    inst_id = _start(wf_app.state.db, f"并行 {uuid.uuid4().hex[:4]}", 12_000_000)
    with wf_app.state.db.unit_of_work() as s:
        rows, _ = wf.inbox(s, principal(s, "committee1"), page_size=200)
        task_id = next(t.id for t, i, _ in rows if i.id == inst_id)
    login_page(page, wf_live_server, "committee1")
    page.goto(f"{wf_live_server}/workflow/tasks/{task_id}")
    page.wait_for_selector("[data-testid=approve]")
    with wf_app.state.db.unit_of_work() as s:  # a colleague approves first
        wf.act(s, principal(s, "committee2"), task_id=task_id, action="approve")
    page.click("[data-testid=approve]")
    page.wait_for_selector("[data-testid=task-error]")
    assert "已由" in page.inner_text("[data-testid=task-error]")


def test_sla_board_and_upload_on_a_phone(browser_page, wf_live_server) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    login_page(page, wf_live_server, "admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{wf_live_server}/workflow/sla")
    page.wait_for_selector("#chart-institutions canvas")
    screenshot(page, "workflow-sla-phone")
    page.goto(f"{wf_live_server}/workflow/definitions/loan.approval")
    assert page.locator("[data-testid=diagram] .wf-node").count() == 5
    page.goto(f"{wf_live_server}/workflow/definitions/upload")
    page.fill("[data-testid=source]", "key: test.browser\nname: 浏览器\nsteps:\n  - id: a\n    name: 甲\n    role: ghost\n")
    page.click("[data-testid=publish]")
    page.wait_for_selector("[data-testid=upload-errors]")
    assert page.locator("[data-testid=upload-errors] li[data-line='6']").count() >= 1
    screenshot(page, "workflow-upload-errors")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 40, f"page wider than the phone: {width}px"
