"""Test-suite CSV/Excel round trip and comparison rules."""

from __future__ import annotations

import pytest

from zhanye.decisions import suites
from zhanye.decisions.errors import InvalidSuite
from zhanye.decisions.models import DecisionTestCase

CASES = [DecisionTestCase(name="a", match="partial", given={"age": 30, "flag": True, "name": "35", "nested": {"x": 1}},
                          expect={"decision": "approve", "reasons": []}),
         DecisionTestCase(name="b", match="exact", given={"age": 17}, expect={"decision": "decline"})]


def _as_dicts(cases):
    return [{"name": c.name, "match": c.match, "given": c.given, "expect": c.expect} for c in cases]


def test_csv_round_trip():
    text = suites.export_csv(CASES)
    assert text.splitlines()[0] == "name,match,in.age,in.flag,in.name,in.nested.x,out.decision,out.reasons"
    assert suites.parse_upload("cases.csv", text.encode()) == _as_dicts(CASES)


def test_xlsx_round_trip():
    data = suites.export_xlsx(CASES)
    assert suites.parse_upload("cases.xlsx", data) == _as_dicts(CASES)


def test_bad_header_is_refused():
    with pytest.raises(InvalidSuite) as info:
        suites.parse_upload("c.csv", b"name,age,out.decision\nx,1,approve\n")
    assert info.value.errors[0].loc == ["header", "age"]


def test_compare_partial_and_exact():
    assert suites.compare({"a": 1}, {"a": 1, "b": 2}, "partial") == []
    assert suites.compare({"a": 1}, {"a": 1, "b": 2}, "exact")[0]["field"] == "b"
    assert suites.compare({"a": True}, {"a": 1}, "partial")  # a boolean is not a number
    assert suites.compare({"p": {"x": 1}}, {"p": {"x": 2, "y": 3}}, "partial") == [
        {"field": "p.x", "expected": 1, "actual": 2}]
