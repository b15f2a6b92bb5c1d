"""Read-only views of the workflow: task and instance shapes, instance lists and the timeline
(who did what when, working hours spent per step)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.org.models import Institution, Staff
from zhanye.workflow import engine, sla, tasks
from zhanye.workflow.models import ProcessInstance, ProcessStep, Task, TaskAction


def task_view(actor: Principal, task: Task, inst: ProcessInstance, step: ProcessStep) -> dict[str, Any]:
    return {
        "id": task.id, "instance_id": inst.id, "process_key": inst.process_key, "version": inst.version,
        "summary": inst.summary, "subject_type": inst.subject_type, "subject_id": inst.subject_id,
        "step_key": step.step_key, "step_name": step.name, "kind": task.kind, "role": task.role,
        "institution_id": task.institution_id, "assignee_id": task.assignee_id, "status": task.status,
        "outcome": task.outcome, "sla_state": "ok" if step.card == "none" else step.card, "due_at": step.due_at,
        "created_at": task.created_at, "task_version": task.version, "can_act": tasks.can_act(actor, task),
        "facts": json.loads(inst.facts),
    }


def task_detail(session: Session, actor: Principal, task_id: int) -> dict[str, Any]:
    task = tasks.get_task(session, actor, task_id)
    inst = session.get(ProcessInstance, task.instance_id)
    step = session.get(ProcessStep, task.step_id)
    assert inst is not None and step is not None
    out = task_view(actor, task, inst, step)
    spec = engine.spec_for(session, inst)
    out["actions"] = list(tasks._BY_KIND[task.kind]) if out["can_act"] else []
    out["return_targets"] = sorted({s.step_key for s in session.execute(select(ProcessStep).where(
        ProcessStep.instance_id == inst.id, ProcessStep.step_index < step.step_index,
        ProcessStep.step_index >= 0)).scalars()})
    out["adjustable"] = spec.step(step.step_key).adjustable if step.kind != "resubmit" else {}
    out["colleagues"] = [{"id": s.id, "name": s.display_name} for s in _colleagues(session, task, actor)]
    out["cosigners"] = _cosigners(session, inst, actor) if "cosign" in out["actions"] else []
    return out


def _cosigners(session: Session, inst: ProcessInstance, actor: Principal) -> list[dict[str, Any]]:
    """Active staff who can see the matter: at its institution or above (read-only org query)."""
    origin = session.get(Institution, inst.institution_id)
    assert origin is not None
    ids = [int(x) for x in origin.path.strip("/").split("/") if x]
    names = dict(session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids))).all())
    rows = session.execute(select(Staff.id, Staff.display_name, Staff.institution_id).where(
        Staff.institution_id.in_(ids), Staff.status == "active",
        Staff.id.not_in([actor.staff_id, inst.submitter_id or 0])).order_by(Staff.institution_id, Staff.id).limit(200))
    return [{"id": i, "name": n, "institution": names.get(inst_id, "")} for i, n, inst_id in rows]


def _colleagues(session: Session, task: Task, actor: Principal) -> list[Staff]:
    if task.role is None:
        return []
    from zhanye.org.models import StaffRole

    return list(session.execute(select(Staff).join(StaffRole, StaffRole.staff_id == Staff.id).where(
        StaffRole.role_code == task.role, Staff.institution_id == task.institution_id, Staff.status == "active",
        Staff.id != actor.staff_id).order_by(Staff.id)).scalars().unique())


def instance_view(inst: ProcessInstance) -> dict[str, Any]:
    return {
        "id": inst.id, "process_key": inst.process_key, "version": inst.version, "subject_type": inst.subject_type,
        "subject_id": inst.subject_id, "summary": inst.summary, "status": inst.status,
        "institution_id": inst.institution_id, "submitter_id": inst.submitter_id, "started_at": inst.started_at,
        "due_at": inst.due_at, "completed_at": inst.completed_at, "card": inst.card,
        "cycle_hours": round(inst.cycle_seconds / 3600, 2) if inst.cycle_seconds is not None else None,
        "facts": json.loads(inst.facts), "adjustments": json.loads(inst.adjustments),
    }


def list_instances(session: Session, actor: Principal, *, process_key: str | None = None,
                   status: str | None = None, card: str | None = None, page: int = 1,
                   page_size: int = 20) -> tuple[list[ProcessInstance], int]:
    stmt = select(ProcessInstance).where(ProcessInstance.institution_id.in_(sorted(actor.scope_ids)))
    if process_key:
        stmt = stmt.where(ProcessInstance.process_key == process_key)
    if status:
        stmt = stmt.where(ProcessInstance.status == status)
    if card:
        stmt = stmt.where(ProcessInstance.card == card)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(ProcessInstance.id.desc()).offset((page - 1) * page_size)
                           .limit(page_size)).scalars()
    return list(rows), int(total)


def timeline(session: Session, actor: Principal, instance_id: int, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The instance, each step with its working hours (so far, for an open step), the actions in
    order and the cards."""
    now = now or utcnow()
    inst = engine.get_instance(session, actor, instance_id)
    cal = sla.calendar(session)
    names = dict(session.execute(select(Institution.id, Institution.name)).all())
    steps = []
    for step in session.execute(select(ProcessStep).where(ProcessStep.instance_id == inst.id)
                                .order_by(ProcessStep.id)).scalars():
        spent = step.working_seconds if step.working_seconds is not None else \
            cal.working_seconds_between(step.started_at, now)
        steps.append({"id": step.id, "step_key": step.step_key, "name": step.name, "kind": step.kind,
                      "status": step.status, "need": step.need, "total": step.total, "approvals": step.approvals,
                      "rejections": step.rejections, "institution": names.get(step.institution_id, ""),
                      "started_at": step.started_at, "completed_at": step.completed_at, "due_at": step.due_at,
                      "card": step.card, "working_hours": round(spent / 3600, 2),
                      "sla_hours": round(step.sla_seconds / 3600, 2) if step.sla_seconds else None})
    actions = [{"id": a.id, "at": a.at, "action": a.action, "actor": a.actor_name, "comment": a.comment,
                "step_id": a.step_id, "task_id": a.task_id, "attachments": json.loads(a.attachments),
                "payload": json.loads(a.payload)}
               for a in session.execute(select(TaskAction).where(TaskAction.instance_id == inst.id)
                                        .order_by(TaskAction.id)).scalars()]
    staff_names = dict(session.execute(select(Staff.id, Staff.display_name)).all())
    cards = [{"color": c.color, "target": c.target, "step_key": c.step_key, "issued_at": c.issued_at,
              "person": staff_names.get(c.staff_id) if c.staff_id else None,
              "institution": names.get(c.institution_id, "")} for c in sla.cards_of_instance(session, inst.id)]
    open_tasks = [{"id": t.id, "step_id": t.step_id, "role": t.role, "assignee": staff_names.get(t.assignee_id),
                   "institution": names.get(t.institution_id, ""), "kind": t.kind}
                  for t in session.execute(select(Task).where(Task.instance_id == inst.id, Task.status == "open")
                                           .order_by(Task.id)).scalars()]
    spent_total = inst.cycle_seconds if inst.cycle_seconds is not None else cal.working_seconds_between(inst.started_at, now)
    return {"instance": {**instance_view(inst), "working_hours": round(spent_total / 3600, 2),
                         "sla_hours": round(inst.sla_seconds / 3600, 2) if inst.sla_seconds else None,
                         "institution": names.get(inst.institution_id, ""),
                         "submitter": staff_names.get(inst.submitter_id) if inst.submitter_id else None},
            "steps": steps, "actions": actions, "cards": cards, "open_tasks": open_tasks}
