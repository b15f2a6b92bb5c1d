"""The process engine: start an instance, activate steps and their tasks, decide steps from task
outcomes, finish instances and tell the subject's feature.

Every step is counted the same way: it needs ``need`` approvals out of ``total`` tasks (single
1/1, parallel all n/n, parallel any 1/n, committee quorum q/n; a co-signer adds one to both).
It is approved when approvals reach ``need`` and rejected as soon as ``need`` can no longer be
reached. Remaining open tasks of a decided step are cancelled.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit, events
from zhanye.core.context import Principal
from zhanye.core.db import lock_for_update, utcnow
from zhanye.core.errors import DomainError, FieldError, NotFound, ValidationFailed
from zhanye.org.models import Institution, Staff, StaffRole
from zhanye.workflow import definitions, notify, sla
from zhanye.workflow.models import ProcessDefinition, ProcessInstance, ProcessStep, Task, TaskAction

FINAL = ("approved", "rejected", "cancelled")


class NoAssignee(DomainError):
    code = "workflow_no_assignee"
    status = 422
    title_zh = "找不到处理人"
    title_en = "Nobody can take this step"


class FactsInvalid(ValidationFailed):
    code = "workflow_facts_invalid"


class InstanceNotFound(NotFound):
    code = "workflow_instance_not_found"
    title_zh = "流程实例不存在"
    title_en = "No such process instance"


@dataclass(frozen=True)
class Outcome:
    """What a subject's feature learns when its instance ends or comes back.

    ``status``: approved | rejected | returned | cancelled. ``adjustments`` holds the values the
    approvers set within their authority (e.g. ``{"approved_amount_fen": 8000000,
    "approved_rate": "0.0435"}``; decimals as strings), the later approval winning per key.
    """

    instance_id: int
    process_key: str
    version: int
    subject_type: str
    subject_id: str
    status: str
    facts: dict[str, Any]
    adjustments: dict[str, Any]
    institution_id: int
    submitter_id: int | None
    decided_by: int | None
    comment: str


OutcomeHandler = Callable[[Session, Outcome], None]
_handlers: dict[str, list[OutcomeHandler]] = defaultdict(list)


def register_outcome_handler(subject_type: str, handler: OutcomeHandler) -> None:
    """Call ``handler(session, outcome)`` in the same transaction when an instance of this
    subject type is approved, rejected, returned to its submitter or cancelled."""
    if handler not in _handlers[subject_type]:
        _handlers[subject_type].append(handler)


def _tell(session: Session, inst: ProcessInstance, decided_by: int | None, comment: str) -> None:
    outcome = Outcome(
        instance_id=inst.id, process_key=inst.process_key, version=inst.version, subject_type=inst.subject_type,
        subject_id=inst.subject_id, status=inst.status, facts=json.loads(inst.facts),
        adjustments=json.loads(inst.adjustments), institution_id=inst.institution_id,
        submitter_id=inst.submitter_id, decided_by=decided_by, comment=comment)
    for handler in list(_handlers.get(inst.subject_type, ())):
        handler(session, outcome)
    events.publish(session, f"workflow.instance.{inst.status}", outcome.__dict__)
    if inst.submitter_id:
        notify.send(session, notify.Message(kind="outcome", staff_id=inst.submitter_id, instance_id=inst.id,
                                            text=f"{inst.summary or inst.process_key}：{_STATUS_ZH[inst.status]}"))


_STATUS_ZH = {"approved": "已通过", "rejected": "已否决", "returned": "已退回", "cancelled": "已撤销",
              "running": "审批中"}


# --- facts -----------------------------------------------------------------------------------------

def check_facts(facts: dict[str, Any], spec: definitions.Spec) -> dict[str, Any]:
    if not isinstance(facts, dict):
        raise FactsInvalid("facts 须为对象", "facts must be an object")
    errors = []
    for key, value in facts.items():
        if not isinstance(key, str) or not key.isidentifier() or len(key) > 64:
            errors.append(FieldError(["facts", str(key)[:64]], "事实名称格式不正确", "bad fact name"))
        elif value is not None and not isinstance(value, str | int | float | bool):
            errors.append(FieldError(["facts", key], "事实取值须为文字、数字或布尔值",
                                     "a fact must be a string, number or boolean"))
        elif isinstance(value, str) and len(value) > 500:
            errors.append(FieldError(["facts", key], "内容过长", "too long"))
    present = {k for k, v in facts.items() if v is not None}
    for fact in sorted(spec.condition_facts() - present):
        errors.append(FieldError(["facts", fact], f"流程 {spec.key} 的路由条件需要 {fact}",
                                 f"process {spec.key} routes on {fact}, which is missing", "missing"))
    numeric = {fact for st in spec.steps for fact, ops in st.when.items() if set(ops) & {"lt", "lte", "gt", "gte"}}
    for fact in sorted(numeric & present):
        if isinstance(facts[fact], bool) or not isinstance(facts[fact], int | float):
            errors.append(FieldError(["facts", fact], f"路由条件 {fact} 须为数字", f"{fact} must be a number"))
    if errors:
        raise FactsInvalid("流程事实有误", "The facts are not valid", errors=errors)
    return facts


# --- assignment ------------------------------------------------------------------------------------

def _ancestors(session: Session, institution_id: int) -> list[Institution]:
    """The institution and its ancestors, nearest first."""
    origin = session.get(Institution, institution_id)
    if origin is None:
        raise NotFound("机构不存在", "No such institution")
    ids = [int(x) for x in origin.path.strip("/").split("/") if x]
    by_id = {i.id: i for i in session.execute(select(Institution).where(Institution.id.in_(ids))).scalars()}
    return [by_id[i] for i in reversed(ids) if i in by_id]


def holders(session: Session, role: str, institution_ids: list[int]) -> dict[int, int]:
    """How many active staff hold ``role`` at each of the institutions (read-only org query)."""
    rows = session.execute(
        select(Staff.institution_id, Staff.id).join(StaffRole, StaffRole.staff_id == Staff.id)
        .where(StaffRole.role_code == role, Staff.status == "active", Staff.institution_id.in_(institution_ids))
    ).all()
    counts: dict[int, int] = defaultdict(int)
    for inst_id, _ in rows:
        counts[inst_id] += 1
    return counts


def resolve_institution(session: Session, origin_id: int, role: str, level: str, *, at_least: int = 1) -> int:
    """The institution whose ``role`` takes the step: the one of ``level`` above ``origin_id``
    (or ``origin_id`` itself), moving up when fewer than ``at_least`` people hold the role there."""
    chain = _ancestors(session, origin_id)
    start = 0
    if level != "origin":
        start = next((i for i, inst in enumerate(chain) if inst.kind == level), 0)
    candidates = chain[start:]
    counts = holders(session, role, [i.id for i in candidates])
    for inst in candidates:
        if counts.get(inst.id, 0) >= at_least:
            return inst.id
    raise NoAssignee(f"从{chain[0].name}向上找不到 {at_least} 名角色为 {role} 的在岗人员",
                     f"no {at_least} active staff with role {role} at or above {chain[0].name}",
                     role=role, level=level)


# --- starting and advancing --------------------------------------------------------------------

def start(session: Session, actor: Principal, *, process_key: str, subject_type: str, subject_id: str | int,
          facts: dict[str, Any], submitter: int | None = None, institution_id: int | None = None,
          summary: str = "", now: Any = None) -> ProcessInstance:
    """Start the current version of ``process_key`` for a subject; see workflow.service.start."""
    now = now or utcnow()
    definition = definitions.current_definition(session, process_key)
    assert definition is not None
    spec = definitions.spec_of(definition)
    if not subject_type or len(subject_type) > 64:
        raise ValidationFailed.field(["subject_type"], "subject_type 须为 1-64 个字符", "subject_type: 1-64 characters")
    check_facts(facts, spec)
    submitter_id = submitter if submitter is not None else (actor.staff_id or None)
    if institution_id is None:
        staff = session.get(Staff, submitter_id) if submitter_id else None
        institution_id = staff.institution_id if staff is not None else actor.institution_id
    if not actor.sees_institution(institution_id):
        raise NotFound("机构不存在", "No such institution")
    cal = sla.calendar(session)
    yellow_at, due_at = sla.deadlines(cal, now, definition.sla_seconds, spec.yellow_share)
    inst = ProcessInstance(
        definition_id=definition.id, process_key=definition.key, version=definition.version,
        subject_type=subject_type, subject_id=str(subject_id)[:64], summary=(summary or "")[:200],
        facts=json.dumps(facts, ensure_ascii=False, sort_keys=True), institution_id=institution_id,
        submitter_id=submitter_id, status="running", started_at=now, sla_seconds=definition.sla_seconds,
        yellow_at=yellow_at, due_at=due_at, sla_next_at=sla.next_at(yellow_at, due_at))
    session.add(inst)
    session.flush()
    log(session, inst, None, None, "start", actor, now=now, payload={"facts": facts})
    advance(session, actor, inst, spec, 0, now)
    audit.record(session, action="workflow.instance.start", object_type="workflow_instance", object_id=inst.id,
                 changes={"process": f"{inst.process_key}@v{inst.version}", "subject": f"{subject_type}:{subject_id}"},
                 actor=actor)
    return inst


def spec_for(session: Session, inst: ProcessInstance) -> definitions.Spec:
    cache = session.info.setdefault("workflow_specs", {})
    if inst.definition_id not in cache:
        definition = session.get(ProcessDefinition, inst.definition_id)
        assert definition is not None
        cache[inst.definition_id] = definitions.spec_of(definition)
    return cache[inst.definition_id]  # type: ignore[no-any-return]


def advance(session: Session, actor: Principal, inst: ProcessInstance, spec: definitions.Spec, index: int,
            now: Any) -> None:
    """Activate the first step at or after ``index`` whose condition holds, or approve the instance."""
    facts = json.loads(inst.facts)
    for i in range(index, len(spec.steps)):
        if definitions.condition_holds(spec.steps[i].when, facts):
            activate(session, inst, spec, i, now)
            return
    finish(session, actor, inst, "approved", now, comment="")


def activate(session: Session, inst: ProcessInstance, spec: definitions.Spec, index: int, now: Any) -> ProcessStep:
    step_def = spec.steps[index]
    places = []
    for branch in step_def.branches:
        at_least = step_def.need if step_def.kind == "quorum" else 1
        places.append((branch, resolve_institution(session, inst.institution_id, branch.role, branch.level,
                                                   at_least=at_least)))
    cal = sla.calendar(session)
    seconds = int(step_def.sla_hours * 3600) if step_def.sla_hours is not None else None
    yellow_at, due_at = sla.deadlines(cal, now, seconds, spec.yellow_share)
    step = ProcessStep(instance_id=inst.id, step_key=step_def.id, step_index=index, name=step_def.name,
                       kind=step_def.kind, need=step_def.need, total=len(places), status="open",
                       institution_id=places[0][1], started_at=now, sla_seconds=seconds, yellow_at=yellow_at,
                       due_at=due_at, sla_next_at=sla.next_at(yellow_at, due_at))
    session.add(step)
    session.flush()
    for seat, (branch, inst_id) in enumerate(places, start=1):
        task = Task(instance_id=inst.id, step_id=step.id, kind="approve", role=branch.role, institution_id=inst_id,
                    seat=seat, status="open", created_at=now, due_at=due_at)
        session.add(task)
        session.flush()
        notify.send(session, notify.Message(kind="new", role=branch.role, institution_id=inst_id, task_id=task.id,
                                            instance_id=inst.id, text=f"新待办：{inst.summary or spec.name} · {step.name}"))
    inst.status = "running"
    inst.step_index = index
    inst.current_step_id = step.id
    return step


def close_step(session: Session, step: ProcessStep, status: str, now: Any, *, responsible: int | None) -> None:
    step.status = status
    step.completed_at = now
    step.working_seconds = sla.calendar(session).working_seconds_between(step.started_at, now)
    for task in session.execute(select(Task).where(Task.step_id == step.id, Task.status == "open")).scalars():
        task.status = "cancelled"
        task.version += 1
    sla.cards_on_completion(session, step=step, now=now, staff_id=responsible)


def finish(session: Session, actor: Principal, inst: ProcessInstance, status: str, now: Any, *,
           comment: str) -> None:
    """End (approved | rejected | cancelled) or hand back (returned) the instance and tell its feature."""
    inst.status = status
    inst.outcome_by = actor.staff_id or None
    if status in FINAL:
        inst.completed_at = now
        inst.cycle_seconds = sla.calendar(session).working_seconds_between(inst.started_at, now)
        sla.cards_on_completion(session, instance=inst, now=now, staff_id=actor.staff_id or None)
        inst.current_step_id = None
    log(session, inst, None, None, status, actor, now=now, comment=comment)
    _tell(session, inst, actor.staff_id or None, comment)


def log(session: Session, inst: ProcessInstance, step: ProcessStep | None, task: Task | None, action: str,
        actor: Principal, *, now: Any, comment: str = "", attachments: list[dict[str, Any]] | None = None,
        payload: dict[str, Any] | None = None) -> TaskAction:
    row = TaskAction(instance_id=inst.id, step_id=step.id if step else (task.step_id if task else None),
                     task_id=task.id if task else None, action=action, actor_id=actor.staff_id or None,
                     actor_name=actor.display_name, comment=comment,
                     attachments=json.dumps(attachments or [], ensure_ascii=False),
                     payload=json.dumps(payload or {}, ensure_ascii=False, default=str), at=now)
    session.add(row)
    return row


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Lock the instance row (PostgreSQL FOR UPDATE; SQLite serializes writers) and refresh it."""
    stmt = select(ProcessInstance).where(ProcessInstance.id == instance_id).execution_options(populate_existing=True)
    inst = session.execute(lock_for_update(stmt, session)).scalar_one_or_none()
    if inst is None:
        raise InstanceNotFound("流程实例不存在", "No such process instance")
    return inst


def get_instance(session: Session, actor: Principal, instance_id: int) -> ProcessInstance:
    inst = session.get(ProcessInstance, instance_id)
    if inst is None or not (actor.sees_institution(inst.institution_id) or _has_task(session, actor, instance_id)):
        raise InstanceNotFound("流程实例不存在", "No such process instance")
    return inst


def _has_task(session: Session, actor: Principal, instance_id: int) -> bool:
    return session.execute(select(Task.id).where(Task.instance_id == instance_id,
                                                 (Task.assignee_id == actor.staff_id) | (Task.acted_by == actor.staff_id))
                           .limit(1)).first() is not None


def cancel(session: Session, actor: Principal, *, instance_id: int, reason: str = "", now: Any = None) -> ProcessInstance:
    """Withdraw a running or returned instance (e.g. the application was withdrawn)."""
    now = now or utcnow()
    get_instance(session, actor, instance_id)
    inst = lock_instance(session, instance_id)
    if inst.status in FINAL:
        from zhanye.core.errors import InvalidTransition

        raise InvalidTransition("流程已结束，不能撤销", "The process has ended and cannot be withdrawn")
    for step in session.execute(select(ProcessStep).where(ProcessStep.instance_id == inst.id,
                                                          ProcessStep.status == "open")).scalars():
        close_step(session, step, "cancelled", now, responsible=None)
    finish(session, actor, inst, "cancelled", now, comment=reason)
    audit.record(session, action="workflow.instance.cancel", object_type="workflow_instance", object_id=inst.id,
                 changes={"status": "cancelled", "reason": reason}, actor=actor)
    return inst


def start_manual(session: Session, actor: Principal, *, process_key: str, summary: str,
                 subject_id: str | None = None, facts: dict[str, Any] | None = None,
                 now: Any = None) -> ProcessInstance:
    """Staff start a process marked ``manual_start`` (the OA processes of the SLA table) themselves."""
    definition = definitions.current_definition(session, process_key)
    assert definition is not None
    spec = definitions.spec_of(definition)
    if not spec.manual_start:
        raise ValidationFailed.field(["process_key"], f"流程 {process_key} 由业务系统发起，不能手工发起",
                                     f"process {process_key} is started by its feature, not by hand")
    import secrets

    return start(session, actor, process_key=process_key, subject_type=spec.subject_type or "oa_request",
                 subject_id=subject_id or f"OA-{secrets.token_hex(5).upper()}", facts=facts or {},
                 summary=summary, now=now)
