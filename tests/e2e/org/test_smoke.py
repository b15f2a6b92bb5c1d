from tests.conftest import count_rows


def test_health_and_ready(client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_login_and_me(client, auth) -> None:
    resp = client.get("/api/v1/me", headers=auth("admin"))
    assert resp.status_code == 200
    body = resp.json()
    assert body["username"] == "admin"
    assert "staff.manage" in body["permissions"]
    assert resp.headers["x-request-id"]


def test_me_requires_login(client) -> None:
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["code"] == "unauthenticated"


def test_staff_list_in_scope(client, auth, demo_db) -> None:
    resp = client.get("/api/v1/staff?page_size=200", headers=auth("manager1"))
    assert resp.status_code == 200
    names = {s["username"] for s in resp.json()["items"]}
    assert "manager1" in names and "manager3" not in names and "admin" not in names
    assert count_rows(demo_db, "org_staff") >= 17
