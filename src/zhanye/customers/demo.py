"""Demo customers of the demo bank (a few per sub-branch, one blacklisted), and ``actor_for``,
which builds the principal of a staff member for seeding, the CLI and tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.customers import kyc, sections, service
from zhanye.customers.validators import make_resident_id
from zhanye.org.models import Institution, RolePermission, Staff, StaffRole


def actor_for(session: Session, username: str) -> Principal:
    """The principal of a staff member as a request would see it (roles, permissions, scope)."""
    staff = session.execute(select(Staff).where(Staff.username == username)).scalar_one()
    roles = frozenset(session.execute(select(StaffRole.role_code).where(StaffRole.staff_id == staff.id)).scalars())
    perms = frozenset(session.execute(select(RolePermission.permission_code).where(
        RolePermission.role_code.in_(sorted(roles)))).scalars())
    inst = session.get(Institution, staff.institution_id)
    assert inst is not None
    scope = frozenset(session.execute(select(Institution.id).where(Institution.path.like(f"{inst.path}%"))).scalars())
    return Principal(staff_id=staff.id, username=staff.username, display_name=staff.display_name,
                     institution_id=staff.institution_id, institution_name=inst.name, roles=roles,
                     permissions=perms, scope_ids=scope)


# name, region, birth, seq, mobile, manager
DEMO_CUSTOMERS = [
    ("张建国", "220102", dt.date(1975, 4, 12), 131, "13812340001", "manager1"),
    ("李秀兰", "220102", dt.date(1982, 9, 3), 242, "13812340002", "manager1"),
    ("王德福", "220182", dt.date(1968, 1, 25), 351, "13812340003", "manager1"),
    ("赵春燕", "220183", dt.date(1990, 6, 18), 462, "13812340004", "manager2"),
    ("刘长海", "220203", dt.date(1979, 11, 30), 571, "13812340005", "manager3"),
    ("陈玉梅", "220204", dt.date(1986, 2, 14), 682, "13812340006", "manager4"),
]


def seed(session: Session, ctx: Any) -> None:
    for name, region, birth, seq, mobile, manager in DEMO_CUSTOMERS:
        actor = actor_for(session, manager)
        cust, _ = service.create_customer(session, actor=actor, kind="individual",
                                          id_number=make_resident_id(region, birth, seq), name=name, mobile=mobile,
                                          address="吉林省长春市农安县")
        kyc.verify_id(session, actor=actor, customer_id=cust.id)
        kyc.verify_mobile(session, actor=actor, customer_id=cust.id)
        sections.save_section(session, actor=actor, customer_id=cust.id, section="income",
                              data={"farming_fen": 4_500_000, "wages_fen": 1_200_000})
        sections.save_section(session, actor=actor, customer_id=cust.id, section="production",
                              data={"crops": [{"crop": "玉米", "area_mu": "30"}]})
        service.set_wizard_step(session, actor=actor, customer_id=cust.id, step="done")
    risk = actor_for(session, "risk")
    kyc.add_blacklist_entry(session, actor=risk, list_code="internal", source="展业农商银行风险管理部",
                            kind="internal", id_number=make_resident_id("220203", dt.date(1979, 11, 30), 571),
                            name="刘长海", reason="2024年贷款恶意逃废债")
