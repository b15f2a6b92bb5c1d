"""Process definitions: YAML (or JSON, which is YAML) validated on load with errors per line,
stored as immutable versions. A running instance keeps its version; a new version applies to new
instances only.

A definition is a list of steps run in order; each step may carry a ``when`` condition on the
subject's facts (steps whose condition is false are skipped), which is how amount-based routing
is written. A step is one of:

- single:   ``role`` + ``level`` (one task for the role at that institution until claimed)
- parallel: ``parallel: [{role, level}, ...]`` with ``mode: all`` (every branch approves) or
            ``any`` (the first approval decides)
- quorum:   ``role`` + ``level`` + ``members: N`` + ``quorum: Q`` (a committee of N seats)

``level`` resolves the institution from the instance's institution: ``origin`` (itself),
``sub_branch``, ``branch``, ``head_office``. When nobody holds the role there, the task goes up
the tree to the nearest institution where someone does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.errors import FieldError, NotFound, ValidationFailed
from zhanye.org.permissions import ROLES
from zhanye.workflow.models import ProcessDefinition

BUNDLED_DIR = Path(__file__).parent / "definitions"
LEVELS = ("origin", "sub_branch", "branch", "head_office")
OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in")
MAX_SOURCE_CHARS = 100_000

_HOURS = {"type": "number", "exclusiveMinimum": 0, "maximum": 10000}
_CONDITION = {
    "type": "object",
    "minProperties": 1,
    "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,63}$"},
    "additionalProperties": {
        "type": "object", "minProperties": 1, "additionalProperties": False,
        "properties": {op: ({"type": "array", "items": {"type": ["string", "number", "boolean"]}}
                            if op in ("in", "not_in") else {"type": ["string", "number", "boolean"]})
                       for op in OPS},
    },
}
_ASSIGN = {"role": {"type": "string"}, "level": {"enum": list(LEVELS)}}
_ADJUSTABLE = {
    "type": "object",
    "propertyNames": {"pattern": "^[a-z][a-z0-9_]{0,63}$"},
    "additionalProperties": {
        "type": "object", "additionalProperties": False,
        "properties": {"type": {"enum": ["integer", "decimal", "string"]}, "min": {"type": ["number", "string"]},
                       "max": {"type": ["number", "string"]}, "max_fact": {"type": "string"},
                       "min_fact": {"type": "string"}},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key", "name", "steps"],
    "properties": {
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$", "maxLength": 64},
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "name_en": {"type": "string", "maxLength": 100},
        "owner": {"type": "string", "maxLength": 100},
        "description": {"type": "string", "maxLength": 2000},
        "subject_type": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "maxLength": 64},
        "manual_start": {"type": "boolean"},
        "sla_hours": _HOURS,
        "yellow_share": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "steps": {
            "type": "array", "minItems": 1, "maxItems": 50,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                    "name_en": {"type": "string", "maxLength": 100},
                    "when": _CONDITION,
                    "sla_hours": _HOURS,
                    **_ASSIGN,
                    "mode": {"enum": ["all", "any"]},
                    "parallel": {"type": "array", "minItems": 2, "maxItems": 10, "items": {
                        "type": "object", "additionalProperties": False, "required": ["role", "level"],
                        "properties": {**_ASSIGN, "name": {"type": "string", "maxLength": 100}}}},
                    "members": {"type": "integer", "minimum": 2, "maximum": 15},
                    "quorum": {"type": "integer", "minimum": 1, "maximum": 15},
                    "adjustable": _ADJUSTABLE,
                },
            },
        },
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


class DefinitionInvalid(ValidationFailed):
    code = "definition_invalid"
    title_zh = "流程定义有误"
    title_en = "The process definition is not valid"


class ProcessNotFound(NotFound):
    code = "process_not_found"
    title_zh = "流程不存在"
    title_en = "No such process"


@dataclass(frozen=True)
class Branch:
    role: str
    level: str
    name: str = ""


@dataclass(frozen=True)
class Step:
    id: str
    name: str
    name_en: str
    kind: str  # single | parallel | quorum
    branches: tuple[Branch, ...]  # the assignment of each task (a quorum repeats one branch)
    need: int
    when: dict[str, dict[str, Any]] = field(default_factory=dict)
    sla_hours: Decimal | None = None
    adjustable: dict[str, dict[str, Any]] = field(default_factory=dict)
    mode: str = "all"


@dataclass(frozen=True)
class Spec:
    key: str
    name: str
    name_en: str
    owner: str
    description: str
    subject_type: str | None
    manual_start: bool
    sla_hours: Decimal | None
    yellow_share: Decimal
    steps: tuple[Step, ...]

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def index_of(self, step_id: str) -> int:
        return [s.id for s in self.steps].index(step_id)

    def condition_facts(self) -> set[str]:
        return {fact for s in self.steps for fact in s.when}


# --- parsing with line numbers --------------------------------------------------------------------

def _line_map(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int],
              errors: list[FieldError]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                line = key_node.start_mark.line + 1
                errors.append(FieldError(["line", line], f"第 {line} 行：键 {key} 重复",
                                         f"line {line}: duplicate key {key}", "duplicate"))
            seen.add(key)
            out[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), out, errors)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), out, errors)


def _line_for(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _err(lines: dict[tuple[Any, ...], int], path: tuple[Any, ...], zh: str, en: str) -> FieldError:
    line = _line_for(lines, path)
    where = ".".join(str(p) for p in path) or "(root)"
    return FieldError(["line", line], f"第 {line} 行（{where}）：{zh}", f"line {line} ({where}): {en}")


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def parse(source: str) -> Spec:
    """Parse and validate a definition; raise DefinitionInvalid listing every error by line."""
    if len(source) > MAX_SOURCE_CHARS:
        raise DefinitionInvalid("流程定义过长", "The definition is too long",
                                errors=[FieldError(["line", 1], "流程定义过长", "The definition is too long")])
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionInvalid(f"第 {line} 行 YAML 语法错误", f"line {line}: YAML syntax error",
                                errors=[FieldError(["line", line], f"第 {line} 行 YAML 语法错误：{problem}",
                                                   f"line {line}: YAML syntax error: {problem}", "syntax")]) from None
    if node is None:
        raise DefinitionInvalid("流程定义为空", "The definition is empty",
                                errors=[FieldError(["line", 1], "流程定义为空", "The definition is empty")])
    lines: dict[tuple[Any, ...], int] = {}
    errors: list[FieldError] = []
    _line_map(node, (), lines, errors)
    for e in sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        path = tuple(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            extra = sorted(set(e.instance) - set(e.schema.get("properties", {})))
            path = (*path, extra[0]) if extra else path
        errors.append(_err(lines, path, _schema_zh(e), e.message))
    errors.extend(_semantic_errors(data, lines))
    if errors:
        errors.sort(key=lambda e: int(e.loc[1]))
        first = errors[0]
        raise DefinitionInvalid(f"流程定义有 {len(errors)} 处错误，首处：{first.message_zh}",
                                f"{len(errors)} error(s) in the definition; first: {first.message_en}", errors=errors)
    return _to_spec(data)


def _schema_zh(error: jsonschema.ValidationError) -> str:
    return {
        "required": "缺少必填项", "additionalProperties": "不允许的字段", "type": "类型不正确",
        "enum": "取值不在允许范围内", "pattern": "格式不正确", "minItems": "条目过少", "maxItems": "条目过多",
        "minimum": "数值过小", "maximum": "数值过大", "exclusiveMinimum": "数值过小",
        "exclusiveMaximum": "数值过大", "minLength": "内容过短", "maxLength": "内容过长",
        "minProperties": "不能为空", "propertyNames": "名称格式不正确",
    }.get(str(error.validator), "取值无效") + f"（{error.message}）"


def _semantic_errors(data: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> list[FieldError]:
    errors: list[FieldError] = []
    seen: set[str] = set()
    steps = data.get("steps") if isinstance(data, dict) else None
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        at = ("steps", i)
        if not isinstance(step, dict) or not isinstance(step.get("id"), str):
            continue
        if step["id"] in seen:
            errors.append(_err(lines, (*at, "id"), f"步骤标识 {step['id']} 重复", f"duplicate step id {step['id']}"))
        seen.add(step["id"])
        has_parallel, has_members = "parallel" in step, "members" in step
        if has_parallel and has_members:
            errors.append(_err(lines, at, "parallel 与 members 不能同时出现", "parallel and members exclude each other"))
            continue
        if has_parallel:
            for key in ("role", "level", "quorum"):
                if key in step:
                    errors.append(_err(lines, (*at, key), f"并行步骤的 {key} 应写在各分支中",
                                       f"{key} belongs in each parallel branch"))
            for j, br in enumerate(step["parallel"] if isinstance(step["parallel"], list) else []):
                if isinstance(br, dict) and isinstance(br.get("role"), str) and br["role"] not in ROLES:
                    errors.append(_err(lines, (*at, "parallel", j, "role"), f"未知角色 {br['role']}",
                                       f"unknown role {br['role']}"))
        else:
            for key in ("role", "level"):
                if key not in step:
                    errors.append(_err(lines, at, f"缺少 {key}", f"{key} is required"))
            if isinstance(step.get("role"), str) and step["role"] not in ROLES:
                errors.append(_err(lines, (*at, "role"), f"未知角色 {step['role']}", f"unknown role {step['role']}"))
            if "mode" in step:
                errors.append(_err(lines, (*at, "mode"), "mode 只用于并行步骤", "mode applies to parallel steps only"))
            if has_members != ("quorum" in step):
                errors.append(_err(lines, at, "委员会步骤须同时给出 members 与 quorum",
                                   "a committee step needs both members and quorum"))
            elif has_members and isinstance(step["quorum"], int) and isinstance(step["members"], int) \
                    and step["quorum"] > step["members"]:
                errors.append(_err(lines, (*at, "quorum"), "法定人数不能多于委员人数",
                                   "quorum cannot exceed members"))
        when = step.get("when")
        for fact, ops in (when.items() if isinstance(when, dict) else []):
            for op, value in (ops.items() if isinstance(ops, dict) else []):
                if op in ("lt", "lte", "gt", "gte") and (isinstance(value, bool) or not isinstance(value, int | float)):
                    errors.append(_err(lines, (*at, "when", fact, op), "比较运算须用数字", "comparisons need a number"))
        adjustable = step.get("adjustable")
        for name, rule in (adjustable.items() if isinstance(adjustable, dict) else []):
            for bound in ("min", "max"):
                if isinstance(rule, dict) and bound in rule and _decimal(rule[bound]) is None:
                    errors.append(_err(lines, (*at, "adjustable", name, bound), "须为数字", "must be a number"))
    return errors


def _to_spec(data: dict[str, Any]) -> Spec:
    steps = []
    for s in data["steps"]:
        if "parallel" in s:
            branches = tuple(Branch(b["role"], b["level"], b.get("name", "")) for b in s["parallel"])
            mode = s.get("mode", "all")
            kind, need = "parallel", (len(branches) if mode == "all" else 1)
        elif "members" in s:
            branches = tuple(Branch(s["role"], s["level"]) for _ in range(s["members"]))
            kind, need, mode = "quorum", s["quorum"], "quorum"
        else:
            branches, kind, need, mode = (Branch(s["role"], s["level"]),), "single", 1, "all"
        steps.append(Step(id=s["id"], name=s["name"], name_en=s.get("name_en", s["name"]), kind=kind,
                          branches=branches, need=need, when=s.get("when") or {},
                          sla_hours=_decimal(s.get("sla_hours")), adjustable=s.get("adjustable") or {}, mode=mode))
    return Spec(key=data["key"], name=data["name"], name_en=data.get("name_en", data["name"]),
                owner=data.get("owner", ""), description=data.get("description", ""),
                subject_type=data.get("subject_type"), manual_start=bool(data.get("manual_start", False)),
                sla_hours=_decimal(data.get("sla_hours")),
                yellow_share=_decimal(data.get("yellow_share", "0.8")) or Decimal("0.8"), steps=tuple(steps))


def spec_to_json(source: str) -> str:
    return json.dumps(yaml.safe_load(source), ensure_ascii=False, sort_keys=True, default=str)


def spec_of(definition: ProcessDefinition) -> Spec:
    return _to_spec(json.loads(definition.spec))


# --- conditions -------------------------------------------------------------------------------------

def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if op == "in":
        return actual in expected
    if op == "not_in":
        return actual not in expected
    if isinstance(actual, bool) or not isinstance(actual, int | float | Decimal):
        return False
    a, e = Decimal(str(actual)), Decimal(str(expected))
    return {"lt": a < e, "lte": a <= e, "gt": a > e, "gte": a >= e}[op]


def condition_holds(when: dict[str, dict[str, Any]], facts: dict[str, Any]) -> bool:
    """Every fact's every operator must hold (AND); a missing fact makes the condition false."""
    for fact, ops in when.items():
        if fact not in facts:
            return False
        for op, expected in ops.items():
            if not _compare(op, facts[fact], expected):
                return False
    return True


def describe_condition(when: dict[str, dict[str, Any]]) -> str:
    symbols = {"eq": "=", "ne": "≠", "lt": "<", "lte": "≤", "gt": ">", "gte": "≥", "in": "∈", "not_in": "∉"}
    return " ∧ ".join(f"{fact} {symbols[op]} {value}" for fact, ops in when.items() for op, value in ops.items())


# --- storage ----------------------------------------------------------------------------------------

def _checksum(source: str) -> str:
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()


def publish_definition(session: Session, actor: Principal, source: str) -> tuple[ProcessDefinition, bool]:
    """Validate and store ``source`` as the next version of its key. Returns (definition, created):
    an unchanged source returns the current version without a new one."""
    spec = parse(source)
    checksum = _checksum(source)
    current = current_definition(session, spec.key, missing_ok=True)
    if current is not None and current.checksum == checksum:
        return current, False
    last = session.execute(select(func.max(ProcessDefinition.version))
                           .where(ProcessDefinition.key == spec.key)).scalar_one()
    session.execute(update(ProcessDefinition).where(ProcessDefinition.key == spec.key)
                    .values(is_current=False))
    sla_seconds = int(spec.sla_hours * 3600) if spec.sla_hours is not None else None
    definition = ProcessDefinition(
        key=spec.key, version=(last or 0) + 1, name_zh=spec.name, name_en=spec.name_en, owner=spec.owner,
        sla_seconds=sla_seconds, source=source, spec=spec_to_json(source), checksum=checksum, is_current=True,
        created_by=actor.username)
    session.add(definition)
    session.flush()
    audit.record(session, action="workflow.definition.publish", object_type="workflow_definition",
                 object_id=definition.id, changes={"key": spec.key, "version": definition.version}, actor=actor)
    return definition, True


def current_definition(session: Session, key: str, *, missing_ok: bool = False) -> ProcessDefinition | None:
    found = session.execute(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                            ProcessDefinition.is_current.is_(True))).scalar_one_or_none()
    if found is None and not missing_ok:
        raise ProcessNotFound(f"流程 {key} 不存在", f"No process {key}")
    return found


def list_definitions(session: Session, actor: Principal) -> list[ProcessDefinition]:
    return list(session.execute(select(ProcessDefinition).where(ProcessDefinition.is_current.is_(True))
                                .order_by(ProcessDefinition.key)).scalars())


def definition_versions(session: Session, actor: Principal, key: str) -> list[ProcessDefinition]:
    rows = list(session.execute(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                .order_by(ProcessDefinition.version.desc())).scalars())
    if not rows:
        raise ProcessNotFound(f"流程 {key} 不存在", f"No process {key}")
    return rows


def get_definition(session: Session, actor: Principal, definition_id: int) -> ProcessDefinition:
    found = session.get(ProcessDefinition, definition_id)
    if found is None:
        raise ProcessNotFound("流程版本不存在", "No such process version")
    return found


def load_bundled(session: Session, actor: Principal, directory: Path = BUNDLED_DIR) -> list[ProcessDefinition]:
    """Publish every bundled YAML definition (unchanged ones keep their version)."""
    published = []
    for path in sorted(directory.glob("*.yaml")):
        definition, created = publish_definition(session, actor, path.read_text(encoding="utf-8"))
        if created:
            published.append(definition)
    return published
