"""Fixtures of the decision-engine integration tests: analyst principals and a fresh strategy."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from zhanye.decisions import service, suites
from zhanye.decisions.demo import analyst_principal
from zhanye.decisions.strategies.builder import chain, result, table
from zhanye.org.models import Institution, Staff

INPUT = {"type": "object", "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 1000},
                                          "customer_id": {"type": ["integer", "string"]}},
         "required": ["score"], "additionalProperties": False}
OUTPUT = {"type": "object", "properties": {"decision": {"enum": ["approve", "refer", "decline"]}},
          "required": ["decision"]}


def threshold_graph(cut: int = 600) -> dict[str, Any]:
    return chain(table("t", "Cut", [("Score", "score")], [("Decision", "decision")],
                       [[f">= {cut}", '"approve"'], [f">= {cut - 100}", '"refer"'], ["", '"decline"']]),
                 result([("decision", "decision")]))


def principal(session: Any, username: str) -> Any:
    staff = session.execute(select(Staff).where(Staff.username == username)).scalar_one()
    return analyst_principal(session, staff.id, username, staff.institution_id)


def institution_id(session: Any, code: str) -> int:
    return session.execute(select(Institution.id).where(Institution.code == code)).scalar_one()


@pytest.fixture()
def people(demo_db):  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work(write=False) as s:
        return {"maker": principal(s, "analyst"), "checker": principal(s, "analyst2"),
                "head": institution_id(s, "000"), "branch": institution_id(s, "100"),
                "sub": institution_id(s, "101")}


@pytest.fixture()
def strategy(demo_db, people):  # type: ignore[no-untyped-def]
    """A fresh decision ``t<random>.cut`` with a 2-case suite and version 1 active (cut 600)."""
    key = f"t{uuid.uuid4().hex[:10]}.cut"
    with demo_db.unit_of_work() as s:
        service.create_decision(s, people["maker"], key=key, name="测试阈值", input_schema=INPUT,
                                output_schema=OUTPUT, branch_override=True)
        suites.save_cases(s, people["maker"], key=key, cases=[
            {"name": "high approves", "given": {"score": 700}, "expect": {"decision": "approve"}},
            {"name": "low declines", "given": {"score": 100}, "expect": {"decision": "decline"}}])
        v = service.create_version(s, people["maker"], key=key, content=threshold_graph(600))
        service.submit_version(s, people["maker"], v.id, change_note="v1")
        service.approve_version(s, people["checker"], v.id)
        service.activate_version(s, people["checker"], v.id)
        return {"key": key, "v1": v.id}


def new_version(db: Any, people: dict[str, Any], key: str, cut: int, *, activate: bool = True,
                institution_id: int | None = None) -> int:
    with db.unit_of_work() as s:
        v = service.create_version(s, people["maker"], key=key, content=threshold_graph(cut),
                                   institution_id=institution_id)
        service.submit_version(s, people["maker"], v.id, change_note=f"cut {cut}")
        service.approve_version(s, people["checker"], v.id)
        if activate:
            service.activate_version(s, people["checker"], v.id)
        return v.id
