"""The demo bank's tree and staff: a head office, 2 branches, 4 sub-branches, every role."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from zhanye.org import service

INSTITUTIONS = [
    # code, name, kind, parent code
    ("000", "展业农商银行总行", "head_office", None),
    ("100", "东城分行", "branch", "000"),
    ("200", "西城分行", "branch", "000"),
    ("101", "柳河支行", "sub_branch", "100"),
    ("102", "青山支行", "sub_branch", "100"),
    ("201", "石桥支行", "sub_branch", "200"),
    ("202", "河口支行", "sub_branch", "200"),
]

# username, display name, institution code, roles
STAFF = [
    ("admin", "管理员", "000", ["ops_admin"]),
    ("executive", "王行长", "000", ["executive"]),
    ("auditor", "审计员刘", "000", ["auditor"]),
    ("analyst", "策略师陈", "000", ["strategy_analyst"]),
    ("analyst2", "策略师杨", "000", ["strategy_analyst"]),
    ("risk", "风险经理周", "000", ["risk_manager"]),
    ("fraud", "反欺诈专员吴", "000", ["fraud_investigator"]),
    ("approver", "总行审批人郑", "000", ["approver"]),
    ("branch1", "东城分行行长孙", "100", ["branch_manager"]),
    ("approver1", "东城分行审批人钱", "100", ["approver"]),
    ("risk1", "东城分行风险经理冯", "100", ["risk_manager"]),
    ("branch2", "西城分行行长李", "200", ["branch_manager"]),
    ("sub101", "柳河支行行长赵", "101", ["branch_manager"]),
    ("manager1", "客户经理张伟", "101", ["manager"]),
    ("manager2", "客户经理李娜", "102", ["manager"]),
    ("manager3", "客户经理王芳", "201", ["manager"]),
    ("manager4", "客户经理刘洋", "202", ["manager"]),
]

DEMO_PASSWORD = "Zhanye#2026"


def seed(session: Session, ctx: Any) -> None:
    actor = service.system_principal(session)
    for code, name, kind, parent in INSTITUTIONS:
        parent_id = ctx.institutions[parent] if parent else None
        inst = service.create_institution(session, actor, code=code, name=name, kind=kind, parent_id=parent_id)
        ctx.institutions[code] = inst.id
        actor = service.system_principal(session)
    for username, name, inst_code, roles in STAFF:
        staff, _ = service.create_staff(session, actor, username=username, display_name=name,
                                        institution_id=ctx.institutions[inst_code], roles=roles,
                                        password=ctx.password, must_change_password=False, is_demo=True)
        ctx.staff[username] = staff.id
