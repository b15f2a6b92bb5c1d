"""Every built-in strategy is a valid JDM graph whose own test suite passes (no database)."""

from __future__ import annotations

import json

import pytest
import zen
from jsonschema import Draft202012Validator

from zhanye.decisions import jdm
from zhanye.decisions.strategies.builtin import STRATEGIES
from zhanye.decisions.suites import compare


@pytest.fixture(scope="module")
def engine():
    contents = {}
    for s in STRATEGIES:
        text, _ = jdm.parse_and_validate(s["graph"]())
        contents[s["key"]] = zen.ZenDecisionContent(text)
    return zen.ZenEngine({"loader": lambda key: contents[key]})


@pytest.mark.parametrize("strategy", STRATEGIES, ids=[s["key"] for s in STRATEGIES])
def test_suite_passes_and_output_matches_contract(engine, strategy):
    Draft202012Validator.check_schema(strategy["input"])
    inp, out = Draft202012Validator(strategy["input"]), Draft202012Validator(strategy["output"])
    assert strategy["cases"], "a built-in strategy ships with test cases"
    for name, given, expect in strategy["cases"]:
        assert inp.is_valid(given), (name, [e.message for e in inp.iter_errors(given)])
        actual = engine.evaluate(strategy["key"], given)["result"]
        assert out.is_valid(actual), (name, actual, [e.message for e in out.iter_errors(actual)])
        assert compare(expect, actual, "partial") == [], (name, json.dumps(actual, ensure_ascii=False))
