"""Request serial numbers, logs, metrics, language, and the pages of the shell."""

from __future__ import annotations

import json
import logging
import re
import uuid

from sqlalchemy import select

from tests.conftest import DEMO_PASSWORD


def test_request_id_is_accepted_generated_and_audited(client, auth, demo_db) -> None:
    from zhanye.core.models import AuditRecord

    rid = f"TEST-{uuid.uuid4().hex[:16]}"
    resp = client.post("/api/v1/staff", headers={**auth("admin"), "X-Request-Id": rid},
                       json={"username": f"rid{uuid.uuid4().hex[:6]}", "display_name": "流水号测试",
                             "institution_id": 4, "roles": ["manager"]})
    assert resp.status_code == 201
    assert resp.headers["x-request-id"] == rid
    with demo_db.unit_of_work(write=False) as s:
        rec = s.execute(select(AuditRecord).where(AuditRecord.request_id == rid)).scalar_one()
        assert rec.action == "staff.create" and rec.actor_username == "admin"
        assert rec.institution_id is not None and rec.role == "ops_admin"
    bad = client.get("/healthz", headers={"X-Request-Id": "bad id with spaces"})
    assert bad.headers["x-request-id"] != "bad id with spaces"
    assert re.match(r"^ZY\d{14}[0-9a-f]{12}$", bad.headers["x-request-id"])


def test_log_lines_are_json_with_request_id(client, auth, caplog) -> None:
    from zhanye.core.logging import JsonFormatter

    rid = f"LOG-{uuid.uuid4().hex[:12]}"
    with caplog.at_level(logging.INFO, logger="zhanye.access"):
        client.get("/api/v1/me", headers={**auth("admin"), "X-Request-Id": rid})
    records = [r for r in caplog.records if getattr(r, "request_id", None) == rid]
    assert records
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == rid and line["path"] == "/api/v1/me" and line["status"] == 200
    assert line["staff"] == "admin"


def test_metrics_by_route(client, auth) -> None:
    client.get("/api/v1/me", headers=auth("admin"))
    text = client.get("/metrics", headers=auth("admin")).text
    assert 'zhanye_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in text
    assert "zhanye_http_request_duration_seconds_bucket" in text
    assert client.get("/metrics", headers=auth("manager1")).status_code == 403
    assert client.get("/metrics").status_code == 401


def test_readyz_reports_database(client) -> None:
    assert client.get("/readyz").json()["database"] in ("sqlite", "postgresql")


def _page_login(client, username: str, password: str = DEMO_PASSWORD):  # type: ignore[no-untyped-def]
    client.cookies.clear()
    return client.post("/login", data={"username": username, "password": password, "next": "/"},
                       follow_redirects=False)


def test_pages_login_home_staff_roles_institutions(client) -> None:
    assert "登录" in client.get("/login").text
    resp = _page_login(client, "admin")
    assert resp.status_code == 303 and "zhanye_session" in resp.cookies
    home = client.get("/", headers={"accept": "text/html"})
    assert home.status_code == 200 and "管理员" in home.text and "会计日期" in home.text
    assert "员工管理" in home.text and "角色权限" in home.text  # navigation by permission
    staff = client.get("/staff?q=manager", headers={"accept": "text/html"})
    assert staff.status_code == 200 and "manager1" in staff.text
    assert "角色权限" in client.get("/roles").text
    inst = client.get("/institutions").text
    assert "柳河支行" in inst and "东城分行" in inst
    en = client.get("/", headers={"accept": "text/html", "accept-language": "en"})
    assert "Business date" in en.text
    client.post("/logout", headers={"origin": "http://testserver"})
    assert client.get("/", headers={"accept": "text/html"}, follow_redirects=False).status_code == 303
    client.cookies.clear()


def test_manager_sees_no_admin_navigation(client) -> None:
    _page_login(client, "manager1")
    home = client.get("/", headers={"accept": "text/html"}).text
    assert "角色权限" not in home
    assert client.get("/roles", headers={"accept": "text/html"}).status_code == 403
    client.cookies.clear()


def test_page_create_staff_then_forced_password_change(client, demo_db) -> None:
    _page_login(client, "admin")
    name = f"pg{uuid.uuid4().hex[:6]}"
    resp = client.post("/staff/new", data={"username": name, "display_name": "页面新员工", "institution_id": "4",
                                            "roles": ["manager"]}, headers={"origin": "http://testserver"})
    assert resp.status_code == 200 and "员工已创建" in resp.text
    temp = re.search(r"<code>([^<]+)</code>", resp.text).group(1)
    bad = client.post("/staff/new", data={"username": name, "display_name": "😀", "institution_id": "4"},
                      headers={"origin": "http://testserver"})
    assert bad.status_code == 422
    resp = _page_login(client, name, temp)
    assert resp.headers["location"] == "/password"
    forced = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert forced.status_code == 303 and forced.headers["location"] == "/password"
    changed = client.post("/password", data={"old_password": temp, "new_password": "Village#Road2026",
                                             "confirm_password": "Village#Road2026"},
                          headers={"origin": "http://testserver"}, follow_redirects=False)
    assert changed.status_code == 303
    assert client.get("/", headers={"accept": "text/html"}).status_code == 200
    client.cookies.clear()


def test_cross_site_form_post_is_refused(client) -> None:
    _page_login(client, "admin")
    resp = client.post("/staff/new", data={"username": "csrfprobe", "display_name": "x", "institution_id": "4",
                                            "roles": ["manager"]}, headers={"origin": "http://evil.example"})
    assert resp.status_code == 403
    client.cookies.clear()


def test_wrong_password_page_shows_error(client) -> None:
    resp = _page_login(client, "manager4", "wrong-password")
    assert resp.status_code == 401 and "用户名或密码错误" in resp.text
