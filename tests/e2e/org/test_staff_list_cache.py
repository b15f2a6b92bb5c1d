"""The staff list is served from the app's cache while the ``org`` data version read with the
caller's token is the one the page was read at; any change, by any path, shows at once."""

import datetime as dt
import uuid

import pytest
from sqlalchemy import text

from zhanye.core.db import utcnow

URL = "/api/v1/staff?page_size=200"


def _sql(db, statement: str, **params) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        s.execute(text(statement), params)


def _row(body: dict, username: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in body["items"] if r["username"] == username)


def test_a_repeated_list_comes_from_the_cache(client, auth) -> None:  # type: ignore[no-untyped-def]
    first = client.get(URL, headers=auth("admin"))
    cache = client.app.state.staff_list_cache
    hits = cache.hits
    again = client.get(URL, headers=auth("admin"))
    assert again.status_code == 200 and again.headers["content-type"] == "application/json"
    assert again.content == first.content and cache.hits == hits + 1


def test_changes_by_any_path_show_at_once(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    before = _row(client.get(URL, headers=auth("admin")).json(), "auditor")
    # through the API
    created = client.post("/api/v1/staff", headers=auth("admin"), json={
        "username": f"cache{uuid.uuid4().hex[:8]}", "display_name": "缓存测试",
        "institution_id": before["institution_id"], "roles": ["auditor"]})
    assert created.status_code == 201, created.text
    names = {r["username"] for r in client.get(URL, headers=auth("admin")).json()["items"]}
    assert created.json()["username"] in names
    # straight SQL (another process, a script): staff, their roles, their institution
    _sql(demo_db, "UPDATE org_staff SET display_name = '改名了' WHERE username = 'auditor'")
    _sql(demo_db, "INSERT INTO org_staff_role (staff_id, role_code) "
                  "SELECT id, 'executive' FROM org_staff WHERE username = 'auditor'")
    _sql(demo_db, "UPDATE org_institution SET name = '总行（改）' WHERE id = :id", id=before["institution_id"])
    try:
        row = _row(client.get(URL, headers=auth("admin")).json(), "auditor")
        assert row["display_name"] == "改名了" and "executive" in row["roles"]
        assert row["institution_name"] == "总行（改）"
    finally:
        _sql(demo_db, "DELETE FROM org_staff_role WHERE role_code = 'executive' AND staff_id = "
                      "(SELECT id FROM org_staff WHERE username = 'auditor')")
        _sql(demo_db, "UPDATE org_staff SET display_name = :name WHERE username = 'auditor'",
             name=before["display_name"])
        _sql(demo_db, "UPDATE org_institution SET name = :name WHERE id = :id", name=before["institution_name"],
             id=before["institution_id"])
    assert _row(client.get(URL, headers=auth("admin")).json(), "auditor") == before


def test_a_lock_ends_without_a_change(client, auth, demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """``locked`` turns with the clock: a cached page that shows a lock is not served after it ends."""
    import zhanye.org.api as org_api

    until = utcnow() + dt.timedelta(minutes=15)
    _sql(demo_db, "UPDATE org_staff SET locked_until = :until WHERE username = 'auditor'", until=until)
    try:
        assert _row(client.get(URL, headers=auth("admin")).json(), "auditor")["locked"] is True
        assert _row(client.get(URL, headers=auth("admin")).json(), "auditor")["locked"] is True  # cached
        later = until + dt.timedelta(seconds=1)
        monkeypatch.setattr(org_api, "utcnow", lambda: later)
        assert _row(client.get(URL, headers=auth("admin")).json(), "auditor")["locked"] is False
    finally:
        _sql(demo_db, "UPDATE org_staff SET locked_until = NULL WHERE username = 'auditor'")


@pytest.mark.parametrize(("username", "sees_admin"), [("admin", True), ("manager1", False)])
def test_each_scope_has_its_own_answer(client, auth, username: str, sees_admin: bool) -> None:  # type: ignore[no-untyped-def]
    client.get(URL, headers=auth("admin"))  # the head office's page is cached
    names = {r["username"] for r in client.get(URL, headers=auth(username)).json()["items"]}
    assert ("admin" in names) is sees_admin
