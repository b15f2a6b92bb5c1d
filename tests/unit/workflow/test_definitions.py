"""Definition parsing: every bundled definition is valid; errors are reported per YAML line."""

from __future__ import annotations

import pytest

from zhanye.workflow import definitions
from zhanye.workflow.definitions import DefinitionInvalid, condition_holds, parse


def test_every_bundled_definition_parses() -> None:
    files = sorted(definitions.BUNDLED_DIR.glob("*.yaml"))
    assert len(files) >= 21
    keys = {parse(f.read_text(encoding="utf-8")).key for f in files}
    assert {"loan.approval", "loan.overdue_inspection", "oa.project_initiation", "oa.data_extract_complex"} <= keys


def test_the_published_sla_table_is_shipped() -> None:
    expected = {"oa.project_initiation": "64.5", "oa.info_release": "15", "oa.fixed_asset_purchase": "45.5",
                "oa.central_procurement": "84", "oa.large_finance": "106", "oa.unionpay_error": "15",
                "oa.disbursement": "8", "oa.data_change": "15", "oa.data_extract_simple": "21.5",
                "oa.data_extract_complex": "29", "oa.retail_loan_special": "30.5", "oa.acquiring_special_rate": "18",
                "oa.points_adjustment": "22", "oa.corporate_loan_rate": "17", "oa.corporate_special": "25",
                "oa.ebank_special": "20"}
    for key, hours in expected.items():
        spec = parse((definitions.BUNDLED_DIR / f"{key}.yaml").read_text(encoding="utf-8"))
        assert str(spec.sla_hours) == hours, key
        assert sum(s.sla_hours or 0 for s in spec.steps) == spec.sla_hours


def test_loan_approval_routes_by_amount() -> None:
    spec = parse((definitions.BUNDLED_DIR / "loan.approval.yaml").read_text(encoding="utf-8"))

    def route(amount_fen: int) -> list[str]:
        return [s.id for s in spec.steps if condition_holds(s.when, {"amount_fen": amount_fen})]

    assert route(5_000_000) == ["branch_manager"]
    assert route(5_000_001) == ["joint_review"]
    assert route(30_000_000) == ["joint_review"]
    assert route(30_000_001) == ["credit_committee"]
    committee = spec.step("credit_committee")
    assert (committee.kind, committee.need, len(committee.branches)) == ("quorum", 2, 3)
    joint = spec.step("joint_review")
    assert (joint.kind, joint.need, [b.level for b in joint.branches]) == ("parallel", 2, ["branch", "head_office"])


BAD = """key: test.bad
name: 坏的
steps:
  - id: one
    name: 一
    role: nobody
    level: sub_branch
  - id: one
    name: 二
    role: approver
    level: planet
  - id: three
    name: 三
    role: approver
    level: head_office
    members: 3
    quorum: 5
    colour: red
"""


def test_errors_are_reported_per_line() -> None:
    with pytest.raises(DefinitionInvalid) as err:
        parse(BAD)
    lines = sorted({int(e.loc[1]) for e in err.value.errors})
    messages = " | ".join(e.message_en for e in err.value.errors)
    assert 6 in lines  # unknown role nobody
    assert 11 in lines  # level planet
    assert 17 in lines  # quorum 5 > members 3 (semantic) or the unknown field colour on line 18
    assert 18 in lines or "colour" in messages
    assert all(e.loc[0] == "line" for e in err.value.errors)


def test_semantic_errors_after_a_valid_shape() -> None:
    src = ("key: test.sem\nname: 语义\nsteps:\n"
           "  - {id: a, name: 甲, role: nobody, level: sub_branch}\n"
           "  - {id: a, name: 乙, role: approver, level: head_office, members: 3, quorum: 4}\n")
    with pytest.raises(DefinitionInvalid) as err:
        parse(src)
    by_line = {int(e.loc[1]): e.message_en for e in err.value.errors}
    assert "unknown role nobody" in by_line[4]
    assert "duplicate step id a" in by_line[5] or "quorum" in by_line[5]


@pytest.mark.parametrize(("source", "line"), [
    ("key: x\nname: [unclosed\n", 3),
    ("key: a\nkey: b\nname: n\nsteps: []\n", 2),
    ("", 1),
])
def test_syntax_and_duplicate_keys(source: str, line: int) -> None:
    with pytest.raises(DefinitionInvalid) as err:
        parse(source)
    assert int(err.value.errors[0].loc[1]) == line


def test_conditions() -> None:
    assert condition_holds({"a": {"gt": 1, "lte": 3}}, {"a": 3})
    assert not condition_holds({"a": {"gt": 1, "lte": 3}}, {"a": 4})
    assert not condition_holds({"a": {"gt": 1}}, {})
    assert not condition_holds({"a": {"gt": 1}}, {"a": "5"})  # strings never compare as numbers
    assert condition_holds({"p": {"in": ["x", "y"]}}, {"p": "x"})
    assert condition_holds({"p": {"not_in": ["x"]}, "q": {"eq": True}}, {"p": "z", "q": True})
