"""Scope cases of the decision routes. Decisions themselves (``{key}`` routes) are bank-wide
definitions; versions, records and regression runs belong to an institution scope."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES = {
    ("GET", "/api/v1/decisions/{key}"),
    ("POST", "/api/v1/decisions/{key}/versions"),
    ("POST", "/api/v1/decisions/{key}/rollback"),
    ("POST", "/api/v1/decisions/{key}/evaluate"),
    ("GET", "/api/v1/decisions/{key}/suite"),
    ("POST", "/api/v1/decisions/{key}/suite"),
    ("DELETE", "/api/v1/decisions/{key}/suite/{case_id}"),
    ("POST", "/api/v1/decisions/{key}/suite/import"),
    ("GET", "/api/v1/decisions/{key}/suite/export"),
    ("PUT", "/api/v1/decisions/{key}/challenger"),
    ("DELETE", "/api/v1/decisions/{key}/challenger"),
    ("GET", "/api/v1/decisions/{key}/challenger/report"),
    ("GET", "/decisions/{key}"),
    ("GET", "/decisions/{key}/psi"),
}
UNSAFE_ROUTES: set[tuple[str, str]] = set()

GRAPH = {"nodes": [
    {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
    {"id": "e", "type": "expressionNode", "name": "E", "position": {"x": 200, "y": 0},
     "content": {"expressions": [{"id": "x", "key": "decision", "value": "score > 5 ? 'approve' : 'decline'"}]}},
    {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 400, "y": 0}}],
    "edges": [{"id": "a", "sourceId": "in", "targetId": "e", "type": "edge"},
              {"id": "b", "sourceId": "e", "targetId": "out", "type": "edge"}]}


def _objects(ctx: MatrixContext) -> dict[str, Any]:
    cached = ctx.extra.get("decisions")
    if cached:
        return cached
    from zhanye.decisions import regression, service
    from zhanye.decisions.demo import analyst_principal
    from zhanye.org.models import Institution, Staff

    key = f"mx{uuid.uuid4().hex[:8]}.cut"
    out: dict[str, Any] = {}
    with ctx.db.unit_of_work() as s:
        def who(name: str) -> Any:
            staff = s.execute(select(Staff).where(Staff.username == name)).scalar_one()
            return analyst_principal(s, staff.id, name, staff.institution_id)

        maker, checker = who("analyst"), who("analyst2")
        head = s.execute(select(Institution.id).where(Institution.code == "000")).scalar_one()
        service.create_decision(s, maker, key=key, name="矩阵决策", branch_override=True,
                                input_schema={"type": "object", "properties": {"score": {"type": "integer"}},
                                              "required": ["score"]},
                                output_schema={"type": "object", "required": ["decision"]})
        base = service.create_version(s, maker, key=key, content=GRAPH, institution_id=head)
        service.submit_version(s, maker, base.id, change_note="base")
        service.approve_version(s, checker, base.id)
        service.activate_version(s, checker, base.id)
        for side, inst in (("own", ctx.own_institution_id), ("other", ctx.other_institution_id)):
            v = service.create_version(s, maker, key=key, content=GRAPH, institution_id=inst)
            rec = service.decide(s, key, {"score": 9}, caller=f"mx-{side}", institution_id=inst)
            run = regression.start(s, maker, version_id=v.id, source="records")
            out[side] = {"version_id": v.id, "record_id": rec.record_id, "run_id": run.id}
    ctx.extra["decisions"] = out
    return out


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    objs = _objects(ctx)
    own, other = objs["own"], objs["other"]

    def case(method: str, path: str, body: dict[str, Any] | None = None) -> ScopeCase:
        return ScopeCase(method, path, own, other, body=body)

    return [
        case("GET", "/api/v1/decision-versions/{version_id}"),
        case("PUT", "/api/v1/decision-versions/{version_id}/content", {"content": GRAPH}),
        case("POST", "/api/v1/decision-versions/{version_id}/submit", {"change_note": "matrix"}),
        case("POST", "/api/v1/decision-versions/{version_id}/approve", {}),
        case("POST", "/api/v1/decision-versions/{version_id}/reject", {"note": "matrix"}),
        case("POST", "/api/v1/decision-versions/{version_id}/activate"),
        case("POST", "/api/v1/decision-versions/{version_id}/retire"),
        case("POST", "/api/v1/decision-versions/{version_id}/simulate", {"facts": {"score": 7}}),
        case("GET", "/api/v1/decision-versions/{version_id}/suite-run"),
        case("POST", "/api/v1/decision-versions/{version_id}/regressions", {"limit": 10}),
        case("POST", "/api/v1/decision-versions/{version_id}/regressions/upload"),
        case("GET", "/api/v1/decision-records/{record_id}"),
        case("POST", "/api/v1/decision-records/{record_id}/replay"),
        case("GET", "/api/v1/decision-regressions/{run_id}"),
        case("POST", "/api/v1/decision-regressions/{run_id}/cancel"),
        case("GET", "/decision-versions/{version_id}"),
        case("GET", "/decision-regressions/{run_id}"),
        case("GET", "/decision-records/{record_id}"),
    ]
