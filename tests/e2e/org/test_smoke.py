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


def test_staff_list_pages_totals_and_roles(client, auth) -> None:
    """Total, pages and each row's roles come from one statement; past the last page the total
    still answers and the items are empty."""
    everyone = client.get("/api/v1/staff?page_size=200", headers=auth("admin")).json()
    total = everyone["total"]
    assert total == len(everyone["items"]) >= 17
    assert all(s["roles"] == sorted(s["roles"]) for s in everyone["items"])
    assert sum(1 for s in everyone["items"] if s["roles"]) >= 17  # other tests may add staff without roles
    first = client.get("/api/v1/staff?page_size=5&page=1", headers=auth("admin")).json()
    second = client.get("/api/v1/staff?page_size=5&page=2", headers=auth("admin")).json()
    assert first["total"] == second["total"] == total
    assert [s["id"] for s in first["items"] + second["items"]] == [s["id"] for s in everyone["items"][:10]]
    past = client.get(f"/api/v1/staff?page_size=5&page={total // 5 + 2}", headers=auth("admin")).json()
    assert past["items"] == [] and past["total"] == total
    managers = client.get("/api/v1/staff?role=manager&page_size=200", headers=auth("admin")).json()
    assert managers["total"] == len(managers["items"]) >= 1
    assert all("manager" in s["roles"] for s in managers["items"])
    none = client.get("/api/v1/staff?q=no-such-person", headers=auth("admin")).json()
    assert none == {"items": [], "total": 0, "page": 1, "page_size": 20}


def test_staff_rows_have_the_schema_fields(client, auth) -> None:
    """A staff row of the list and of a fetch is what ``StaffOut`` describes (built as a dict)."""
    from zhanye.org.schemas import StaffOut

    items = client.get("/api/v1/staff?page_size=200", headers=auth("admin")).json()["items"]
    one = client.get(f"/api/v1/staff/{items[0]['id']}", headers=auth("admin")).json()
    for row in [*items, one]:
        model = StaffOut.model_validate(row, strict=False)
        assert list(row) == list(StaffOut.model_fields)
        assert model.model_dump(mode="json", exclude={"last_login_at"}) == {
            k: v for k, v in row.items() if k != "last_login_at"}
    assert any(row["last_login_at"] for row in items)  # (admin has logged in)
