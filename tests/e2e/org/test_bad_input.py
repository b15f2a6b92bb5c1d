"""Bad input of every kind answers 4xx problem+json and writes nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import count_rows

TABLES = ("org_staff", "org_institution", "kernel_audit", "kernel_idempotency", "org_staff_role")

VALID_STAFF = {"username": "bad_input_probe", "display_name": "测试", "institution_id": 4, "roles": ["manager"]}


def _counts(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {t: count_rows(db, t) for t in TABLES}


def _post(client, headers, path, *, content=None, json_body=None, extra_headers=None):  # type: ignore[no-untyped-def]
    h = {**headers, **(extra_headers or {})}
    if content is not None:
        h.setdefault("content-type", "application/json")
        return client.post(path, content=content, headers=h)
    return client.post(path, json=json_body, headers=h)


CASES = [
    ("malformed json", {"content": b'{"username": "x",'}),
    ("not an object", {"json_body": ["a", "b"]}),
    ("wrong type", {"json_body": {**VALID_STAFF, "institution_id": "four"}}),
    ("float where int", {"json_body": {**VALID_STAFF, "institution_id": 4.5}}),
    ("unknown field", {"json_body": {**VALID_STAFF, "is_admin": True}}),
    ("missing field", {"json_body": {k: v for k, v in VALID_STAFF.items() if k != "roles"}}),
    ("over-long string", {"json_body": {**VALID_STAFF, "display_name": "长" * 65}}),
    ("control character", {"json_body": {**VALID_STAFF, "display_name": "张\x07三"}}),
    ("emoji", {"json_body": {**VALID_STAFF, "display_name": "张三🐷"}}),
    ("sql fragment", {"json_body": {**VALID_STAFF, "display_name": "x'); DROP TABLE org_staff;--"}}),
    ("html fragment", {"json_body": {**VALID_STAFF, "display_name": "<img src=x onerror=alert(1)>"}}),
    ("sql in username", {"json_body": {**VALID_STAFF, "username": "a' or '1'='1"}}),
    ("unknown role", {"json_body": {**VALID_STAFF, "roles": ["superuser"]}}),
    ("empty roles", {"json_body": {**VALID_STAFF, "roles": []}}),
    ("institution out of scope", {"json_body": {**VALID_STAFF, "institution_id": 999999}}),
    ("body over the size limit", {"content": json.dumps({**VALID_STAFF, "pad": "x" * 1_100_000}).encode()}),
    ("null body", {"content": b"null"}),
]


@pytest.mark.parametrize("label,kwargs", CASES, ids=[c[0] for c in CASES])
def test_staff_create_refuses_bad_input(client, auth, demo_db, label, kwargs) -> None:  # type: ignore[no-untyped-def]
    headers = auth("admin")
    before = _counts(demo_db)
    resp = _post(client, headers, "/api/v1/staff", **kwargs,
                 extra_headers={"Idempotency-Key": f"bad-{label.replace(' ', '-')}"})
    assert 400 <= resp.status_code < 500, (label, resp.status_code, resp.text[:200])
    assert resp.headers["content-type"].startswith("application/problem+json")
    body = resp.json()
    assert body["status"] == resp.status_code and body["code"] and body["title"]
    if resp.status_code == 422:
        assert body.get("errors") or body.get("detail")
    assert _counts(demo_db) == before, label


def test_validation_errors_name_the_fields(client, auth) -> None:
    resp = client.post("/api/v1/staff", headers=auth("admin"),
                       json={"username": "Bad Name", "display_name": "😀", "institution_id": 1, "roles": ["manager"],
                             "extra": 1})
    fields = {e["field"] for e in resp.json()["errors"]}
    assert {"body.username", "body.display_name", "body.extra"} <= fields


def test_problem_titles_follow_accept_language(client, auth) -> None:
    zh = client.post("/api/v1/staff", headers=auth("admin"), json={})
    en = client.post("/api/v1/staff", headers={**auth("admin"), "Accept-Language": "en-US,en;q=0.9"}, json={})
    assert zh.json()["title"] == "输入有误"
    assert en.json()["title"] == "The input is not valid"
    assert en.json()["code"] == zh.json()["code"] == "validation_failed"


@pytest.mark.parametrize("payload", [
    {"code": "Z1", "name": "测试<b>", "kind": "sub_branch", "parent_id": 2},
    {"code": "Z1; drop", "name": "测试", "kind": "sub_branch", "parent_id": 2},
    {"code": "Z1", "name": "测试", "kind": "village", "parent_id": 2},
    {"code": "Z1", "name": "测试", "kind": "branch", "parent_id": 4},
    {"code": "000", "name": "重复", "kind": "sub_branch", "parent_id": 2},
])
def test_institution_create_refuses_bad_input(client, auth, demo_db, payload) -> None:  # type: ignore[no-untyped-def]
    headers = auth("admin")
    before = _counts(demo_db)
    resp = client.post("/api/v1/institutions", headers=headers, json=payload)
    assert 400 <= resp.status_code < 500, resp.text
    assert _counts(demo_db) == before


def test_idempotent_create_replays_and_refuses_other_payload(client, auth, demo_db) -> None:
    import uuid

    key = uuid.uuid4().hex
    name = f"idem{key[:6]}"
    body = {**VALID_STAFF, "username": name}
    first = client.post("/api/v1/staff", headers={**auth("admin"), "Idempotency-Key": key}, json=body)
    assert first.status_code == 201, first.text
    count = count_rows(demo_db, "org_staff")
    again = client.post("/api/v1/staff", headers={**auth("admin"), "Idempotency-Key": key}, json=body)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = client.post("/api/v1/staff", headers={**auth("admin"), "Idempotency-Key": key},
                        json={**body, "display_name": "别人"})
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert count_rows(demo_db, "org_staff") == count
