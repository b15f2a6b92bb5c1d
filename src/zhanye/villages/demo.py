"""Demo divisions, villages, hamlets, households and a campaign for the demo bank."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from zhanye.customers import pii
from zhanye.customers import service as customer_service
from zhanye.customers.demo import actor_for
from zhanye.customers.validators import make_resident_id
from zhanye.org import service as org_service
from zhanye.villages import service

# code, name, village institution code, managers
VILLAGES = [
    ("220122101201", "陈家店村", "101", ["manager1"]),
    ("220122101202", "柳河村", "101", ["manager1"]),
    ("220122101203", "青山村", "102", ["manager2"]),
    ("220122102201", "石桥村", "201", ["manager3"]),
    ("220122102202", "河口村", "202", ["manager4"]),
]


def seed(session: Session, ctx: Any) -> None:
    system = org_service.system_principal(session)
    prov = service.create_division(session, actor=system, code="220000000000", name="吉林省", level="province")
    city = service.create_division(session, actor=system, code="220100000000", name="长春市", level="city",
                                   parent_id=prov.id)
    county = service.create_division(session, actor=system, code="220122000000", name="农安县", level="county",
                                     parent_id=city.id)
    towns = {
        "101": service.create_division(session, actor=system, code="220122101000", name="合隆镇", level="township",
                                       parent_id=county.id),
        "102": service.create_division(session, actor=system, code="220122102000", name="哈拉海镇",
                                       level="township", parent_id=county.id),
    }
    for code, name, inst_code, managers in VILLAGES:
        village = service.create_division(session, actor=system, code=code, name=name, level="village",
                                          parent_id=towns[code[6:9]].id, institution_id=ctx.institutions[inst_code])
        hamlets = [service.create_division(session, actor=system, code=f"{code}{i:02d}", name=f"{n}", level="hamlet",
                                           parent_id=village.id) for i, n in enumerate(("一组", "二组", "三组"), 1)]
        for username in managers:
            service.assign_village(session, actor=system, village_id=village.id, staff_id=ctx.staff[username])
        manager = actor_for(session, managers[0])
        households = []
        for i in range(12):
            hh = service.create_household(
                session, actor=manager, hamlet_id=hamlets[i % 3].id, household_no=f"{i + 1:03d}",
                head_name=["王", "李", "张", "刘", "陈", "杨"][i % 6] + ["国庆", "秀英", "志强", "桂兰"][i % 4],
                head_id_number=make_resident_id(code[:6], dt.date(1960 + i, 1 + i % 12, 1 + i), 100 + i),
                member_count=2 + i % 4)
            households.append(hh)
        camp = service.create_campaign(session, actor=manager, village_id=village.id, name=f"{name}2026年整村授信")
        for i, hh in enumerate(households):
            if i < 8:
                service.set_visit_status(session, actor=manager, campaign_id=camp.id, household_id=hh.id,
                                         status="visited" if i >= 5 else "filed")
            if i < 4:
                service.record_review(session, actor=system, campaign_id=camp.id, household_id=hh.id,
                                      members_present="村支书、村主任、村民代表3人", opinion="approve",
                                      recommended_limit_fen=5_000_000 + i * 1_000_000, minutes="一致同意")
        service.run_precredit(session, actor=system, campaign_id=camp.id)
        service.mark_drawn(session, actor=system, household_id=households[0].id, amount_fen=3_000_000)
        # link the village's demo customer (if any) as a household member
        rows, _ = customer_service.search_customers(session, actor=manager, manager_id=manager.staff_id)
        if rows and code.endswith("201"):
            service.add_member(session, actor=manager, household_id=households[5].id, relation="spouse",
                               name=pii.dec(rows[-1].name_enc) or "", customer_id=rows[-1].id)
