import pytest
from sqlalchemy import select

from zhanye.core.errors import Conflict, NotFound, ValidationFailed
from zhanye.org import service
from zhanye.org.models import Institution


def _branch(db, system, uniq):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        ho = service.head_office(s)
        br = service.create_institution(s, system, code=f"B{uniq}", name=f"测试分行{uniq}", kind="branch",
                                        parent_id=ho.id)
        sub = service.create_institution(s, system, code=f"S{uniq}", name=f"测试支行{uniq}", kind="sub_branch",
                                         parent_id=br.id)
        return br.id, sub.id


def test_tree_paths_and_move(demo_db, system, uniq) -> None:
    br_id, sub_id = _branch(demo_db, system, uniq)
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        other = service.create_institution(s, system, code=f"O{uniq}", name=f"另一分行{uniq}", kind="branch",
                                           parent_id=service.head_office(s).id)
        other_id = other.id
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        service.move_institution(s, system, sub_id, other_id)
    with demo_db.unit_of_work(write=False) as s:
        sub = s.get(Institution, sub_id)
        other = s.get(Institution, other_id)
        assert sub.parent_id == other_id
        assert sub.path == f"{other.path}{sub_id}/"
        assert sub_id in service.subtree_ids(s, other_id)
        assert sub_id not in service.subtree_ids(s, br_id)


def test_move_under_own_descendant_is_refused(demo_db, system, uniq) -> None:
    br_id, sub_id = _branch(demo_db, system, uniq)
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        with pytest.raises((ValidationFailed, Conflict)):
            service.move_institution(s, system, br_id, sub_id)
    with demo_db.unit_of_work(write=False) as s:
        assert s.get(Institution, sub_id).parent_id == br_id


def test_kind_rules(demo_db, system, uniq) -> None:
    br_id, sub_id = _branch(demo_db, system, uniq)
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        with pytest.raises(ValidationFailed):
            service.create_institution(s, system, code=f"X{uniq}", name="错误", kind="branch", parent_id=sub_id)
        with pytest.raises(Conflict):
            service.create_institution(s, system, code="000", name="重复代码", kind="sub_branch", parent_id=br_id)


def test_close_only_when_empty(demo_db, system, uniq) -> None:
    br_id, sub_id = _branch(demo_db, system, uniq)
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        staff, _ = service.create_staff(s, system, username=f"u{uniq}", display_name="测试员",
                                        institution_id=sub_id, roles=["manager"])
        staff_id = staff.id
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        with pytest.raises(Conflict) as exc:
            service.close_institution(s, system, br_id)
        assert "child" in str(exc.value.detail_en)
        with pytest.raises(Conflict) as exc:
            service.close_institution(s, system, sub_id)
        assert "staff" in str(exc.value.detail_en)
    with demo_db.unit_of_work(write=False) as s:
        assert s.get(Institution, sub_id).status == "open"
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        service.set_staff_status(s, system, staff_id, "disabled")
        service.close_institution(s, system, sub_id)
        service.close_institution(s, system, br_id)
    with demo_db.unit_of_work(write=False) as s:
        assert s.get(Institution, br_id).status == "closed"


def test_rename_is_audited(demo_db, system, uniq) -> None:
    from zhanye.core.models import AuditRecord

    br_id, _ = _branch(demo_db, system, uniq)
    with demo_db.unit_of_work() as s:
        system = service.system_principal(s)
        service.rename_institution(s, system, br_id, f"新名字{uniq}")
    with demo_db.unit_of_work(write=False) as s:
        rec = s.execute(select(AuditRecord).where(AuditRecord.object_type == "institution",
                                                  AuditRecord.object_id == str(br_id),
                                                  AuditRecord.action == "institution.rename")).scalar_one()
        assert f"新名字{uniq}" in rec.changes


def test_scope_hides_other_institutions(demo_db) -> None:
    from tests.integration.org.helpers import principal_of

    manager = principal_of(demo_db, "manager1")
    with demo_db.unit_of_work(write=False) as s:
        other = s.execute(select(Institution).where(Institution.code == "201")).scalar_one()
        with pytest.raises(NotFound):
            service.get_institution(s, manager, other.id)
        codes = {i.code for i in service.list_institutions(s, manager)}
    assert codes == {"101"}
