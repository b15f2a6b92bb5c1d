"""The staff list reads its query parameters through one model (``web.query.QueryModel``) instead
of FastAPI's per-parameter solving: the answers must be exactly what FastAPI's own gave."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("query", "field", "etype"), [
    ("page=0", "query.page", "greater_than_equal"),
    ("page=abc", "query.page", "int_parsing"),
    ("page_size=201", "query.page_size", "less_than_equal"),
    ("status=bogus", "query.status", "string_pattern_mismatch"),
    ("q=" + "x" * 65, "query.q", "string_too_long"),
    ("role=" + "r" * 33, "query.role", "string_too_long"),
    ("institution_id=abc", "query.institution_id", "int_parsing"),
])
def test_bad_query_values_get_the_validation_problem(client, auth, query: str, field: str,  # type: ignore[no-untyped-def]
                                                     etype: str) -> None:
    r = client.get(f"/api/v1/staff?{query}", headers={**auth("admin"), "Accept-Language": "en"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["code"] == "validation_failed"
    assert [(e["field"], e["type"]) for e in body["errors"]] == [(field, etype)]
    zh = client.get(f"/api/v1/staff?{query}", headers=auth("admin")).json()
    assert zh["title"] == "输入有误" and zh["errors"][0]["field"] == field


def test_repeated_and_unknown_parameters_are_read_as_fastapi_reads_them(client, auth) -> None:  # type: ignore[no-untyped-def]
    """A repeated name takes its last value; a name the list does not know is ignored; values
    are converted from text (page numbers) and checked against their pattern (status)."""
    body = client.get("/api/v1/staff?page=2&page=1&page_size=3&unknown=5&status=active",
                      headers=auth("admin")).json()
    assert (body["page"], body["page_size"]) == (1, 3)
    assert len(body["items"]) == 3 and all(s["status"] == "active" for s in body["items"])


def test_login_is_checked_before_the_parameters(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/staff?page=0").status_code == 401


def test_the_parameters_stay_in_the_api_description(client) -> None:  # type: ignore[no-untyped-def]
    params = {p["name"]: p for p in client.app.openapi()["paths"]["/api/v1/staff"]["get"]["parameters"]}
    assert list(params) == ["q", "institution_id", "role", "status", "page", "page_size"]
    assert all(p["in"] == "query" and not p["required"] for p in params.values())
    assert params["page_size"]["schema"]["maximum"] == 200 and params["page"]["schema"]["default"] == 1
