"""The ``org`` data version: triggers raise it with every change to staff, their roles and
institutions, whatever makes the change, and the token look-up reads it."""

import pytest
from sqlalchemy import text

from tests.integration.org.helpers import live_token
from zhanye.org import service


def _version(db) -> int:  # type: ignore[no-untyped-def]
    with db.unit_of_work(write=False) as s:
        return int(s.execute(text("SELECT version FROM kernel_data_version WHERE name = 'org'")).scalar_one())


def test_service_changes_raise_the_version(demo_db, system, uniq) -> None:  # type: ignore[no-untyped-def]
    v0 = _version(demo_db)
    with demo_db.unit_of_work() as s:
        staff, _ = service.create_staff(s, system, username=f"dv{uniq}", display_name="版本",
                                        institution_id=system.institution_id, roles=["auditor"])
        staff_id = staff.id
    v1 = _version(demo_db)
    assert v1 > v0
    with demo_db.unit_of_work() as s:
        service.update_staff(s, system, staff_id, roles=["auditor", "executive"])
    v2 = _version(demo_db)
    assert v2 > v1
    with demo_db.unit_of_work() as s:
        service.set_staff_status(s, system, staff_id, "disabled")
    assert _version(demo_db) > v2


@pytest.fixture()
def own_staff(demo_db, system, uniq) -> int:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        staff, _ = service.create_staff(s, system, username=f"dvsql{uniq}", display_name="版本",
                                        institution_id=system.institution_id, roles=["auditor"])
        return staff.id


@pytest.mark.parametrize("statements", [
    ["UPDATE org_staff SET display_name = 'x' WHERE id = :sid"],
    ["UPDATE org_institution SET name = name WHERE parent_id IS NULL"],
    ["INSERT INTO org_staff_role (staff_id, role_code) VALUES (:sid, 'executive')"],
    ["UPDATE org_staff_role SET role_code = 'risk_manager' WHERE staff_id = :sid"],
    ["DELETE FROM org_staff_role WHERE staff_id = :sid"],
    ["DELETE FROM org_staff_role WHERE staff_id = :sid", "DELETE FROM org_staff WHERE id = :sid"],
    ["DELETE FROM org_staff_role WHERE role_code = 'no-such-role'"],  # a change of no row
])
def test_any_sql_raises_the_version(demo_db, own_staff: int, statements: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Another process, a script or a console: the trigger runs whatever issued the change, on
    each of the three tables and for each kind of change. (On SQLite, whose triggers are per row,
    a statement that touches no row raises nothing; that is no change either.)"""
    for statement in statements:
        v0 = _version(demo_db)
        with demo_db.unit_of_work() as s:
            s.execute(text(statement), {"sid": own_staff} if ":sid" in statement else {})
        after = _version(demo_db)
        if "no-such-role" in statement and demo_db.engine.dialect.name == "sqlite":
            assert after == v0
        else:
            assert after > v0, statement


def test_a_rolled_back_change_leaves_the_version(demo_db) -> None:  # type: ignore[no-untyped-def]
    v0 = _version(demo_db)
    with pytest.raises(RuntimeError), demo_db.unit_of_work() as s:
        s.execute(text("UPDATE org_staff SET display_name = 'x' WHERE username = 'admin'"))
        raise RuntimeError("abandon the use case")
    assert _version(demo_db) == v0


def test_the_token_lookup_reads_the_version(demo_db) -> None:  # type: ignore[no-untyped-def]
    token = live_token(demo_db, "admin")
    with demo_db.read_connection() as conn:
        read = service.resolve_token_on(conn, token)
    assert read.principal is not None and read.principal.username == "admin"
    assert read.org_version == _version(demo_db)
    with demo_db.read_connection() as conn:
        assert service.resolve_token_on(conn, "no-such-token") == (None, None, None)


def test_the_awaited_token_lookup_reads_the_same(demo_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: the look-up awaited on the event loop answers as the blocking one, and reads
    the blocking way when all its connections are busy."""
    if demo_db.is_sqlite:
        pytest.skip("PostgreSQL: reads awaited on the event loop")
    import asyncio

    token = live_token(demo_db, "admin")
    with demo_db.read_connection() as conn:
        blocking = service.resolve_token_on(conn, token)
    assert asyncio.run(service.resolve_token_async(demo_db, token)) == blocking
    async def all_busy(sql: str, params: dict) -> None:  # type: ignore[type-arg]
        return None

    monkeypatch.setattr(demo_db.async_reads, "fetch", all_busy)
    assert asyncio.run(service.resolve_token_async(demo_db, token)) == blocking
    assert asyncio.run(service.resolve_token_async(demo_db, "no-such-token")) == (None, None, None)


def test_missing_triggers_are_noticed(empty_db) -> None:  # type: ignore[no-untyped-def]
    """A rebuilt table (SQLite batch migration) or a restore without triggers loses them: the
    check the staff list's cache makes before it is used says so."""
    from zhanye.core import data_version

    with empty_db.read_connection() as conn:
        assert data_version.triggers_in_place(conn, data_version.ORG)
    name = data_version.trigger_names(data_version.ORG, empty_db.dialect)[-1]
    with empty_db.unit_of_work() as s:
        if empty_db.is_sqlite:
            s.execute(text(f"DROP TRIGGER {name}"))
        else:
            s.execute(text(f"ALTER TABLE org_institution DISABLE TRIGGER {name}"))
    with empty_db.read_connection() as conn:
        assert not data_version.triggers_in_place(conn, data_version.ORG)


def test_the_staff_list_is_read_afresh_without_triggers(empty_db) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from tests.conftest import DEMO_PASSWORD, login_headers
    from zhanye.core import data_version
    from zhanye.core.config import load_settings
    from zhanye.demo import ensure_demo
    from zhanye.web.app import create_app

    ensure_demo(empty_db, password=DEMO_PASSWORD)
    name = data_version.trigger_names(data_version.ORG, empty_db.dialect)[0]
    with empty_db.unit_of_work() as s:
        s.execute(text(f"DROP TRIGGER {name}" if empty_db.is_sqlite else f"DROP TRIGGER {name} ON org_staff"))
    with TestClient(create_app(load_settings(), database=empty_db)) as client:
        headers = login_headers(client, "admin", fresh=True)
        before = client.get("/api/v1/staff?page_size=200", headers=headers).json()
        assert client.app.state.staff_list_cache is None
        with empty_db.unit_of_work() as s:  # a change the missing trigger does not count
            s.execute(text("UPDATE org_staff SET display_name = '无触发器' WHERE username = 'auditor'"))
        after = client.get("/api/v1/staff?page_size=200", headers=headers).json()
    assert after != before
    assert next(r for r in after["items"] if r["username"] == "auditor")["display_name"] == "无触发器"
