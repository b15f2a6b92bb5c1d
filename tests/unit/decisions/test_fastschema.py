"""The compiled fast schema check agrees with jsonschema on valid and invalid values."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from zhanye.decisions.fastschema import compile_schema
from zhanye.decisions.strategies.builtin import STRATEGIES

json_values = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**13) | st.floats(allow_nan=False)
                           | st.text(max_size=8), lambda c: st.lists(c, max_size=3) | st.dictionaries(
                               st.text(max_size=5), c, max_size=3), max_leaves=6)


def _variants(case: dict) -> list:
    out = [case]
    for k in case:
        for bad in (None, "x", -1, 1.5, True, [], {}, 10**14):
            v = copy.deepcopy(case)
            v[k] = bad
            out.append(v)
        v = copy.deepcopy(case)
        del v[k]
        out.append(v)
    out.append({**case, "unexpected": 1})
    return out


def test_builtin_schemas_agree_on_case_variants():
    for s in STRATEGIES:
        for schema in (s["input"], s["output"]):
            fast, slow = compile_schema(schema), Draft202012Validator(schema)
            assert fast is not None, s["key"]
            for _, given_, expect in s["cases"]:
                for value in _variants(given_) + _variants(expect):
                    assert fast(value) == slow.is_valid(value), (s["key"], value)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_agrees_with_jsonschema_on_arbitrary_values(value):
    for s in STRATEGIES[:4]:
        schema = s["input"]
        assert compile_schema(schema)(value) == Draft202012Validator(schema).is_valid(value)


def test_unsupported_keywords_fall_back():
    assert compile_schema({"type": "object", "oneOf": [{"type": "string"}]}) is None
    assert compile_schema({"type": "object", "additionalProperties": {"type": "string"}}) is None
