"""Tasks (待办): the inbox, claim and release, and acting on a task exactly once.

A task is in a staff member's inbox when it is assigned to them, or when it lies in the pool of
one of their roles at their own institution and nobody has claimed it. Acting locks the
instance row first (one fixed lock order), re-reads the task and refuses a task that is no
longer open, so two approvers clicking at once yield one action and a clear 409 for the other.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, func, literal, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import Conflict, DomainError, FieldError, NotFound, ValidationFailed
from zhanye.org.models import Institution, Staff, StaffRole
from zhanye.workflow import engine, notify
from zhanye.workflow.models import ProcessInstance, ProcessStep, Task

ACTIONS = ("approve", "reject", "return", "delegate", "cosign", "comment", "resubmit", "withdraw")
_BY_KIND = {
    "approve": ("approve", "reject", "return", "delegate", "cosign", "comment"),
    "cosign": ("approve", "reject", "comment"),
    "resubmit": ("resubmit", "withdraw", "comment"),
}


class TaskNotFound(NotFound):
    code = "task_not_found"
    title_zh = "待办不存在"
    title_en = "No such task"


class TaskAlreadyDone(Conflict):
    code = "task_already_done"
    title_zh = "此待办已被处理"
    title_en = "This task has already been handled"


class TaskNotYours(DomainError):
    code = "task_not_yours"
    status = 409
    title_zh = "此待办不在您的名下"
    title_en = "This task is not yours"


class NotSubmitter(TaskNotYours):
    code = "workflow_not_submitter"
    title_zh = "只有提交人或流程管理员可以撤销"
    title_en = "Only the submitter or a process admin can withdraw"


class ActionNotAllowed(ValidationFailed):
    code = "task_action_not_allowed"


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    size: int
    sha256: str | None = None
    ref: str | None = None  # where the file lives (object store key, customer image id, ...)


# --- reading -----------------------------------------------------------------------------------------

def inbox_filter(actor: Principal) -> Any:
    """Open tasks assigned to the actor or waiting unclaimed in a pool of their roles at their
    institution. Written as a UNION of two index searches (assignee; institution + role) so the
    database never walks every open task."""
    mine = select(Task.id).where(Task.status == "open", Task.assignee_id == actor.staff_id)
    pool = select(Task.id).where(Task.status == "open", Task.institution_id == actor.institution_id,
                                 Task.role.in_(sorted(actor.roles) or [""]), Task.assignee_id.is_(None))
    return Task.id.in_(union_all(mine, pool).scalar_subquery())


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def inbox_cursor(task: Task) -> str:
    """The keyset position after ``task`` in inbox order: ``<due, microseconds since 1970 | n>.<id>``."""
    due = "n" if task.due_at is None else str((task.due_at - _EPOCH) // dt.timedelta(microseconds=1))
    return f"{due}.{task.id}"


def parse_inbox_cursor(raw: str) -> tuple[dt.datetime | None, int]:
    try:
        due, task_id = raw.split(".")
        return (None if due == "n" else _EPOCH + dt.timedelta(microseconds=int(due))), int(task_id)
    except ValueError:
        raise ValidationFailed.field(["after"], "翻页位置无效", "invalid page position") from None


def _inbox_arms(actor: Principal, claimed: bool | None, after: tuple[dt.datetime | None, int] | None) -> list[Any]:
    """One search per index range: the actor's own tasks, then each of their roles' unclaimed pool
    at their institution. Each arm reads its composite index (status, assignee | institution,
    role, NULL assignee; due_at, id) in inbox order. After a keyset position each range splits in
    two (later due instants as a row-value range; then the tasks without one) so that both stay
    index ranges."""
    ranges = []
    if claimed is not False:
        ranges.append(and_(Task.status == "open", Task.assignee_id == actor.staff_id))
    if claimed is not True:
        ranges.extend(and_(Task.status == "open", Task.institution_id == actor.institution_id, Task.role == role,
                           Task.assignee_id.is_(None)) for role in sorted(actor.roles))
    if after is None:
        return ranges
    due, task_id = after
    if due is None:
        return [and_(r, Task.due_at.is_(None), Task.id > task_id) for r in ranges]
    later = tuple_(Task.due_at, Task.id) > tuple_(literal(due, Task.due_at.type), literal(task_id, Task.id.type))
    return [part for r in ranges for part in (and_(r, later), and_(r, Task.due_at.is_(None)))]


def inbox(session: Session, actor: Principal, *, process_key: str | None = None, sla_state: str | None = None,
          claimed: bool | None = None, q: str | None = None, page: int = 1, page_size: int = 20,
          after: tuple[dt.datetime | None, int] | None = None,
          now: dt.datetime | None = None) -> tuple[list[tuple[Task, ProcessInstance, ProcessStep]], int]:
    """The actor's open tasks, most urgent first (due instant, tasks without one last; then id).
    ``sla_state``: ok | yellow | red. ``after`` (from ``parse_inbox_cursor``) continues after a
    keyset position instead of ``page``; ``total`` counts the whole filtered inbox either way.

    Each arm of ``_inbox_arms`` is joined to the instance or step only when a filter needs it and
    cut at ``page * page_size`` rows in index order, so a page reads that many index entries per
    arm (PostgreSQL merges the ordered arms); the total is a count over the same arms."""
    if after is not None:
        page = 1
    order = (Task.due_at.asc().nulls_last(), Task.id.asc())
    needed = page * page_size

    # Filters on the instance or step are correlated scalar subqueries on purpose: one primary-key
    # lookup per task the arm reads (a page stops early); as joins, PostgreSQL would hash-join the
    # whole step table to count a few thousand tasks.
    filters = []
    if process_key:
        filters.append(select(ProcessInstance.process_key).where(ProcessInstance.id == Task.instance_id)
                       .scalar_subquery() == process_key)
    if q:
        like = f"%{q.strip()}%"
        filters.append(select(literal(1)).where(
            ProcessInstance.id == Task.instance_id,
            or_(ProcessInstance.summary.like(like), ProcessInstance.subject_id.like(like))).scalar_subquery().is_not(None))
    if sla_state in ("ok", "yellow", "red"):
        filters.append(select(ProcessStep.card).where(ProcessStep.id == Task.step_id).scalar_subquery()
                       == ("none" if sla_state == "ok" else sla_state))

    def arm(where: Any, *, limit: bool) -> Any:
        stmt = select(Task.id.label("id"), Task.due_at.label("due_at")).where(where, *filters)
        return stmt.order_by(*order).limit(needed).subquery().select() if limit else stmt

    def union(ranges: list[Any], *, limit: bool) -> Any:
        parts = [arm(w, limit=limit) for w in ranges]
        return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery()

    ranges = _inbox_arms(actor, claimed, None)
    if not ranges:
        return [], 0
    total = session.execute(select(func.count()).select_from(union(ranges, limit=False))).scalar_one()
    if total <= (page - 1) * page_size:
        return [], int(total)
    cand = union(_inbox_arms(actor, claimed, after) if after is not None else ranges, limit=True)
    ids = list(session.execute(select(cand.c.id).order_by(cand.c.due_at.asc().nulls_last(), cand.c.id.asc())
                               .offset((page - 1) * page_size).limit(page_size)).scalars())
    found = {t.id: (t, i, s) for t, i, s in session.execute(
        select(Task, ProcessInstance, ProcessStep).join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessStep, ProcessStep.id == Task.step_id).where(Task.id.in_(ids))).all()} if ids else {}
    return [found[i] for i in ids if i in found], int(total)


def open_count(session: Session, actor: Principal) -> int:
    return int(session.execute(select(func.count()).select_from(Task).where(inbox_filter(actor))).scalar_one())


def get_task(session: Session, actor: Principal, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or not (task.assignee_id == actor.staff_id or task.acted_by == actor.staff_id
                            or actor.sees_institution(task.institution_id)):
        raise TaskNotFound("待办不存在", "No such task")
    return task


def can_act(actor: Principal, task: Task) -> bool:
    if task.status != "open":
        return False
    if task.assignee_id is not None:
        return task.assignee_id == actor.staff_id
    return task.role in actor.roles and task.institution_id == actor.institution_id


# --- claim and release ------------------------------------------------------------------------------

def _locked_task(session: Session, actor: Principal, task_id: int) -> tuple[Task, ProcessInstance]:
    task = get_task(session, actor, task_id)
    inst = engine.lock_instance(session, task.instance_id)
    session.flush()
    session.refresh(task)
    return task, inst


def _ensure_open(session: Session, task: Task, expected_version: int | None) -> None:
    if task.status != "open":
        who = session.get(Staff, task.acted_by) if task.acted_by else None
        when = task.acted_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%H:%M:%S") if task.acted_at else ""
        if who is not None:
            raise TaskAlreadyDone(f"此待办已由{who.display_name}于 {when} 处理（{task.outcome}）",
                                  f"{who.display_name} already handled this task at {when} ({task.outcome})",
                                  outcome=task.outcome)
        raise TaskAlreadyDone("此待办已关闭", "This task is closed", outcome=task.outcome)
    if expected_version is not None and expected_version != task.version:
        raise TaskAlreadyDone("此待办已被他人更新，请刷新后重试", "The task changed meanwhile; reload and retry")


def _ensure_eligible(session: Session, actor: Principal, task: Task, inst: ProcessInstance) -> None:
    if not can_act(actor, task):
        if task.assignee_id is not None:
            who = session.get(Staff, task.assignee_id)
            raise TaskNotYours(f"此待办已由{who.display_name if who else '他人'}认领",
                               f"{who.display_name if who else 'someone else'} holds this task")
        raise TaskNotYours("此待办属于其他机构或角色", "This task belongs to another role or institution")
    if task.kind != "resubmit" and inst.submitter_id == actor.staff_id:
        raise TaskNotYours("不能审批自己提交的事项", "You cannot approve what you submitted")
    other = session.execute(select(Task.id).where(
        Task.step_id == task.step_id, Task.id != task.id,
        or_(Task.acted_by == actor.staff_id, and_(Task.assignee_id == actor.staff_id, Task.status == "open")))
        .limit(1)).first()
    if other is not None:
        raise TaskNotYours("您已在本环节占有一个席位", "You already hold a seat in this step")


def claim(session: Session, actor: Principal, *, task_id: int, now: dt.datetime | None = None) -> Task:
    now = now or utcnow()
    task, inst = _locked_task(session, actor, task_id)
    _ensure_open(session, task, None)
    if task.assignee_id == actor.staff_id:
        return task
    _ensure_eligible(session, actor, task, inst)
    task.assignee_id, task.claimed_at = actor.staff_id, now
    task.version += 1
    engine.log(session, inst, None, task, "claim", actor, now=now)
    audit.record(session, action="workflow.task.claim", object_type="workflow_task", object_id=task.id,
                 changes={"assignee_id": actor.staff_id}, actor=actor)
    return task


def release(session: Session, actor: Principal, *, task_id: int, now: dt.datetime | None = None) -> Task:
    now = now or utcnow()
    task, inst = _locked_task(session, actor, task_id)
    _ensure_open(session, task, None)
    if task.assignee_id != actor.staff_id:
        raise TaskNotYours("只能释放自己认领的待办", "You can only release a task you claimed")
    if task.role is None or task.kind != "approve":
        raise TaskNotYours("指定给您的待办不能释放，可转办", "A task assigned to you cannot be released; delegate it")
    task.assignee_id, task.claimed_at = None, None
    task.version += 1
    engine.log(session, inst, None, task, "release", actor, now=now)
    audit.record(session, action="workflow.task.release", object_type="workflow_task", object_id=task.id,
                 changes={"assignee_id": None}, actor=actor)
    return task


# --- acting ----------------------------------------------------------------------------------------

def _check_attachments(raw: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(raw or []):
        try:
            att = Attachment(**item)
        except TypeError:
            raise ValidationFailed.field(["attachments", i], "附件须有 name、content_type、size",
                                         "an attachment needs name, content_type and size") from None
        if not att.name or len(att.name) > 200 or att.size < 0 or len(att.content_type) > 100:
            raise ValidationFailed.field(["attachments", i], "附件信息无效", "bad attachment metadata")
        out.append(att.__dict__)
    return out


def _check_adjustments(step_def: Any, facts: dict[str, Any], raw: dict[str, Any] | None) -> dict[str, Any]:
    if not raw:
        return {}
    out: dict[str, Any] = {}
    errors = []
    for name, value in raw.items():
        rule = step_def.adjustable.get(name)
        if rule is None:
            errors.append(FieldError(["adjustments", name], "本环节不能调整此项", "this step cannot adjust it"))
            continue
        kind = rule.get("type", "decimal")
        try:
            if kind == "integer":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError
                number: Decimal | None = Decimal(value)
            elif kind == "decimal":
                number = Decimal(str(value))
                if not number.is_finite():
                    raise ValueError
            else:
                number = None
                if not isinstance(value, str) or len(value) > 200:
                    raise ValueError
        except (ValueError, InvalidOperation):
            errors.append(FieldError(["adjustments", name], f"须为{'整数' if kind == 'integer' else '数字'}",
                                     f"must be {'an integer' if kind == 'integer' else 'a number'}"))
            continue
        if number is not None:
            bounds = [("min", rule.get("min")), ("max", rule.get("max")),
                      ("min", facts.get(rule["min_fact"]) if "min_fact" in rule else None),
                      ("max", facts.get(rule["max_fact"]) if "max_fact" in rule else None)]
            for side, bound in bounds:
                if bound is None:
                    continue
                limit = Decimal(str(bound))
                if (side == "min" and number < limit) or (side == "max" and number > limit):
                    errors.append(FieldError(["adjustments", name], f"超出审批权限（{'不低于' if side == 'min' else '不高于'} {limit}）",
                                             f"outside the authority ({side} {limit})", "out_of_range"))
        out[name] = int(number) if kind == "integer" and number is not None else (
            str(number) if number is not None else value)
    if errors:
        raise ValidationFailed("调整项有误", "The adjustments are not valid", errors=errors)
    return out


def act(session: Session, actor: Principal, *, task_id: int, action: str, comment: str = "",
        attachments: list[dict[str, Any]] | None = None, adjustments: dict[str, Any] | None = None,
        to_step: str | None = None, staff_id: int | None = None, facts: dict[str, Any] | None = None,
        expected_version: int | None = None, now: dt.datetime | None = None) -> Task:
    """Act on a task once. ``action``: approve | reject | return (``to_step`` = an earlier step id or
    "submitter") | delegate (``staff_id``) | cosign (``staff_id``) | comment | resubmit (optional
    new ``facts``) | withdraw. ``adjustments`` (approve only) must lie within the step's authority."""
    now = now or utcnow()
    if action not in ACTIONS:
        raise ActionNotAllowed.field(["action"], f"未知操作 {action}", f"unknown action {action}")
    atts = _check_attachments(attachments)
    task, inst = _locked_task(session, actor, task_id)
    _ensure_open(session, task, expected_version)
    _ensure_eligible(session, actor, task, inst)
    if action not in _BY_KIND[task.kind]:
        raise ActionNotAllowed.field(["action"], f"此待办不能{action}", f"{action} is not possible on this task")
    if action in ("reject", "return") and not comment.strip():
        raise ValidationFailed.field(["comment"], "否决或退回须填写意见", "rejecting or returning needs a comment")
    step = session.get(ProcessStep, task.step_id)
    assert step is not None
    spec = engine.spec_for(session, inst)
    payload: dict[str, Any] = {}
    if action == "comment":
        engine.log(session, inst, step, task, "comment", actor, now=now, comment=comment, attachments=atts)
        return task
    if action == "delegate":
        return _delegate(session, actor, task, inst, step, staff_id, comment, atts, now)
    if action == "cosign":
        return _cosign(session, actor, task, inst, step, staff_id, comment, atts, now)
    if action == "approve" and adjustments:
        if step.kind == "resubmit":
            raise ActionNotAllowed.field(["adjustments"], "此环节不能调整", "no adjustments here")
        payload["adjustments"] = _check_adjustments(spec.step(step.step_key), json.loads(inst.facts), adjustments)
    if action == "return":
        payload["to_step"] = _check_return(session, inst, step, spec, to_step)
    if action == "resubmit" and facts is not None:
        merged = {**json.loads(inst.facts), **facts}
        engine.check_facts(merged, spec)
        payload["facts"] = facts
    task.status, task.outcome, task.acted_by, task.acted_at = "done", action, actor.staff_id, now
    task.assignee_id = task.assignee_id or actor.staff_id
    task.version += 1
    engine.log(session, inst, step, task, action, actor, now=now, comment=comment, attachments=atts, payload=payload)
    audit.record(session, action=f"workflow.task.{action}", object_type="workflow_task", object_id=task.id,
                 changes={"instance_id": inst.id, "step": step.step_key, **payload}, actor=actor)
    if action == "approve":
        if payload.get("adjustments"):
            inst.adjustments = json.dumps({**json.loads(inst.adjustments), **payload["adjustments"]},
                                          ensure_ascii=False, sort_keys=True)
        step.approvals += 1
        if step.approvals >= step.need:
            engine.close_step(session, step, "approved", now, responsible=actor.staff_id)
            engine.advance(session, actor, inst, spec, step.step_index + 1, now)
    elif action == "reject":
        step.rejections += 1
        if step.total - step.rejections < step.need:
            engine.close_step(session, step, "rejected", now, responsible=actor.staff_id)
            engine.finish(session, actor, inst, "rejected", now, comment=comment)
    elif action == "return":
        engine.close_step(session, step, "returned", now, responsible=actor.staff_id)
        target = payload["to_step"]
        if target == "submitter":
            _return_to_submitter(session, actor, inst, spec, now, comment)
        else:
            engine.activate(session, inst, spec, spec.index_of(target), now)
    elif action == "resubmit":
        engine.close_step(session, step, "approved", now, responsible=actor.staff_id)
        if payload.get("facts"):
            inst.facts = json.dumps({**json.loads(inst.facts), **payload["facts"]}, ensure_ascii=False, sort_keys=True)
        engine.advance(session, actor, inst, spec, 0, now)
    elif action == "withdraw":
        engine.close_step(session, step, "cancelled", now, responsible=actor.staff_id)
        engine.finish(session, actor, inst, "cancelled", now, comment=comment)
    return task


def _check_return(session: Session, inst: ProcessInstance, step: ProcessStep, spec: Any, to_step: str | None) -> str:
    if to_step in (None, "", "submitter"):
        if inst.submitter_id is None:
            raise ActionNotAllowed.field(["to_step"], "此流程没有提交人，请退回到前序环节",
                                         "this process has no submitter; return to an earlier step")
        return "submitter"
    earlier = {s.step_key for s in session.execute(select(ProcessStep).where(
        ProcessStep.instance_id == inst.id, ProcessStep.step_index < step.step_index)).scalars()}
    if to_step not in earlier:
        raise ActionNotAllowed.field(["to_step"], f"只能退回到已经过的前序环节（{', '.join(sorted(earlier)) or '无'}）或提交人",
                                     f"return to an earlier step this instance passed ({', '.join(sorted(earlier)) or 'none'}) "
                                     "or to the submitter")
    return to_step


def _return_to_submitter(session: Session, actor: Principal, inst: ProcessInstance, spec: Any, now: dt.datetime,
                         comment: str) -> None:
    submitter = session.get(Staff, inst.submitter_id)
    assert submitter is not None
    step = ProcessStep(instance_id=inst.id, step_key="_resubmit", step_index=-1, name="补充资料后重新提交",
                       kind="resubmit", need=1, total=1, status="open", institution_id=submitter.institution_id,
                       started_at=now)
    session.add(step)
    session.flush()
    task = Task(instance_id=inst.id, step_id=step.id, kind="resubmit", role=None,
                institution_id=submitter.institution_id, assignee_id=submitter.id, status="open", created_at=now)
    session.add(task)
    session.flush()
    inst.current_step_id = step.id
    engine.finish(session, actor, inst, "returned", now, comment=comment)
    notify.send(session, notify.Message(kind="new", staff_id=submitter.id, task_id=task.id, instance_id=inst.id,
                                        text=f"退回补充资料：{inst.summary or spec.name}"))


def _staff_with_role(session: Session, staff_id: int | None, role: str | None) -> Staff:
    staff = session.get(Staff, staff_id) if staff_id else None
    if staff is None or staff.status != "active":
        raise ValidationFailed.field(["staff_id"], "请选择在岗员工", "choose an active staff member")
    if role is not None and session.get(StaffRole, (staff.id, role)) is None:
        raise ValidationFailed.field(["staff_id"], f"{staff.display_name}没有角色 {role}",
                                     f"{staff.display_name} does not hold role {role}")
    return staff


def _delegate(session: Session, actor: Principal, task: Task, inst: ProcessInstance, step: ProcessStep,
              staff_id: int | None, comment: str, atts: list[dict[str, Any]], now: dt.datetime) -> Task:
    target = _staff_with_role(session, staff_id, task.role)
    if target.id == actor.staff_id or target.id == inst.submitter_id or target.institution_id != task.institution_id:
        raise ValidationFailed.field(["staff_id"], "只能转办给本机构同角色的其他同事（非提交人）",
                                     "delegate to another colleague with the same role at the same institution "
                                     "(not the submitter)")
    busy = session.execute(select(Task.id).where(Task.step_id == step.id, Task.id != task.id, or_(
        Task.acted_by == target.id, and_(Task.assignee_id == target.id, Task.status == "open"))).limit(1)).first()
    if busy is not None:
        raise ValidationFailed.field(["staff_id"], f"{target.display_name}已在本环节占有席位",
                                     f"{target.display_name} already holds a seat in this step")
    task.assignee_id, task.claimed_at = target.id, now
    task.version += 1
    engine.log(session, inst, step, task, "delegate", actor, now=now, comment=comment, attachments=atts,
               payload={"to": target.id, "to_name": target.display_name})
    audit.record(session, action="workflow.task.delegate", object_type="workflow_task", object_id=task.id,
                 changes={"from": actor.staff_id, "to": target.id}, actor=actor)
    notify.send(session, notify.Message(kind="new", staff_id=target.id, task_id=task.id, instance_id=inst.id,
                                        text=f"{actor.display_name}转办给您：{inst.summary or inst.process_key} · {step.name}"))
    return task


def _cosign(session: Session, actor: Principal, task: Task, inst: ProcessInstance, step: ProcessStep,
            staff_id: int | None, comment: str, atts: list[dict[str, Any]], now: dt.datetime) -> Task:
    target = _staff_with_role(session, staff_id, None)
    home = session.get(Institution, target.institution_id)
    origin = session.get(Institution, inst.institution_id)
    assert home is not None and origin is not None
    if target.id in (actor.staff_id, inst.submitter_id) or not origin.path.startswith(home.path):
        raise ValidationFailed.field(["staff_id"], "会签人须能看到此事项（本机构或上级机构），且不是提交人或您自己",
                                     "the co-signer must see this matter (its institution or above) and be neither "
                                     "the submitter nor you")
    busy = session.execute(select(Task.id).where(Task.step_id == step.id, or_(
        Task.acted_by == target.id, and_(Task.assignee_id == target.id, Task.status == "open"))).limit(1)).first()
    if busy is not None:
        raise ValidationFailed.field(["staff_id"], f"{target.display_name}已在本环节", f"{target.display_name} is already in this step")
    cosign = Task(instance_id=inst.id, step_id=step.id, kind="cosign", role=None, institution_id=target.institution_id,
                  assignee_id=target.id, seat=step.total + 1, status="open", created_at=now, due_at=step.due_at)
    session.add(cosign)
    step.need += 1
    step.total += 1
    session.flush()
    engine.log(session, inst, step, task, "cosign", actor, now=now, comment=comment, attachments=atts,
               payload={"cosigner": target.id, "cosigner_name": target.display_name, "task_id": cosign.id})
    audit.record(session, action="workflow.task.cosign", object_type="workflow_task", object_id=cosign.id,
                 changes={"step_id": step.id, "cosigner": target.id}, actor=actor)
    notify.send(session, notify.Message(kind="new", staff_id=target.id, task_id=cosign.id, instance_id=inst.id,
                                        text=f"{actor.display_name}邀请您会签：{inst.summary or inst.process_key}"))
    return task
