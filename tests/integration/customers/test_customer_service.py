"""Customer filing, dedupe, scope, encryption at rest, blacklists, pre-checks, sections, facts."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import select, text

from tests.conftest import count_rows
from zhanye.core.errors import NotFound, ValidationFailed
from zhanye.customers import kyc, pii, sections, service
from zhanye.customers.demo import actor_for
from zhanye.customers.errors import CustomerExistsElsewhere, SectionReadOnly
from zhanye.customers.models import Customer
from zhanye.customers.validators import make_resident_id
from zhanye.integrations import base, identity


def new_id(seq: int | None = None) -> str:
    rnd = random.Random()
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rnd.randrange(0, 15000))
    return make_resident_id("110101", birth, seq if seq is not None else rnd.randrange(0, 990))


@pytest.fixture(autouse=True)
def fresh_providers():
    kinds = [*identity.KINDS, "sms"]
    for kind in kinds:
        base.registry.reset(kind)
    yield
    for kind in kinds:
        base.registry.reset(kind)


def test_create_encrypts_and_second_attempt_finds_the_first(demo_db) -> None:
    number = new_id()
    with demo_db.unit_of_work() as s:
        actor = actor_for(s, "manager1")
        cust, created = service.create_customer(s, actor=actor, kind="individual", id_number=number, name="周新民",
                                                mobile="13900001111")
        assert created and cust.customer_no.startswith("C")
        cid = cust.id
    with demo_db.unit_of_work(write=False) as s:
        raw = s.execute(text("SELECT id_number_enc, name_enc, mobile_enc FROM customers_customer WHERE id = :i"),
                        {"i": cid}).one()
        assert number not in " ".join(raw) and "周新民" not in " ".join(raw) and "13900001111" not in " ".join(raw)
        assert pii.dec(raw[0]) == number
    with demo_db.unit_of_work() as s:
        again, created = service.create_customer(s, actor=actor_for(s, "manager1"), kind="individual",
                                                 id_number=number.lower(), name="周新民")
        assert not created and again.id == cid
    before = count_rows(demo_db, "customers_customer")
    with pytest.raises(CustomerExistsElsewhere), demo_db.unit_of_work() as s:
        service.create_customer(s, actor=actor_for(s, "manager3"), kind="individual", id_number=number, name="周新民")
    assert count_rows(demo_db, "customers_customer") == before


def test_bad_input_writes_nothing(demo_db) -> None:
    before = count_rows(demo_db, "customers_customer"), count_rows(demo_db, "kernel_audit")
    for kw in ({"id_number": "110101199003071235"}, {"id_number": new_id(), "mobile": "12345"}):
        with pytest.raises(ValidationFailed), demo_db.unit_of_work() as s:
            service.create_customer(s, actor=actor_for(s, "manager1"), kind="individual", name="错误", **kw)
    assert (count_rows(demo_db, "customers_customer"), count_rows(demo_db, "kernel_audit")) == before


def test_corporate_with_letter_led_uscc(demo_db) -> None:
    from zhanye.customers.validators import uscc_check_digit

    body = f"N2220122MF{random.randrange(10**6, 10**7)}"
    with demo_db.unit_of_work() as s:
        cust, created = service.create_customer(s, actor=actor_for(s, "manager1"), kind="corporate",
                                                id_number=body + uscc_check_digit(body), name="陈家店村股份经济合作社")
        assert created and cust.id_type == "uscc" and cust.birth_date is None


def test_scope_other_institution_is_not_found(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        cust, _ = service.create_customer(s, actor=actor_for(s, "manager3"), kind="individual", id_number=new_id(),
                                          name="石桥客户")
        cid = cust.id
    with demo_db.unit_of_work(write=False) as s:
        m1 = actor_for(s, "manager1")
        with pytest.raises(NotFound):
            service.get_customer(s, actor=m1, customer_id=cid)
        rows, _ = service.search_customers(s, actor=m1, q="石桥客户")
        assert rows == []
        rows, _ = service.search_customers(s, actor=actor_for(s, "branch2"), q="石桥客户")
        assert cid in [r.id for r in rows]
        with pytest.raises(NotFound):
            service.customer_facts(s, actor=m1, customer_id=cid)


def test_search_by_id_phone_name(demo_db) -> None:
    number, phone = new_id(), f"137{random.randrange(10**7, 10**8)}"
    with demo_db.unit_of_work() as s:
        cust, _ = service.create_customer(s, actor=actor_for(s, "manager1"), kind="individual", id_number=number,
                                          name="搜索测试人", mobile=phone)
    with demo_db.unit_of_work(write=False) as s:
        actor = actor_for(s, "manager1")
        for q in (number, phone, "搜索测试人", cust.customer_no):
            rows, total = service.search_customers(s, actor=actor, q=q)
            assert cust.id in [r.id for r in rows], q


def test_blacklist_blocks_and_expiry(demo_db) -> None:
    number = new_id()
    with demo_db.unit_of_work() as s:
        m1 = actor_for(s, "manager1")
        cust, _ = service.create_customer(s, actor=m1, kind="individual", id_number=number, name="黑名单人")
        kyc.verify_id(s, actor=m1, customer_id=cust.id)
        assert kyc.precheck(s, actor=m1, customer_id=cust.id).passed
        kyc.add_blacklist_entry(s, actor=actor_for(s, "risk"), list_code="court_dishonest", source="最高法失信名单",
                                kind="external", id_number=number, reason="失信被执行人",
                                expires_on=dt.date(2099, 1, 1))
        check = kyc.precheck(s, actor=m1, customer_id=cust.id)
        assert not check.passed and "blacklisted" in check.reasons
        assert check.hits[0]["reason"] == "失信被执行人"  # manager holds blacklist.read
        facts = service.customer_facts(s, actor=m1, customer_id=cust.id)
        assert facts.blacklisted and facts.identity_verified
        assert kyc.precheck(s, actor=m1, customer_id=cust.id, on=dt.date(2099, 1, 2)).passed


def test_external_list_import_is_idempotent(demo_db) -> None:
    rows = [{"id_number": new_id(), "name": "名单一", "reason": "涉诈"}, {"id_number": "bad", "name": "x"}]
    with demo_db.unit_of_work() as s:
        rep = kyc.import_external_list(s, actor=actor_for(s, "risk"), list_code="fraud_watch", source="公安涉诈名单",
                                       rows=rows)
        assert rep.accepted == 1 and rep.refused[0]["line"] == 3
    before = count_rows(demo_db, "customers_blacklist")
    with demo_db.unit_of_work() as s:
        rep = kyc.import_external_list(s, actor=actor_for(s, "risk"), list_code="fraud_watch", source="公安涉诈名单",
                                       rows=rows)
        assert rep.accepted == 0 and rep.unchanged == 1
    assert count_rows(demo_db, "customers_blacklist") == before


def test_verification_recorded_even_when_provider_fails(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        cust, _ = service.create_customer(s, actor=actor_for(s, "manager1"), kind="individual", id_number=new_id(998),
                                          name="故障测试")
        out = kyc.verify_id(s, actor=actor_for(s, "manager1"), customer_id=cust.id)
        assert out.error is not None and out.error.code == "provider_error"
        assert out.verification.result == "error"
        assert not cust.identity_verified
    with demo_db.unit_of_work(write=False) as s:
        vers = kyc.list_verifications(s, actor=actor_for(s, "manager1"), customer_id=cust.id)
        assert [v.result for v in vers] == ["error"] and vers[0].operator_id is not None


def test_card_four_element_with_sms_code(demo_db) -> None:
    from zhanye.customers.validators import make_card
    from zhanye.integrations.base import registry

    with demo_db.unit_of_work() as s:
        m1 = actor_for(s, "manager1")
        cust, _ = service.create_customer(s, actor=m1, kind="individual", id_number=new_id(), name="绑卡测试")
        out = kyc.start_card_check(s, actor=m1, customer_id=cust.id, card_number=make_card("622848001234567"),
                                   phone="13812345678")
        assert out.verification.result == "pending"
        vid = out.verification.id
    code = registry.get("sms").last_code("13812345678")
    with demo_db.unit_of_work() as s:
        m1 = actor_for(s, "manager1")
        wrong = kyc.confirm_card_check(s, actor=m1, customer_id=cust.id, verification_id=vid,
                                       code="000000" if code != "000000" else "111111")
        assert wrong.result == "pending" and wrong.code_attempts == 1
        ok = kyc.confirm_card_check(s, actor=m1, customer_id=cust.id, verification_id=vid, code=code)
        assert ok.result == "pass"
        assert s.get(Customer, cust.id).card_verified


def test_sections_are_versioned_and_system_sections_read_only(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        m1 = actor_for(s, "manager1")
        cust, _ = service.create_customer(s, actor=m1, kind="individual", id_number=new_id(), name="采集测试")
        v1 = sections.save_section(s, actor=m1, customer_id=cust.id, section="income", data={"farming_fen": 100})
        same = sections.save_section(s, actor=m1, customer_id=cust.id, section="income", data={"farming_fen": 100})
        assert same.id == v1.id
        v2 = sections.save_section(s, actor=m1, customer_id=cust.id, section="income",
                                   data={"farming_fen": 100, "wages_fen": 5})
        assert v2.version == 2
        sections.save_section(s, actor=m1, customer_id=cust.id, section="family", data={"members": [
            {"relation": "配偶", "name": "王小红", "id_number": new_id(), "phone": "13812349999"}]})
        with pytest.raises(SectionReadOnly):
            sections.save_section(s, actor=m1, customer_id=cust.id, section="credit_rating", data={"grade": "A"})
        sections.set_credit_rating(s, actor=m1, customer_id=cust.id, rating={"grade": "AA", "limit_fen": 10_000_000})
        with pytest.raises(ValidationFailed):
            sections.save_section(s, actor=m1, customer_id=cust.id, section="income", data={"farming_fen": 1.5})
    with demo_db.unit_of_work(write=False) as s:
        m1 = actor_for(s, "manager1")
        current = sections.current_sections(s, actor=m1, customer_id=cust.id)
        assert current["income"]["version"] == 2 and current["income"]["changed_fields"] == ["wages_fen"]
        assert current["family"]["data"]["members"][0]["name"] == "王**"
        assert current["credit_rating"]["data"]["grade"] == "AA"
        hist = sections.section_history(s, actor=m1, customer_id=cust.id, section="income")
        assert [h["version"] for h in hist] == [2, 1]


def test_assign_and_reveal_are_audited(demo_db) -> None:
    from zhanye.core.errors import PermissionDenied
    from zhanye.core.models import AuditRecord

    number = new_id()
    with demo_db.unit_of_work() as s:
        cust, _ = service.create_customer(s, actor=actor_for(s, "manager1"), kind="individual", id_number=number,
                                          name="移交测试")
        with pytest.raises(PermissionDenied):
            service.reveal(s, actor=actor_for(s, "manager1"), customer_id=cust.id, fields=["id_number"])
        sub = actor_for(s, "sub101")
        assert service.reveal(s, actor=sub, customer_id=cust.id, fields=["id_number"]) == {"id_number": number}
        new_mgr = s.execute(select(Customer.manager_id).where(Customer.id == cust.id)).scalar_one()
        with pytest.raises(ValidationFailed):  # manager3 sits outside 柳河支行's scope
            service.assign_manager(s, actor=sub, customer_id=cust.id, manager_id=actor_for(s, "manager3").staff_id,
                                   reason="调岗")
        assert new_mgr == actor_for(s, "manager1").staff_id
    with demo_db.unit_of_work(write=False) as s:
        actions = set(s.execute(select(AuditRecord.action).where(AuditRecord.object_type == "customer",
                                                                 AuditRecord.object_id == str(cust.id))).scalars())
        assert {"customer.create", "customer.reveal_pii"} <= actions
