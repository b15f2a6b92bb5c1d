import datetime as dt

import pytest
from sqlalchemy import select

from tests.integration.org.helpers import principal_of
from zhanye.core.config import load_settings
from zhanye.core.db import utcnow
from zhanye.core.errors import (
    AccountDisabled,
    AccountLocked,
    Conflict,
    LoginFailed,
    NotFound,
    ValidationFailed,
)
from zhanye.org import service
from zhanye.org.models import Staff


def _new_staff(db, uniq, roles=("manager",), code="101"):  # type: ignore[no-untyped-def]
    from zhanye.org.models import Institution

    with db.unit_of_work() as s:
        system = service.system_principal(s)
        inst = s.execute(select(Institution).where(Institution.code == code)).scalar_one()
        staff, temp = service.create_staff(s, system, username=f"t{uniq}", display_name="测试员工",
                                           institution_id=inst.id, roles=list(roles))
        return staff.id, temp


def _login(db, username, password):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return service.login(s, username=username, password=password, kind="bearer")


def test_created_staff_must_change_password(demo_db, uniq) -> None:
    staff_id, temp = _new_staff(demo_db, uniq)
    result = _login(demo_db, f"t{uniq}", temp)
    assert result.ok and result.staff.must_change_password
    with demo_db.unit_of_work(write=False) as s:
        p = service.resolve_token(s, result.token)
    assert p.must_change_password
    with demo_db.unit_of_work() as s, pytest.raises(ValidationFailed):
        service.change_password(s, p, old_password=temp, new_password=f"t{uniq}Xx#12345")  # contains username
    with demo_db.unit_of_work() as s:
        service.change_password(s, p, old_password=temp, new_password="Better#Pass2026")
    with demo_db.unit_of_work(write=False) as s:
        assert not s.get(Staff, staff_id).must_change_password


def test_lockout_after_five_failures(demo_db, uniq) -> None:
    _, temp = _new_staff(demo_db, uniq)
    username = f"t{uniq}"
    for i in range(4):
        r = _login(demo_db, username, "wrong-password")
        assert isinstance(r.error, LoginFailed), i
    r = _login(demo_db, username, "wrong-password")
    assert isinstance(r.error, AccountLocked)
    r = _login(demo_db, username, temp)  # right password while locked
    assert not r.ok and isinstance(r.error, AccountLocked)
    with demo_db.unit_of_work() as s:
        staff = service.find_staff_by_username(s, username)
        lock_minutes = (staff.locked_until - utcnow()).total_seconds() / 60
        assert 14 < lock_minutes <= load_settings().login_lock_minutes
        staff.locked_until = utcnow() - dt.timedelta(seconds=1)  # 15 minutes pass
    assert _login(demo_db, username, temp).ok


def test_unknown_user_and_disabled(demo_db, uniq) -> None:
    assert isinstance(_login(demo_db, "nobody-here", "x").error, LoginFailed)
    staff_id, temp = _new_staff(demo_db, uniq)
    ok = _login(demo_db, f"t{uniq}", temp)
    with demo_db.unit_of_work() as s:
        service.set_staff_status(s, service.system_principal(s), staff_id, "disabled")
    assert isinstance(_login(demo_db, f"t{uniq}", temp).error, AccountDisabled)
    with demo_db.unit_of_work(write=False) as s:
        assert service.resolve_token(s, ok.token) is None  # sessions end when disabled


def test_reset_password_revokes_sessions(demo_db, uniq) -> None:
    staff_id, temp = _new_staff(demo_db, uniq)
    ok = _login(demo_db, f"t{uniq}", temp)
    with demo_db.unit_of_work() as s:
        _, new_temp = service.reset_password(s, service.system_principal(s), staff_id)
    with demo_db.unit_of_work(write=False) as s:
        assert service.resolve_token(s, ok.token) is None
    assert not _login(demo_db, f"t{uniq}", temp).ok
    assert _login(demo_db, f"t{uniq}", new_temp).ok


def test_role_change_takes_effect_and_is_scoped(demo_db, uniq) -> None:
    staff_id, temp = _new_staff(demo_db, uniq)
    with demo_db.unit_of_work() as s:
        service.update_staff(s, service.system_principal(s), staff_id, roles=["manager", "approver"])
    with demo_db.unit_of_work(write=False) as s:
        assert s.get(Staff, staff_id).roles == ["approver", "manager"]
    manager3 = principal_of(demo_db, "manager3")  # 石桥支行 (201) cannot see 柳河支行 staff
    with demo_db.unit_of_work(write=False) as s, pytest.raises(NotFound):
        service.get_staff(s, manager3, staff_id)


def test_duplicate_username_refused(demo_db, uniq) -> None:
    _new_staff(demo_db, uniq)
    with pytest.raises(Conflict):
        _new_staff(demo_db, uniq)


def test_role_permission_edit_is_audited_and_applies(demo_db) -> None:
    admin = principal_of(demo_db, "admin")
    with demo_db.unit_of_work(write=False) as s:
        before = dict(service.list_roles(s))
        auditor_perms = next(p for r, p in service.list_roles(s) if r.code == "auditor")
    try:
        with demo_db.unit_of_work() as s:
            service.set_role_permissions(s, admin, "auditor", [p for p in auditor_perms if p != "staff.read"])
        assert "staff.read" not in principal_of(demo_db, "auditor").permissions
        with demo_db.unit_of_work() as s, pytest.raises(ValidationFailed):
            service.set_role_permissions(s, admin, "auditor", ["no.such.permission"])
    finally:
        with demo_db.unit_of_work() as s:
            service.set_role_permissions(s, admin, "auditor", auditor_perms)
    assert "staff.read" in principal_of(demo_db, "auditor").permissions
    assert before



def test_cached_grants_belong_to_their_own_database(demo_db, empty_db) -> None:
    """Two databases in one process (tests, tools): the same staff id with the same authz_version
    holds other roles in the second one, and each token resolves to its own database's grants."""
    from sqlalchemy import delete

    from zhanye.demo import ensure_demo
    from zhanye.org.models import StaffRole

    ensure_demo(empty_db, password="Other#Bank2026")
    first = principal_of(demo_db, "admin")
    with empty_db.unit_of_work() as s:
        admin = service.find_staff_by_username(s, "admin")
        s.execute(delete(StaffRole).where(StaffRole.staff_id == admin.id))
        s.add(StaffRole(staff_id=admin.id, role_code="manager"))
    second = principal_of(empty_db, "admin")
    assert second.staff_id == first.staff_id
    assert "admin" not in second.roles and second.roles == frozenset({"manager"})
    assert principal_of(demo_db, "admin").roles == first.roles != second.roles
