"""Decision API end to end: evaluation, bad input, lifecycle with maker-checker, suites, records,
regression, pages."""

from __future__ import annotations

import time
import uuid

from tests.conftest import count_rows

ADM = {"age": 35, "term_months": 12, "blacklisted": False, "identity_verified": True, "current_overdue_days": 0,
       "monthly_income_fen": 800000, "monthly_debt_payment_fen": 200000}
GRAPH = {"nodes": [
    {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
    {"id": "t", "type": "decisionTableNode", "name": "Cut", "position": {"x": 200, "y": 0},
     "content": {"hitPolicy": "first", "inputs": [{"id": "i", "name": "Score", "field": "score"}],
                 "outputs": [{"id": "o", "name": "Decision", "field": "decision"}],
                 "rules": [{"_id": "r1", "i": ">= 600", "o": '"approve"'}, {"_id": "r2", "i": "", "o": '"decline"'}]}},
    {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 400, "y": 0}}],
    "edges": [{"id": "a", "sourceId": "in", "targetId": "t", "type": "edge"},
              {"id": "b", "sourceId": "t", "targetId": "out", "type": "edge"}]}
SCHEMA_IN = {"type": "object", "properties": {"score": {"type": "integer"}}, "required": ["score"]}
SCHEMA_OUT = {"type": "object", "properties": {"decision": {"enum": ["approve", "decline"]}}, "required": ["decision"]}


def test_manager_evaluates_admission_and_it_is_recorded(client, auth):
    caller = f"loan_application:{uuid.uuid4().hex[:8]}"
    r = client.post("/api/v1/decisions/loan.admission/evaluate", headers=auth("manager1"),
                    json={"facts": ADM, "caller": caller})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["output"]["decision"] == "approve" and body["record_id"]
    rec = client.get(f"/api/v1/decision-records?caller={caller}", headers=auth("analyst")).json()["items"]
    assert [x["id"] for x in rec] == [body["record_id"]]
    replay = client.post(f"/api/v1/decision-records/{body['record_id']}/replay", headers=auth("analyst")).json()
    assert replay["same"] is True and replay["trace"]


def test_bad_facts_give_problem_json_listing_every_field(client, auth, demo_db):
    before = count_rows(demo_db, "decisions_record")
    r = client.post("/api/v1/decisions/loan.admission/evaluate", headers=auth("manager1"),
                    json={"facts": {**ADM, "age": -1, "blacklisted": "no", "monthly_income_fen": 1.5}})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    assert problem["code"] == "decision_input_invalid"
    assert {e["field"] for e in problem["errors"]} == {"age", "blacklisted", "monthly_income_fen"}
    assert count_rows(demo_db, "decisions_record") == before
    assert client.post("/api/v1/decisions/loan.admission/evaluate", headers=auth("manager1"),
                       json={"facts": ADM, "extra": 1}).status_code == 422
    assert client.post("/api/v1/decisions/no.such/evaluate", headers=auth("manager1"),
                       json={"facts": {}}).status_code == 404


def test_malformed_jdm_uploads_are_refused_and_nothing_stored(client, auth, demo_db):
    before = count_rows(demo_db, "decisions_version")
    bad_node = {**GRAPH, "nodes": GRAPH["nodes"] + [{"id": "z", "type": "mystery", "name": "Z",
                                                      "position": {"x": 0, "y": 0}}]}
    cycle = {**GRAPH, "edges": GRAPH["edges"] + [{"id": "c", "sourceId": "out", "targetId": "in"}]}
    bad_expr = {**GRAPH, "nodes": [GRAPH["nodes"][0], {**GRAPH["nodes"][1], "content": {
        **GRAPH["nodes"][1]["content"], "rules": [{"_id": "r1", "i": ">= >= 600", "o": '"approve"'}]}}, GRAPH["nodes"][2]]}
    for content, kind in (("{not json", "json"), (bad_node, "node_type"), (cycle, "cycle"), (bad_expr, "expression")):
        r = client.post("/api/v1/decisions/loan.admission/versions", headers=auth("analyst"), json={"content": content})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "decision_model_invalid" and r.json()["errors"][0]["type"] == kind
    assert count_rows(demo_db, "decisions_version") == before


def test_lifecycle_over_the_api_with_maker_checker(client, auth):
    key = f"e{uuid.uuid4().hex[:8]}.cut"
    idem = {"Idempotency-Key": uuid.uuid4().hex}
    r = client.post("/api/v1/decisions", headers={**auth("analyst"), **idem},
                    json={"key": key, "name": "端到端", "input_schema": SCHEMA_IN, "output_schema": SCHEMA_OUT})
    assert r.status_code == 201, r.text
    again = client.post("/api/v1/decisions", headers={**auth("analyst"), **idem},
                        json={"key": key, "name": "端到端", "input_schema": SCHEMA_IN, "output_schema": SCHEMA_OUT})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    suite = client.post(f"/api/v1/decisions/{key}/suite", headers=auth("analyst"), json={"cases": [
        {"name": "approve", "given": {"score": 700}, "expect": {"decision": "approve"}},
        {"name": "decline", "given": {"score": 10}, "expect": {"decision": "decline"}}]})
    assert suite.status_code == 200, suite.text
    v = client.post(f"/api/v1/decisions/{key}/versions", headers=auth("analyst"), json={"content": GRAPH}).json()
    assert client.post(f"/api/v1/decision-versions/{v['id']}/submit", headers=auth("analyst"),
                       json={"change_note": "first"}).json()["status"] == "submitted"
    own = client.post(f"/api/v1/decision-versions/{v['id']}/approve", headers=auth("analyst"), json={})
    assert own.status_code == 409 and own.json()["code"] == "maker_checker"
    edit = client.put(f"/api/v1/decision-versions/{v['id']}/content", headers=auth("analyst"), json={"content": GRAPH})
    assert edit.status_code == 409
    assert client.post(f"/api/v1/decision-versions/{v['id']}/approve", headers=auth("analyst2"),
                       json={"note": "ok"}).json()["status"] == "approved"
    assert client.post(f"/api/v1/decision-versions/{v['id']}/activate", headers=auth("analyst2")).json()["status"] == "active"
    assert client.post(f"/api/v1/decisions/{key}/evaluate", headers=auth("manager1"),
                       json={"facts": {"score": 650}}).json()["output"] == {"decision": "approve"}
    # a manager may evaluate but not author
    assert client.post(f"/api/v1/decisions/{key}/versions", headers=auth("manager1"),
                       json={"content": GRAPH}).status_code == 403
    csv_text = client.get(f"/api/v1/decisions/{key}/suite/export?format=csv", headers=auth("analyst")).text
    assert csv_text.splitlines()[0] == "name,match,in.score,out.decision"
    imported = client.post(f"/api/v1/decisions/{key}/suite/import", headers=auth("analyst"),
                           files={"file": ("cases.csv", csv_text.replace("700", "800").encode(), "text/csv")})
    assert imported.status_code == 200 and imported.json()["imported"] == 2
    run = client.get(f"/api/v1/decision-versions/{v['id']}/suite-run", headers=auth("analyst")).json()
    assert run["passed"] == 2 and run["failed"] == 0
    # regression of a candidate on a sample file, polled to the end
    cand_graph = {**GRAPH, "nodes": [GRAPH["nodes"][0], {**GRAPH["nodes"][1], "content": {
        **GRAPH["nodes"][1]["content"], "rules": [{"_id": "r1", "i": ">= 700", "o": '"approve"'},
                                                  {"_id": "r2", "i": "", "o": '"decline"'}]}}, GRAPH["nodes"][2]]}
    cand = client.post(f"/api/v1/decisions/{key}/versions", headers=auth("analyst"), json={"content": cand_graph}).json()
    sample = "score\n" + "\n".join(str(s) for s in range(0, 1000, 5))
    started = client.post(f"/api/v1/decision-versions/{cand['id']}/regressions/upload", headers=auth("analyst"),
                          files={"file": ("sample.csv", sample.encode(), "text/csv")})
    assert started.status_code == 202, started.text
    for _ in range(100):
        state = client.get(f"/api/v1/decision-regressions/{started.json()['id']}", headers=auth("analyst")).json()
        if state["status"] != "running":
            break
        time.sleep(0.1)
    assert state["status"] == "done" and state["report"]["changed"] == 20
    assert {"baseline": "approve", "candidate": "decline", "count": 20} in state["report"]["confusion"]
    page = client.get(f"/decision-regressions/{state['id']}", headers=auth("analyst"))
    assert page.status_code == 200 and "confusion" in page.text


def test_pages_render(client, auth):
    h = auth("analyst")
    studio = client.get("/decisions", headers=h)
    assert studio.status_code == 200 and "loan.admission" in studio.text
    detail = client.get("/decisions/loan.admission", headers=h)
    assert detail.status_code == 200 and "v1" in detail.text
    version_id = client.get("/api/v1/decisions/loan.admission", headers=h).json()["active_version"]["id"]
    canvas = client.get(f"/decision-versions/{version_id}", headers=h)
    assert canvas.status_code == 200 and "/decisions-static/jdm/jdm-editor.js" in canvas.text
    assert client.get("/decisions-static/jdm/jdm-editor.js").status_code == 200
    assert client.get("/decision-records?key=loan.admission", headers=h).status_code == 200
    psi = client.get("/decisions/loan.rating/psi", headers=h)
    assert psi.status_code == 200 and "score" in psi.text
    rec = client.get("/api/v1/decision-records?key=loan.rating&limit=1", headers=h).json()["items"][0]
    assert client.get(f"/decision-records/{rec['id']}", headers=h).status_code == 200
    assert client.get("/decisions", headers=auth("manager1")).status_code == 403
