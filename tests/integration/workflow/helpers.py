"""Helpers for workflow tests: principals of demo staff, unique test definitions, task lookup."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.org import service as org_service
from zhanye.org.models import RolePermission
from zhanye.workflow import service as wf
from zhanye.workflow.models import ProcessInstance, ProcessStep, Task


def principal(session: Session, username: str) -> Principal:
    staff = org_service.find_staff_by_username(session, username)
    assert staff is not None, username
    roles = frozenset(staff.roles)
    perms = frozenset(session.execute(select(RolePermission.permission_code)
                                      .where(RolePermission.role_code.in_(sorted(roles)))).scalars())
    return Principal(staff_id=staff.id, username=staff.username, display_name=staff.display_name,
                     institution_id=staff.institution_id, institution_name=staff.institution.name, roles=roles,
                     permissions=perms, scope_ids=org_service.subtree_ids(session, staff.institution_id))


def system(session: Session) -> Principal:
    return org_service.system_principal(session)


def uid() -> str:
    return uuid.uuid4().hex[:10]


def publish(session: Session, source: str) -> Any:
    definition, _ = wf.publish_definition(session, system(session), source)
    return definition


def open_tasks(session: Session, instance_id: int) -> list[Task]:
    return list(session.execute(select(Task).where(Task.instance_id == instance_id, Task.status == "open")
                                .order_by(Task.id)).scalars())


def steps(session: Session, instance_id: int) -> list[ProcessStep]:
    return list(session.execute(select(ProcessStep).where(ProcessStep.instance_id == instance_id)
                                .order_by(ProcessStep.id)).scalars())


def instance(session: Session, instance_id: int) -> ProcessInstance:
    inst = session.get(ProcessInstance, instance_id)
    assert inst is not None
    session.flush()
    session.refresh(inst)
    return inst


def start_loan(session: Session, amount_fen: int, *, submitter: str = "manager1", subject_type: str = "wf_test_loan",
               **kw: Any) -> ProcessInstance:
    actor = principal(session, submitter)
    return wf.start(session, actor, process_key="loan.approval", subject_type=subject_type, subject_id=uid(),
                    facts={"amount_fen": amount_fen}, summary=f"test loan {amount_fen}", **kw)
