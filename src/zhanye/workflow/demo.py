"""Demo data: the bundled process definitions (the bank's published SLA table, loan approval,
overdue inspection), two more head-office committee members, and a few instances in every state
so the inbox and the SLA board have something to show."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from zhanye.core.db import utcnow
from zhanye.org import service as org_service
from zhanye.workflow import definitions, engine, sla

COMMITTEE = [("committee1", "贷审会委员林", "000"), ("committee2", "贷审会委员高", "000")]


def seed(session: Session, ctx: Any) -> None:
    system = org_service.system_principal(session)
    definitions.load_bundled(session, system)
    for username, name, inst in COMMITTEE:
        if username not in ctx.staff:
            staff, _ = org_service.create_staff(session, system, username=username, display_name=name,
                                                institution_id=ctx.institutions[inst], roles=["approver"],
                                                password=ctx.password, must_change_password=False, is_demo=True)
            ctx.staff[username] = staff.id
    now = utcnow()
    branch = ctx.institutions["101"]
    manager = ctx.staff["manager1"]
    samples = [
        ("loan.approval", "demo_loan", "D-001", {"amount_fen": 3_000_000}, "张三 种植贷 3万元", 0),
        ("loan.approval", "demo_loan", "D-002", {"amount_fen": 12_000_000}, "李四 养殖贷 12万元", 1),
        ("loan.approval", "demo_loan", "D-003", {"amount_fen": 50_000_000}, "王五 经营贷 50万元", 2),
        ("oa.info_release", "oa_request", "OA-101", {}, "柳河支行开业宣传稿", 2),
        ("oa.disbursement", "oa_request", "OA-102", {}, "东城分行业务出账", 3),
    ]
    for key, subject_type, subject_id, facts, summary, days_ago in samples:
        engine.start(session, system, process_key=key, subject_type=subject_type, subject_id=subject_id,
                     facts=facts, submitter=manager, institution_id=branch, summary=summary,
                     now=now - dt.timedelta(days=days_ago))
    sla.scan(session, now)
