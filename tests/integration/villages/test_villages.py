"""Divisions, households, campaigns, reviews, pre-credit hooks, coverage and roster import."""

from __future__ import annotations

import csv
import io
import random
import uuid

import pytest
from sqlalchemy import select

from tests.conftest import count_rows
from zhanye.core.errors import NotFound, ValidationFailed
from zhanye.customers import service as customer_service
from zhanye.customers.demo import actor_for
from zhanye.customers.validators import make_resident_id
from zhanye.org import service as org_service
from zhanye.villages import coverage, roster, service
from zhanye.villages.models import Division

TABLES = ("villages_household", "villages_member", "villages_campaign_household")


def _village(db, inst_code: str = "101", username: str = "manager1"):  # type: ignore[no-untyped-def]
    """A fresh village with two hamlets under the demo township, served by ``inst_code``."""
    tag = uuid.uuid4().int % 10**6
    with db.unit_of_work() as s:
        system = org_service.system_principal(s)
        town = s.execute(select(Division).where(Division.code == "220122101000")).scalar_one()
        from zhanye.org.models import Institution

        inst = s.execute(select(Institution.id).where(Institution.code == inst_code)).scalar_one()
        village = service.create_division(s, actor=system, code=f"T{tag:06d}", name=f"测试村{tag}", level="village",
                                          parent_id=town.id, institution_id=inst)
        h1 = service.create_division(s, actor=system, code=f"T{tag:06d}01", name="一组", level="hamlet",
                                     parent_id=village.id)
        h2 = service.create_division(s, actor=system, code=f"T{tag:06d}02", name="二组", level="hamlet",
                                     parent_id=village.id)
        camp = service.create_campaign(s, actor=actor_for(s, username), village_id=village.id, name="测试授信活动")
        return village.id, h1.id, h2.id, camp.id


def _roster(rows: int, bad_every: int = 50) -> tuple[bytes, set[int]]:
    """A CSV roster; every ``bad_every``-th row is invalid in one of several ways."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["户号", "屯/组", "户主姓名", "户主身份证号", "联系电话", "家庭人数", "地址"])
    bad_lines: set[int] = set()
    rnd = random.Random(7)
    import datetime as dt

    for i in range(rows):
        line = i + 2
        no, hamlet, name = f"H{i:06d}", ("一组", "二组")[i % 2], f"户主{i % 97}"
        idn = make_resident_id("220122", dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randrange(20000)), i % 900)
        phone, count = f"139{i:08d}", str(1 + i % 6)
        if i % bad_every == bad_every - 1:
            kind = (i // bad_every) % 5
            if kind == 0:
                idn = idn[:-1] + ("0" if idn[-1] != "0" else "1")
            elif kind == 1:
                hamlet = "九组"
            elif kind == 2:
                phone = "12345"
            elif kind == 3:
                count = "abc"
            else:
                no = "H000000"  # duplicate of the first row
            bad_lines.add(line)
        w.writerow([no, hamlet, name, idn, phone, count, "吉林省农安县"])
    return buf.getvalue().encode("utf-8-sig"), bad_lines


def test_roster_import_10000_rows_with_2_percent_bad_then_reimport_is_noop(demo_db) -> None:
    _, _, _, camp_id = _village(demo_db)
    data, bad_lines = _roster(10_000)
    assert len(bad_lines) == 200
    with demo_db.unit_of_work() as s:
        rep = roster.import_roster(s, actor=actor_for(s, "manager1"), campaign_id=camp_id,
                                   stream=io.BytesIO(data), filename="roster.csv")
    assert rep.rows == 10_000 and rep.accepted == 9_800
    assert {r["line"] for r in rep.refused} == bad_lines
    assert all(r["reason"] for r in rep.refused)
    reasons = " ".join(r["reason"] for r in rep.refused)
    assert "校验位" in reasons and "九组" in reasons and "重复" in reasons and "家庭人数" in reasons
    before = [count_rows(demo_db, t) for t in TABLES]
    with demo_db.unit_of_work() as s:
        again = roster.import_roster(s, actor=actor_for(s, "manager1"), campaign_id=camp_id,
                                     stream=io.BytesIO(data), filename="roster.csv")
    assert again.accepted == 0 and again.updated == 0 and again.unchanged == 9_800 and len(again.refused) == 200
    assert [count_rows(demo_db, t) for t in TABLES] == before


def test_roster_xlsx_and_changed_row_updates(demo_db) -> None:
    import openpyxl

    _, _, _, camp_id = _village(demo_db)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["household_no", "hamlet", "head_name", "member_count"])
    ws.append(["A1", "一组", "王大山", 3])
    ws.append(["A2", "二组", "李小河", 2])
    buf = io.BytesIO()
    wb.save(buf)
    with demo_db.unit_of_work() as s:
        rep = roster.import_roster(s, actor=actor_for(s, "manager1"), campaign_id=camp_id,
                                   stream=io.BytesIO(buf.getvalue()), filename="r.xlsx")
        assert (rep.accepted, rep.refused) == (2, [])
    ws["D2"] = 4
    buf = io.BytesIO()
    wb.save(buf)
    with demo_db.unit_of_work() as s:
        rep = roster.import_roster(s, actor=actor_for(s, "manager1"), campaign_id=camp_id,
                                   stream=io.BytesIO(buf.getvalue()), filename="r.xlsx")
        assert (rep.accepted, rep.updated, rep.unchanged) == (0, 1, 1)


def test_roster_without_required_columns_is_refused(demo_db) -> None:
    _, _, _, camp_id = _village(demo_db)
    before = [count_rows(demo_db, t) for t in (*TABLES, "villages_roster_import")]
    with pytest.raises(ValidationFailed), demo_db.unit_of_work() as s:
        roster.import_roster(s, actor=actor_for(s, "manager1"), campaign_id=camp_id,
                             stream=io.BytesIO("名字,电话\n张三,1\n".encode()), filename="x.csv")
    assert [count_rows(demo_db, t) for t in (*TABLES, "villages_roster_import")] == before


def test_campaign_flow_and_coverage(demo_db) -> None:
    village_id, h1, _h2, camp_id = _village(demo_db)
    with demo_db.unit_of_work() as s:
        m1 = actor_for(s, "manager1")
        hhs = [service.create_household(s, actor=m1, hamlet_id=h1, household_no=f"F{i}", head_name=f"户主{i}")
               for i in range(4)]
        # households added after the campaign started join it on the first visit status
        for hh in hhs:
            from zhanye.villages.models import CampaignHousehold

            s.add(CampaignHousehold(campaign_id=camp_id, household_id=hh.id))
        s.flush()
        cust, _ = customer_service.create_customer(s, actor=m1, kind="individual", name="户主0",
                                                   id_number=make_resident_id("220122", __import__("datetime").date(
                                                       1970, 5, 5), uuid.uuid4().int % 900))
        service.link_member_customer(s, actor=m1, member_id=service.members(s, actor=m1, household_id=hhs[0].id)[0].id,
                                     customer_id=cust.id)
        service.set_visit_status(s, actor=m1, campaign_id=camp_id, household_id=hhs[1].id, status="filed")
        service.set_visit_status(s, actor=m1, campaign_id=camp_id, household_id=hhs[2].id, status="refused")
        sub = actor_for(s, "sub101")
        service.record_review(s, actor=sub, campaign_id=camp_id, household_id=hhs[0].id, members_present="村委5人",
                              opinion="approve", recommended_limit_fen=8_000_000)
        service.record_review(s, actor=sub, campaign_id=camp_id, household_id=hhs[1].id, members_present="村委5人",
                              opinion="approve", recommended_limit_fen=5_000_000)

        seen = []
        previous = service.register_precredit_engine(lambda sess, actor, cand: seen.append(cand) or (
            cand.recommended_limit_fen // 2 if cand.customer_ids else 0))
        try:
            counts = service.run_precredit(s, actor=sub, campaign_id=camp_id)
        finally:
            service.register_precredit_engine(previous)
        assert counts == {"candidates": 2, "credited": 1, "declined": 1}
        assert {c.household_id for c in seen} == {hhs[0].id, hhs[1].id}
        hid = service.household_for_customer(s, actor=m1, customer_id=cust.id)
        assert hid == hhs[0].id
        service.mark_drawn(s, actor=m1, household_id=hid, amount_fen=2_000_000)
        row = coverage.coverage(s, actor=m1, by="village", village_ids=[village_id])[0]
        assert (row.households, row.filed, row.reviewed, row.credited, row.drawn) == (4, 2, 2, 1, 1)
        assert str(row.filed_rate) == "0.5000" and str(row.credited_rate) == "0.5000"
        assert str(row.drawn_rate) == "1.0000"


def test_villages_are_scoped(demo_db) -> None:
    village_id, h1, _, camp_id = _village(demo_db, inst_code="201", username="manager3")
    with demo_db.unit_of_work(write=False) as s:
        m1 = actor_for(s, "manager1")
        with pytest.raises(NotFound):
            service.get_village(s, actor=m1, village_id=village_id)
        with pytest.raises(NotFound):
            service.get_campaign(s, actor=m1, campaign_id=camp_id)
        assert village_id not in [v.id for v in service.list_villages(s, actor=m1)]
        assert village_id not in [r.key for r in coverage.coverage(s, actor=m1, by="village")]
    before = count_rows(demo_db, "villages_household")
    with pytest.raises(NotFound), demo_db.unit_of_work() as s:
        service.create_household(s, actor=actor_for(s, "manager1"), hamlet_id=h1, household_no="X1", head_name="越权")
    assert count_rows(demo_db, "villages_household") == before


def test_my_villages(demo_db) -> None:
    with demo_db.unit_of_work(write=False) as s:
        m1 = actor_for(s, "manager1")
        names = [v.name for v in service.list_villages(s, actor=m1, mine=True)]
        assert "陈家店村" in names and "青山村" not in names
