"""Browser: an analyst opens a strategy on the canvas, runs the simulator, and the trace shows."""

from __future__ import annotations

from tests.e2e.conftest import login_page, screenshot


def test_canvas_simulator_shows_trace(live_server, browser_page, client, auth):
    page = browser_page
    version_id = client.get("/api/v1/decisions/loan.admission", headers=auth("analyst")).json()["active_version"]["id"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    login_page(page, live_server, "analyst")
    page.goto(f"{live_server}/decisions")
    page.click("text=loan.admission")
    page.wait_for_url("**/decisions/loan.admission")
    page.click(f"a[href='/decision-versions/{version_id}'] >> nth=0")
    page.wait_for_url(f"**/decision-versions/{version_id}")
    # the JDM canvas (React Flow) renders the graph's nodes
    page.wait_for_selector("[data-testid=canvas] .react-flow__node", timeout=20000)
    assert page.locator("[data-testid=canvas] .react-flow__node").count() >= 5
    page.select_option("#case-pick", label="refer dti 60%")
    page.click("[data-testid=sim-run]")
    page.wait_for_selector("[data-testid=trace] tr[data-node=decide]")
    assert '"refer"' in page.inner_text("[data-testid=sim-output]")
    row = page.inner_text("[data-testid=trace] tr[data-node=decide]")
    assert "decide_r6" in row  # the matched rule of the admission table
    assert page.locator("[data-testid=trace] tbody tr").count() >= 5
    screenshot(page, "decisions-canvas-simulator")
    assert not errors, errors
