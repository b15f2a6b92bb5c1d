"""Pydantic input/output of the decision API (inputs refuse unknown fields)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhanye.core.text import FreeText, Name

DecisionKey = Annotated[str, StringConstraints(min_length=3, max_length=64,
                                               pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionCreate(_In):
    key: DecisionKey
    name: Name
    description: FreeText = ""
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    branch_override: bool = False


class VersionCreate(_In):
    content: dict[str, Any] | str = Field(description="JDM graph (object or JSON text)")
    institution_id: int | None = None
    change_note: FreeText = ""


class VersionContent(_In):
    content: dict[str, Any] | str


class SubmitIn(_In):
    change_note: Annotated[FreeText, StringConstraints(min_length=1)]


class ReviewIn(_In):
    note: FreeText = ""


class RollbackIn(_In):
    institution_id: int | None = None


class SimulateIn(_In):
    facts: dict[str, Any]
    trace: bool = True


class EvaluateIn(_In):
    facts: dict[str, Any]
    caller: Annotated[str, StringConstraints(max_length=128)] | None = None
    institution_id: int | None = None
    trace: bool = False


class CaseIn(_In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    given: dict[str, Any]
    expect: dict[str, Any]
    match: Literal["partial", "exact"] = "partial"


class SuiteIn(_In):
    cases: list[CaseIn] = Field(max_length=5000)
    replace: bool = False


class RouteIn(_In):
    challenger_version_id: int
    mode: Literal["split", "shadow"]
    percent: int = Field(0, ge=0, le=100)
    sticky_field: Annotated[str, StringConstraints(min_length=1, max_length=64)] = "customer_id"


class RegressionIn(_In):
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = Field(100_000, ge=1, le=2_000_000)
    baseline_version_id: int | None = None


def decision_out(dec: Any, active: Any = None) -> dict[str, Any]:
    return {"id": dec.id, "key": dec.key, "name": dec.name, "description": dec.description,
            "input_schema": dec.input_schema, "output_schema": dec.output_schema,
            "branch_override": dec.branch_override,
            "active_version": version_out(active) if active is not None else None}


def version_out(v: Any, *, content: bool = False) -> dict[str, Any]:
    out = {"id": v.id, "decision_id": v.decision_id, "number": v.number, "institution_id": v.institution_id,
           "status": v.status, "content_hash": v.content_hash, "change_note": v.change_note,
           "author_id": v.author_id, "submitted_at": v.submitted_at, "approver_id": v.approver_id,
           "approved_at": v.approved_at, "review_note": v.review_note, "created_at": v.created_at,
           "updated_at": v.updated_at}
    if content:
        import json

        out["content"] = json.loads(v.content)
    return out


def record_out(r: Any, *, full: bool = True) -> dict[str, Any]:
    out = {"id": r.id, "key": r.decision_key, "version_id": r.version_id, "institution_id": r.institution_id,
           "role": r.role, "at": r.at, "caller": r.caller, "latency_us": r.latency_us,
           "output": r.output, "has_trace": r.trace is not None}
    if full:
        out.update(input=r.input, trace=r.trace, champion_output=r.champion_output)
    return out


def case_out(c: Any) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "given": c.given, "expect": c.expect, "match": c.match}
