"""Use cases of the decision engine: decisions, versions and their lifecycle, champion/challenger
routes. Evaluation (``decide``, ``simulate``, ``replay``) lives in ``runtime`` and is re-exported
here, so other features call ``decisions.service.decide(...)``.

Lifecycle of a version: draft → submitted (change note; its decision's test suite must pass) →
approved (by someone other than the author: maker-checker) → active → retired. A submitted
version is immutable. Exactly one version is active per (decision, institution scope): the head
office default, or a branch override when the decision allows it. Activation retires the previous
active version of the scope; rollback re-activates the version that was active before. Each is
one audited action and invalidates the engine cache.

``decide(session, key, facts, *, caller=None, institution_id=None, at=None, record="durable",
trace=False)`` — see ``zhanye.decisions.runtime.decide``.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.db import lock_for_update, utcnow
from zhanye.core.errors import FieldError, InvalidTransition, PermissionDenied, ValidationFailed
from zhanye.decisions import engine, jdm, resolve
from zhanye.decisions.errors import DecisionNotFound, MakerChecker, SuiteFailing
from zhanye.decisions.models import Decision, DecisionActivation, DecisionRoute, DecisionVersion
from zhanye.decisions.runtime import DecisionResult, decide, replay, simulate  # noqa: F401 (re-export)

__all__ = ["DecisionResult", "decide", "replay", "simulate"]


# --- decisions ---------------------------------------------------------------------------------

def _check_schema(name: str, schema: dict[str, Any]) -> None:
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValidationFailed.field(name, f"JSON Schema 无效: {exc.message}",
                                     f"not a valid JSON Schema: {exc.message}", "schema") from None
    if schema.get("type") != "object":
        raise ValidationFailed.field(name, "模式的类型必须是 object", "the schema type must be object", "schema")


def create_decision(session: Session, actor: Principal, *, key: str, name: str, description: str = "",
                    input_schema: dict[str, Any], output_schema: dict[str, Any],
                    branch_override: bool = False) -> Decision:
    _check_schema("input_schema", input_schema)
    _check_schema("output_schema", output_schema)
    if session.execute(select(Decision.id).where(Decision.key == key)).first() is not None:
        raise ValidationFailed.field("key", f"决策键 {key} 已存在", f"the key {key} already exists", "duplicate")
    dec = Decision(key=key, name=name, description=description, input_schema=input_schema,
                   output_schema=output_schema, branch_override=branch_override,
                   created_by=actor.staff_id or None)
    session.add(dec)
    session.flush()
    resolve.forget_missing(key)  # ``decision_exists`` may have cached its absence
    resolve.bump_generation(session)  # ... in other processes too
    audit.record(session, action="decision.create", object_type="decision", object_id=dec.id,
                 changes={"key": key, "name": name, "branch_override": branch_override}, actor=actor)
    return dec


def list_decisions(session: Session, actor: Principal) -> list[Decision]:
    return list(session.execute(select(Decision).order_by(Decision.key)).scalars())


def decision_exists(session: Session, key: str) -> bool:
    """Whether a decision has this key (cached in process, see ``resolve.exists``)."""
    return resolve.exists(session, key)


def get_decision(session: Session, actor: Principal, key: str) -> Decision:
    dec = session.execute(select(Decision).where(Decision.key == key)).scalar_one_or_none()
    if dec is None:
        raise DecisionNotFound(f"决策 {key} 不存在", f"The decision {key} does not exist")
    return dec


def get_decision_by_id(session: Session, decision_id: int) -> Decision:
    dec = session.get(Decision, decision_id)
    if dec is None:
        raise DecisionNotFound("决策不存在", "The decision does not exist")
    return dec


# --- versions ----------------------------------------------------------------------------------

def visible_institutions(session: Session, actor: Principal) -> set[int]:
    """Versions of the actor's scope, plus those of the actor's ancestors (read only)."""
    ids = set(actor.scope_ids)
    if actor.institution_id:
        ids |= set(resolve.chain(session, actor.institution_id))
    return ids


def get_version(session: Session, actor: Principal, version_id: int, *, for_write: bool = False) -> DecisionVersion:
    stmt = select(DecisionVersion).where(DecisionVersion.id == version_id)
    if for_write:
        stmt = lock_for_update(stmt, session)
    v = session.execute(stmt).scalar_one_or_none()
    allowed = actor.scope_ids if for_write else visible_institutions(session, actor)
    if v is None or v.institution_id not in allowed:
        raise DecisionNotFound("决策版本不存在", "The decision version does not exist")
    return v


def list_versions(session: Session, actor: Principal, key: str) -> list[DecisionVersion]:
    dec = get_decision(session, actor, key)
    return list(session.execute(select(DecisionVersion).where(
        DecisionVersion.decision_id == dec.id,
        DecisionVersion.institution_id.in_(sorted(visible_institutions(session, actor))))
        .order_by(DecisionVersion.number.desc())).scalars())


def _scope_for_new(session: Session, actor: Principal, dec: Decision, institution_id: int | None) -> int:
    head = resolve.head_office_id(session)
    inst = institution_id or (head if head in actor.scope_ids else actor.institution_id)
    if inst not in actor.scope_ids:
        raise DecisionNotFound("机构不存在", "The institution does not exist")
    if inst != head and not dec.branch_override:
        raise ValidationFailed.field("institution_id", "该决策不允许分行覆盖，只能由总行维护",
                                     "this decision allows no branch override; only the head office keeps it",
                                     "scope")
    return inst


def create_version(session: Session, actor: Principal, *, key: str, content: str | dict[str, Any],
                   institution_id: int | None = None, change_note: str = "") -> DecisionVersion:
    dec = get_decision(session, actor, key)
    text, _graph = jdm.parse_and_validate(content)
    inst = _scope_for_new(session, actor, dec, institution_id)
    number = (session.execute(select(func.max(DecisionVersion.number)).where(
        DecisionVersion.decision_id == dec.id)).scalar_one() or 0) + 1
    v = DecisionVersion(decision_id=dec.id, number=number, institution_id=inst, status="draft", content=text,
                        content_hash=jdm.content_hash(text), change_note=change_note,
                        author_id=actor.staff_id or None)
    session.add(v)
    session.flush()
    audit.record(session, action="decision.version.create", object_type="decision_version", object_id=v.id,
                 changes={"key": key, "number": number, "institution_id": inst, "hash": v.content_hash},
                 actor=actor)
    return v


def update_draft(session: Session, actor: Principal, version_id: int, *, content: str | dict[str, Any]) -> DecisionVersion:
    v = get_version(session, actor, version_id, for_write=True)
    if v.status != "draft":
        raise InvalidTransition("已提交的版本不可修改，请新建版本",
                                "A submitted version is immutable; create a new version")
    text, _graph = jdm.parse_and_validate(content)
    old = v.content_hash
    v.content, v.content_hash, v.updated_at = text, jdm.content_hash(text), utcnow()
    engine.forget(engine.version_key(v.id))
    audit.record(session, action="decision.version.update", object_type="decision_version", object_id=v.id,
                 changes={"hash": [old, v.content_hash]}, actor=actor)
    return v


def _transition(v: DecisionVersion, allowed: tuple[str, ...], target: str) -> str:
    if v.status not in allowed:
        raise InvalidTransition(f"版本状态为 {v.status}，不能变为 {target}",
                                f"The version is {v.status}; it cannot become {target}",
                                status_from=v.status, status_to=target)
    old = v.status
    v.status = target
    v.updated_at = utcnow()
    return old


def submit_version(session: Session, actor: Principal, version_id: int, *, change_note: str) -> DecisionVersion:
    from zhanye.decisions import suites

    v = get_version(session, actor, version_id, for_write=True)
    if not change_note.strip():
        raise ValidationFailed.field("change_note", "提交须填写变更说明", "a change note is required", "missing")
    if v.status != "draft":
        _transition(v, ("draft",), "submitted")
    report = suites.run_suite(session, actor, version_id=v.id)
    if report["failed"]:
        failing = [c["name"] for c in report["cases"] if not c["passed"]]
        raise SuiteFailing(f"{report['failed']} 个测试用例未通过: {', '.join(failing[:10])}",
                           f"{report['failed']} test case(s) fail: {', '.join(failing[:10])}",
                           errors=[FieldError(["suite", name], "未通过", "fails", "test_failed") for name in failing],
                           failing=failing)
    _transition(v, ("draft",), "submitted")
    v.change_note, v.submitted_at = change_note, utcnow()
    audit.record(session, action="decision.version.submit", object_type="decision_version", object_id=v.id,
                 changes={"status": ["draft", "submitted"], "change_note": change_note,
                          "suite": {"passed": report["passed"], "total": report["total"]}}, actor=actor)
    return v


def approve_version(session: Session, actor: Principal, version_id: int, *, note: str = "") -> DecisionVersion:
    v = get_version(session, actor, version_id, for_write=True)
    if v.author_id is not None and v.author_id == actor.staff_id:
        raise MakerChecker("制作人不能审核自己提交的版本", "The author of a version cannot approve it")
    _transition(v, ("submitted",), "approved")
    v.approver_id, v.approved_at, v.review_note = actor.staff_id or None, utcnow(), note
    audit.record(session, action="decision.version.approve", object_type="decision_version", object_id=v.id,
                 changes={"status": ["submitted", "approved"], "note": note}, actor=actor)
    return v


def reject_version(session: Session, actor: Principal, version_id: int, *, note: str) -> DecisionVersion:
    v = get_version(session, actor, version_id, for_write=True)
    if v.author_id is not None and v.author_id == actor.staff_id:
        raise MakerChecker("制作人不能审核自己提交的版本", "The author of a version cannot review it")
    _transition(v, ("submitted",), "rejected")
    v.review_note = note
    audit.record(session, action="decision.version.reject", object_type="decision_version", object_id=v.id,
                 changes={"status": ["submitted", "rejected"], "note": note}, actor=actor)
    return v


def _open_activation(session: Session, decision_id: int, institution_id: int) -> DecisionActivation | None:
    return session.execute(lock_for_update(select(DecisionActivation).where(
        DecisionActivation.decision_id == decision_id, DecisionActivation.institution_id == institution_id,
        DecisionActivation.ended_at.is_(None)), session)).scalars().first()


def _activate(session: Session, actor: Principal, v: DecisionVersion, *, reason: str) -> DecisionVersion:
    if not actor.can("decision.activate") and actor.staff_id:
        raise PermissionDenied("需要权限 decision.activate", "Permission decision.activate is required")
    now = utcnow()
    current = _open_activation(session, v.decision_id, v.institution_id)
    previous_id = None
    if current is not None:
        if current.version_id == v.id:
            raise InvalidTransition("该版本已经生效", "The version is already active")
        current.ended_at = now
        session.flush()  # close the open activation before the new one (unique while open)
        prev = session.get(DecisionVersion, current.version_id)
        if prev is not None:
            prev.status, prev.updated_at = "retired", now
            previous_id = prev.id
    v.status, v.updated_at = "active", now
    session.add(DecisionActivation(decision_id=v.decision_id, institution_id=v.institution_id, version_id=v.id,
                                   started_at=now, activated_by=actor.staff_id or None, reason=reason))
    # a challenger route that pointed at the new champion makes no sense any more
    route = session.execute(select(DecisionRoute).where(
        DecisionRoute.decision_id == v.decision_id, DecisionRoute.institution_id == v.institution_id)).scalar_one_or_none()
    if route is not None and route.challenger_version_id == v.id:
        session.delete(route)
    resolve.bump_generation(session)
    session.flush()
    audit.record(session, action=f"decision.version.{reason}", object_type="decision_version", object_id=v.id,
                 changes={"status": "active", "retired_version_id": previous_id, "institution_id": v.institution_id},
                 actor=actor)
    engine.invalidate()
    return v


def activate_version(session: Session, actor: Principal, version_id: int) -> DecisionVersion:
    v = get_version(session, actor, version_id, for_write=True)
    if v.status != "approved":
        raise InvalidTransition(f"只有已审核的版本可以上线(当前 {v.status})；回滚请用回滚操作",
                                f"Only an approved version can be activated (it is {v.status}); use rollback",
                                status_from=v.status, status_to="active")
    return _activate(session, actor, v, reason="activate")


def rollback(session: Session, actor: Principal, *, key: str, institution_id: int | None = None) -> DecisionVersion:
    """Re-activate the version that was active before the current one in the scope."""
    dec = get_decision(session, actor, key)
    inst = _scope_for_new(session, actor, dec, institution_id)
    current = _open_activation(session, dec.id, inst)
    if current is None:
        raise InvalidTransition("没有生效版本，无法回滚", "There is no active version to roll back")
    prev = session.execute(select(DecisionActivation).where(
        DecisionActivation.decision_id == dec.id, DecisionActivation.institution_id == inst,
        DecisionActivation.ended_at.is_not(None), DecisionActivation.version_id != current.version_id)
        .order_by(DecisionActivation.id.desc())).scalars().first()
    if prev is None:
        raise InvalidTransition("没有可回滚的上一版本", "There is no previous version to roll back to")
    v = get_version(session, actor, prev.version_id, for_write=True)
    return _activate(session, actor, v, reason="rollback")


def retire_version(session: Session, actor: Principal, version_id: int) -> DecisionVersion:
    v = get_version(session, actor, version_id, for_write=True)
    _transition(v, ("active",), "retired")
    current = _open_activation(session, v.decision_id, v.institution_id)
    if current is not None:
        current.ended_at = utcnow()
    resolve.bump_generation(session)
    audit.record(session, action="decision.version.retire", object_type="decision_version", object_id=v.id,
                 changes={"status": ["active", "retired"]}, actor=actor)
    engine.invalidate()
    return v


def active_version(session: Session, actor: Principal, key: str, institution_id: int | None = None) -> DecisionVersion | None:
    from zhanye.decisions.errors import NoActiveVersion

    get_decision(session, actor, key)
    try:
        choice = resolve.active(session, resolve.meta(session, key), institution_id)
    except NoActiveVersion:
        return None
    return session.get(DecisionVersion, choice.version_id)


# --- champion / challenger ---------------------------------------------------------------------

def set_route(session: Session, actor: Principal, *, key: str, challenger_version_id: int, mode: str,
              percent: int = 0, sticky_field: str = "customer_id") -> DecisionRoute:
    dec = get_decision(session, actor, key)
    v = get_version(session, actor, challenger_version_id, for_write=True)
    errors = []
    if v.decision_id != dec.id:
        errors.append(FieldError(["challenger_version_id"], "版本不属于该决策", "the version is of another decision"))
    if v.status != "approved":
        errors.append(FieldError(["challenger_version_id"], "挑战者须为已审核未上线的版本",
                                 "the challenger must be an approved, not active, version", "status"))
    if mode not in ("split", "shadow"):
        errors.append(FieldError(["mode"], "模式只能是 split 或 shadow", "mode must be split or shadow"))
    if not 0 <= percent <= 100 or (mode == "split" and percent == 0):
        errors.append(FieldError(["percent"], "比例须在 1-100 之间", "percent must be 1-100", "range"))
    if errors:
        raise ValidationFailed("挑战者配置有误", "The challenger setting is not valid", errors=errors)
    route = session.execute(select(DecisionRoute).where(
        DecisionRoute.decision_id == dec.id, DecisionRoute.institution_id == v.institution_id)).scalar_one_or_none()
    if route is None:
        route = DecisionRoute(decision_id=dec.id, institution_id=v.institution_id, challenger_version_id=v.id,
                              mode=mode, percent=percent, sticky_field=sticky_field)
        session.add(route)
    else:
        route.challenger_version_id, route.mode, route.percent = v.id, mode, percent
        route.sticky_field, route.enabled = sticky_field, True
    resolve.bump_generation(session)
    session.flush()
    audit.record(session, action="decision.route.set", object_type="decision_route", object_id=route.id,
                 changes={"key": key, "challenger_version_id": v.id, "mode": mode, "percent": percent,
                          "sticky_field": sticky_field}, actor=actor)
    engine.invalidate()
    return route


def clear_route(session: Session, actor: Principal, *, key: str, institution_id: int | None = None) -> None:
    dec = get_decision(session, actor, key)
    inst = _scope_for_new(session, actor, dec, institution_id)
    route = session.execute(select(DecisionRoute).where(
        DecisionRoute.decision_id == dec.id, DecisionRoute.institution_id == inst)).scalar_one_or_none()
    if route is None:
        raise DecisionNotFound("没有挑战者配置", "There is no challenger route")
    session.delete(route)
    resolve.bump_generation(session)
    audit.record(session, action="decision.route.clear", object_type="decision_route", object_id=route.id,
                 changes={"key": key}, actor=actor)
    engine.invalidate()


def get_route(session: Session, actor: Principal, key: str, institution_id: int | None = None) -> DecisionRoute | None:
    dec = get_decision(session, actor, key)
    inst = institution_id or resolve.head_office_id(session)
    if inst not in visible_institutions(session, actor):
        raise DecisionNotFound("机构不存在", "The institution does not exist")
    return session.execute(select(DecisionRoute).where(
        DecisionRoute.decision_id == dec.id, DecisionRoute.institution_id == inst)).scalar_one_or_none()
