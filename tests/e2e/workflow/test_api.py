"""The workflow API end to end: inbox, task actions (idempotent, acted once), scope (404),
permissions (403), definition upload with per-line errors, manual start, SLA metrics."""

from __future__ import annotations

import uuid

from tests.conftest import count_rows


def _start_loan(client, headers, amount_fen: int) -> dict:  # type: ignore[no-untyped-def,type-arg]
    """Lending is not wired here: start through the service as a feature would, via a tiny helper."""
    from tests.integration.workflow.helpers import principal
    from zhanye.workflow import service as wf

    db = client.app.state.db
    with db.unit_of_work() as s:
        inst = wf.start(s, principal(s, "manager1"), process_key="loan.approval", subject_type="wf_e2e",
                        subject_id=uuid.uuid4().hex[:8], facts={"amount_fen": amount_fen},
                        summary=f"E2E {amount_fen}")
        return {"id": inst.id}


def test_inbox_and_approve_once(wf_client, wf_auth) -> None:
    inst = _start_loan(wf_client, wf_auth("manager1"), 3_000_000)
    inbox = wf_client.get("/api/v1/workflow/tasks?page_size=200", headers=wf_auth("sub101"))
    assert inbox.status_code == 200
    task = next(t for t in inbox.json()["items"] if t["instance_id"] == inst["id"])
    assert task["can_act"] and task["sla_state"] == "ok" and task["facts"] == {"amount_fen": 3_000_000}
    detail = wf_client.get(f"/api/v1/workflow/tasks/{task['id']}", headers=wf_auth("sub101")).json()
    assert "approve" in detail["actions"] and "approved_amount_fen" in detail["adjustable"]
    key = uuid.uuid4().hex
    body = {"action": "approve", "comment": "同意", "adjustments": {"approved_amount_fen": 2_000_000}}
    first = wf_client.post(f"/api/v1/workflow/tasks/{task['id']}/actions", json=body,
                           headers={**wf_auth("sub101"), "Idempotency-Key": key})
    assert first.status_code == 200, first.text
    assert first.json()["instance_status"] == "approved"
    replay = wf_client.post(f"/api/v1/workflow/tasks/{task['id']}/actions", json=body,
                            headers={**wf_auth("sub101"), "Idempotency-Key": key})
    assert replay.status_code == 200 and replay.headers.get("Idempotent-Replayed") == "true"
    again = wf_client.post(f"/api/v1/workflow/tasks/{task['id']}/actions", json=body, headers=wf_auth("sub101"))
    assert again.status_code == 409 and again.json()["code"] == "task_already_done"
    assert "处理" in again.json()["detail"]
    timeline = wf_client.get(f"/api/v1/workflow/instances/{inst['id']}", headers=wf_auth("sub101")).json()
    assert [a["action"] for a in timeline["actions"]] == ["start", "approve", "approved"]
    assert timeline["instance"]["adjustments"] == {"approved_amount_fen": 2_000_000}


def test_scope_and_permissions(wf_client, wf_auth) -> None:
    inst = _start_loan(wf_client, wf_auth("manager1"), 3_000_000)
    task_id = next(t["id"] for t in wf_client.get("/api/v1/workflow/tasks?page_size=200",
                                                  headers=wf_auth("sub101")).json()["items"]
                   if t["instance_id"] == inst["id"])
    outsider = wf_auth("manager3")  # another branch's sub-branch
    assert wf_client.get(f"/api/v1/workflow/tasks/{task_id}", headers=outsider).status_code == 404
    assert wf_client.get(f"/api/v1/workflow/instances/{inst['id']}", headers=outsider).status_code == 404
    acted = wf_client.post(f"/api/v1/workflow/tasks/{task_id}/actions", json={"action": "approve"}, headers=outsider)
    assert acted.status_code == 404
    # a manager at the same sub-branch sees it but cannot act: not their role
    same = wf_client.post(f"/api/v1/workflow/tasks/{task_id}/actions", json={"action": "approve"},
                          headers=wf_auth("manager1"))
    assert same.status_code == 409 and same.json()["code"] == "task_not_yours"
    # the auditor may read but has no task.act
    assert wf_client.post(f"/api/v1/workflow/tasks/{task_id}/claim", headers=wf_auth("auditor")).status_code == 403
    assert wf_client.get("/api/v1/workflow/sla/metrics", headers=wf_auth("manager1")).status_code == 403


def test_bad_action_input_is_a_4xx_and_changes_nothing(wf_client, wf_auth) -> None:
    inst = _start_loan(wf_client, wf_auth("manager1"), 3_000_000)
    task_id = next(t["id"] for t in wf_client.get("/api/v1/workflow/tasks?page_size=200",
                                                  headers=wf_auth("sub101")).json()["items"]
                   if t["instance_id"] == inst["id"])
    db = wf_client.app.state.db
    before = count_rows(db, "workflow_action")
    for body in ({"action": "explode"}, {"action": "approve", "extra": 1}, {"action": "reject"},
                 {"action": "approve", "adjustments": {"approved_amount_fen": 99_000_000}},
                 {"action": "return", "to_step": "nowhere", "comment": "x"},
                 {"action": "delegate", "staff_id": 999999}, {"action": "approve", "comment": "\x00"}):
        resp = wf_client.post(f"/api/v1/workflow/tasks/{task_id}/actions", json=body, headers=wf_auth("sub101"))
        assert resp.status_code in (409, 422), (body, resp.status_code, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    assert count_rows(db, "workflow_action") == before


def test_definition_upload_reports_errors_per_line(wf_client, wf_auth) -> None:
    bad = "key: test.upload\nname: 上传\nsteps:\n  - id: a\n    name: 甲\n    role: wizard\n    level: moon\n"
    resp = wf_client.post("/api/v1/workflow/definitions", content=bad.encode(),
                          headers={**wf_auth("admin"), "Content-Type": "application/yaml"})
    assert resp.status_code == 422
    problem = resp.json()
    assert problem["code"] == "definition_invalid"
    lines = {e["loc"][1] for e in problem["errors"]}
    assert {6, 7} <= lines
    key = f"test.upload_{uuid.uuid4().hex[:6]}"
    good = f"key: {key}\nname: 上传\nsla_hours: 4\nsteps:\n  - {{id: a, name: 甲, role: approver, level: head_office}}\n"
    ok = wf_client.post("/api/v1/workflow/definitions", json={"source": good}, headers=wf_auth("admin"))
    assert ok.status_code == 201 and ok.json()["version"] == 1 and ok.json()["created"] is True
    versions = wf_client.get(f"/api/v1/workflow/definitions/{key}", headers=wf_auth("manager1")).json()["versions"]
    assert versions[0]["source"] == good
    assert wf_client.post("/api/v1/workflow/definitions", json={"source": good},
                          headers=wf_auth("manager1")).status_code == 403


def test_manual_start_of_an_sla_table_process(wf_client, wf_auth) -> None:
    resp = wf_client.post("/api/v1/workflow/instances", json={"process_key": "oa.data_change", "summary": "核心系统数据变更"},
                          headers={**wf_auth("manager2"), "Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code == 201, resp.text
    assert resp.json()["status"] == "running"
    refused = wf_client.post("/api/v1/workflow/instances", json={"process_key": "loan.approval", "summary": "x"},
                             headers=wf_auth("manager2"))
    assert refused.status_code == 422
    metrics = wf_client.get("/api/v1/workflow/sla/metrics", headers=wf_auth("executive")).json()
    assert any(p["process_key"] == "oa.data_change" for p in metrics["processes"])
    scan = wf_client.post("/api/v1/workflow/sla/scan", headers=wf_auth("admin"))
    assert scan.status_code == 200 and "cards" in scan.json()


def test_pages_render(wf_client, wf_auth) -> None:
    inst = _start_loan(wf_client, wf_auth("manager1"), 12_000_000)
    h = {**wf_auth("approver"), "Accept": "text/html"}
    task_id = next(t["id"] for t in wf_client.get("/api/v1/workflow/tasks?page_size=200",
                                                  headers=wf_auth("approver")).json()["items"]
                   if t["instance_id"] == inst["id"])
    for url in ("/workflow/inbox", f"/workflow/tasks/{task_id}", f"/workflow/instances/{inst['id']}",
                "/workflow/instances", "/workflow/sla", "/workflow/definitions", "/workflow/definitions/loan.approval",
                "/", "/workflow/inbox?sla_state=red&claimed=mine"):
        resp = wf_client.get(url, headers=h)
        assert resp.status_code == 200, (url, resp.text[:500])
        assert "<html" in resp.text
    assert "贷审会" in wf_client.get("/workflow/definitions/loan.approval", headers=h).text
    upload = wf_client.get("/workflow/definitions/upload", headers={**wf_auth("admin"), "Accept": "text/html"})
    assert upload.status_code == 200
    bad = wf_client.post("/workflow/definitions/upload", data={"source": "key: x\nname: y\nsteps:\n  - id: 1\n"},
                         headers={**wf_auth("admin"), "Accept": "text/html"})
    assert bad.status_code == 422 and 'data-line="4"' in bad.text


def test_inbox_keyset_paging(wf_client, wf_auth) -> None:
    for amount in (1_000_000, 2_000_000):
        _start_loan(wf_client, wf_auth("manager1"), amount)
    first = wf_client.get("/api/v1/workflow/tasks?page_size=1", headers=wf_auth("sub101")).json()
    assert first["total"] >= 2 and first["next"]
    second = wf_client.get(f"/api/v1/workflow/tasks?page_size=1&after={first['next']}",
                           headers=wf_auth("sub101")).json()
    assert second["total"] == first["total"] and second["items"][0]["id"] != first["items"][0]["id"]
    both = wf_client.get("/api/v1/workflow/tasks?page_size=2", headers=wf_auth("sub101")).json()
    assert [t["id"] for t in both["items"]] == [first["items"][0]["id"], second["items"][0]["id"]]
    bad = wf_client.get("/api/v1/workflow/tasks?after=yesterday", headers=wf_auth("sub101"))
    assert bad.status_code == 422
