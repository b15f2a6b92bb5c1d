"""Evaluation: ``decide`` (production), ``simulate`` (any version, no record) and ``replay``.

``decide(session, key, facts, *, caller=None, institution_id=None, at=None, record="durable",
trace=False) -> DecisionResult``

- ``key``: the decision key, e.g. ``"loan.admission"``.
- ``facts``: a JSON object matching the decision's input schema. Every bad field is reported at
  once by ``InvalidFacts`` (422, ``errors[].field``); nothing is recorded then.
- ``caller``: a reference stored with the record, e.g. ``"loan_application:123"``.
- ``institution_id``: the institution on whose behalf the decision is taken (the application's
  branch); a branch override active for it or an ancestor wins over the head-office default.
  Default: the head office.
- ``at``: evaluate the version that was active at that moment (from the activation history);
  no challenger routing then. Default: now, with challenger routing.
- ``record``: ``"durable"`` (row added to the caller's session: commits with the caller's
  transaction), ``"buffered"`` (bulk-flushed by a background writer; see ``recording``) or
  ``"off"``.
- ``trace``: keep zen's node-by-node trace (matched rule per table) in the record and the result.
  Without it the record is marked for trace on demand: ``replay`` recomputes the trace.

Returns ``DecisionResult(key, version_id, version_number, output, role, record_id, latency_us,
trace)``; ``role`` is ``champion`` or ``challenger`` (the version whose output is returned). In
shadow mode the challenger is evaluated and recorded too (role ``shadow``) but never returned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import FieldError
from zhanye.decisions import engine, recording, resolve
from zhanye.decisions.errors import DecisionNotFound, EvaluationFailed, InvalidFacts, NoActiveVersion
from zhanye.decisions.models import DecisionActivation, DecisionRecord, DecisionVersion

RECORD_MODES = ("durable", "buffered", "off")


@dataclass
class DecisionResult:
    key: str
    version_id: int
    version_number: int
    output: dict[str, Any]
    role: str = "champion"
    record_id: int | None = None
    latency_us: int = 0
    trace: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "version_id": self.version_id, "version_number": self.version_number,
                "output": self.output, "role": self.role, "record_id": self.record_id,
                "latency_us": self.latency_us, "trace": self.trace}


_TYPE_ZH = {"integer": "整数", "number": "数字", "string": "字符串", "boolean": "布尔值", "object": "对象",
            "array": "数组", "null": "空值"}


def _field_error(err: Any) -> FieldError:
    loc: list[str | int] = list(err.absolute_path)
    v, arg = err.validator, err.validator_value
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else "?"
        return FieldError([*loc, missing], "缺少必填字段", "is required", "missing")
    if v == "type":
        want = arg if isinstance(arg, str) else "/".join(arg)
        zh = "/".join(_TYPE_ZH.get(t, t) for t in ([arg] if isinstance(arg, str) else arg))
        return FieldError(loc, f"类型应为{zh}", f"must be of type {want}", "type")
    if v in ("minimum", "exclusiveMinimum"):
        return FieldError(loc, f"不能小于{'或等于' if v == 'exclusiveMinimum' else ''} {arg}",
                          f"must be {'>' if v == 'exclusiveMinimum' else '>='} {arg}", "range")
    if v in ("maximum", "exclusiveMaximum"):
        return FieldError(loc, f"不能大于{'或等于' if v == 'exclusiveMaximum' else ''} {arg}",
                          f"must be {'<' if v == 'exclusiveMaximum' else '<='} {arg}", "range")
    if v == "enum":
        return FieldError(loc, f"取值须为 {arg} 之一", f"must be one of {arg}", "enum")
    if v == "additionalProperties":
        return FieldError(loc, f"含有不允许的字段: {err.message}", err.message, "extra")
    return FieldError(loc, f"取值无效: {err.message}", err.message, v)


def validate_facts(meta: resolve.DecisionMeta, facts: Any) -> None:
    fast = meta.input_ok
    if fast is not None and fast(facts):
        return
    validator = meta.input_validator
    if validator.is_valid(facts):
        return
    errors = sorted((_field_error(e) for e in validator.iter_errors(facts)), key=lambda f: [str(p) for p in f.loc])
    fields = ", ".join(".".join(str(p) for p in f.loc) or "(root)" for f in errors)
    raise InvalidFacts(f"决策 {meta.key} 的输入有 {len(errors)} 处错误: {fields}",
                       f"The input of {meta.key} has {len(errors)} error(s): {fields}", errors=errors)


def check_output(meta: resolve.DecisionMeta, output: Any) -> None:
    fast = meta.output_ok
    if fast is not None and fast(output):
        return
    if not meta.output_validator.is_valid(output):
        errors = [_field_error(e) for e in meta.output_validator.iter_errors(output)]
        raise EvaluationFailed(f"决策 {meta.key} 的输出不符合输出模式", f"The output of {meta.key} breaks its output schema",
                               errors=errors)


def _bucket(key: str, value: Any) -> int:
    return int(hashlib.blake2b(f"{key}:{value}".encode(), digest_size=4).hexdigest(), 16) % 100


def _version_at(session: Session, meta: resolve.DecisionMeta, institution_id: int | None,
                at: dt.datetime) -> tuple[int, int, int]:
    inst = institution_id or resolve.head_office_id(session)
    scopes = resolve.chain(session, inst) if meta.branch_override else (resolve.head_office_id(session),)
    for scope_id in scopes:
        act = session.execute(select(DecisionActivation).where(
            DecisionActivation.decision_id == meta.id, DecisionActivation.institution_id == scope_id,
            DecisionActivation.started_at <= at,
            (DecisionActivation.ended_at.is_(None)) | (DecisionActivation.ended_at > at))
            .order_by(DecisionActivation.id.desc())).scalars().first()
        if act is not None:
            number = session.execute(select(DecisionVersion.number).where(
                DecisionVersion.id == act.version_id)).scalar_one()
            resolve.ensure_loaded(session, act.version_id)
            return scope_id, act.version_id, number
    raise NoActiveVersion(f"决策 {meta.key} 在 {at.isoformat()} 没有生效版本",
                          f"The decision {meta.key} had no active version at {at.isoformat()}")


def _row(key: str, version_id: int, institution_id: int, role: str, caller: str | None, facts: dict[str, Any],
         output: dict[str, Any], trace: dict[str, Any] | None, latency_us: int,
         champion_output: dict[str, Any] | None = None) -> dict[str, Any]:
    from zhanye.core.db import utcnow

    return {"decision_key": key, "version_id": version_id, "institution_id": institution_id, "role": role,
            "at": utcnow(), "caller": caller, "input": facts, "output": output, "trace": trace,
            "latency_us": latency_us, "champion_output": champion_output}


def decide(session: Session, key: str, facts: dict[str, Any], *, caller: str | None = None,
           institution_id: int | None = None, at: dt.datetime | None = None, record: str = "durable",
           trace: bool = False) -> DecisionResult:
    started = time.perf_counter()
    if record not in RECORD_MODES:
        raise ValueError(f"record must be one of {RECORD_MODES}")
    resolve.refresh_if_stale(session)
    meta = resolve.meta(session, key)
    validate_facts(meta, facts)
    route = None
    if at is None:
        choice = resolve.active(session, meta, institution_id)
        scope_id, version_id, number, route = choice.scope_id, choice.version_id, choice.version_number, choice.route
    else:
        scope_id, version_id, number = _version_at(session, meta, institution_id, at)
    role = "champion"
    if route is not None and route.mode == "split":
        sticky = facts.get(route.sticky_field, caller) if isinstance(facts, dict) else caller
        if sticky is not None and _bucket(key, sticky) < route.percent:
            version_id, number, role = route.version_id, route.version_number, "challenger"
    response = engine.evaluate(engine.version_key(version_id), facts, trace=trace)
    output = response["result"]
    check_output(meta, output)
    latency_us = int((time.perf_counter() - started) * 1_000_000)
    result = DecisionResult(key, version_id, number, output, role, None, latency_us,
                            response.get("trace") if trace else None)
    if record != "off":
        owner = institution_id or resolve.head_office_id(session)  # whose decision it is (record scope)
        rows = [_row(key, version_id, owner, role, caller, facts, output, result.trace, latency_us)]
        if route is not None and route.mode == "shadow":
            shadow_started = time.perf_counter()
            try:
                shadow_out: dict[str, Any] = engine.evaluate(engine.version_key(route.version_id), facts)["result"]
            except EvaluationFailed as exc:
                shadow_out = {"error": str(exc)}
            rows.append(_row(key, route.version_id, owner, "shadow", caller, facts, shadow_out, None,
                             int((time.perf_counter() - shadow_started) * 1_000_000), champion_output=output))
        if record == "durable":
            result.record_id = recording.insert_durable(session, rows)[0]
        else:
            rec = recording.recorder_for(session)
            for r in rows:
                rec.add(r)
    return result


def simulate(session: Session, actor: Principal, *, version_id: int, facts: dict[str, Any],
             trace: bool = True) -> DecisionResult:
    """Evaluate any version visible to the actor (drafts included) without recording."""
    from zhanye.decisions import service

    v = service.get_version(session, actor, version_id)
    dec = service.get_decision_by_id(session, v.decision_id)
    meta = resolve.meta(session, dec.key)
    validate_facts(meta, facts)
    started = time.perf_counter()
    resolve.ensure_loaded(session, v.id)
    response = engine.evaluate(engine.version_key(v.id), facts, trace=trace)
    return DecisionResult(dec.key, v.id, v.number, response["result"], "simulation", None,
                          int((time.perf_counter() - started) * 1_000_000), response.get("trace"))


def get_record(session: Session, actor: Principal, record_id: int) -> DecisionRecord:
    rec = session.get(DecisionRecord, record_id)
    if rec is None or rec.institution_id not in actor.scope_ids:
        raise DecisionNotFound("决策记录不存在", "The decision record does not exist")
    return rec


def replay(session: Session, actor: Principal, *, record_id: int) -> dict[str, Any]:
    """Re-evaluate a recorded decision on the same version with the trace; say if it matches."""
    rec = get_record(session, actor, record_id)
    resolve.ensure_loaded(session, rec.version_id)
    response = engine.evaluate(engine.version_key(rec.version_id), rec.input, trace=True)
    return {"record_id": rec.id, "version_id": rec.version_id, "output": response["result"],
            "recorded_output": rec.output, "same": response["result"] == rec.output,
            "trace": response.get("trace")}
