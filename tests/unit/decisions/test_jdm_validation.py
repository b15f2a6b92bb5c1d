"""A malformed JDM upload is refused with a clear error naming the problem."""

from __future__ import annotations

import copy
import json

import pytest

from zhanye.decisions import jdm
from zhanye.decisions.errors import InvalidModel
from zhanye.decisions.strategies.builder import chain, expression, table

GOOD = chain(table("t", "T", [("Age", "age")], [("D", "decision")], [["< 18", '"decline"'], ["", '"approve"']]),
             expression("x", "X", [("double", "age * 2")]))


def _problems(raw):
    with pytest.raises(InvalidModel) as info:
        jdm.parse_and_validate(raw)
    return [(".".join(map(str, e.loc)), e.type, e.message_en) for e in info.value.errors]


def test_good_graph_passes_and_is_canonical():
    text, graph = jdm.parse_and_validate(json.dumps(GOOD))
    assert json.loads(text) == graph and len(graph["nodes"]) == 4


def test_not_json():
    assert _problems("{nodes: [")[0][1] == "json"


def test_not_a_graph():
    assert _problems("[1, 2]")[0][1] == "shape"


def test_unknown_node_type():
    g = copy.deepcopy(GOOD)
    g["nodes"][1]["type"] = "magicNode"
    loc, kind, msg = _problems(g)[0]
    assert (loc, kind) == ("content.nodes.1.type", "node_type") and "magicNode" in msg


def test_cycle_is_named():
    g = copy.deepcopy(GOOD)
    g["edges"].append({"id": "back", "sourceId": "x", "targetId": "t", "type": "edge"})
    loc, kind, msg = _problems(g)[0]
    assert kind == "cycle" and "t -> x -> t" in msg


def test_expression_that_does_not_compile():
    g = copy.deepcopy(GOOD)
    g["nodes"][2]["content"]["expressions"][0]["value"] = "age * * 2"
    loc, kind, _ = _problems(g)[0]
    assert (loc, kind) == ("content.nodes.2.content.expressions.0.value", "expression")


def test_table_cell_that_does_not_compile_and_every_problem_listed():
    g = copy.deepcopy(GOOD)
    g["nodes"][1]["content"]["rules"][0]["t_i0"] = "<< 18"
    g["nodes"][2]["content"]["expressions"][0]["value"] = "age +"
    g["edges"].append({"id": "dangling", "sourceId": "t", "targetId": "nowhere", "type": "edge"})
    kinds = sorted(k for _, k, _ in _problems(g))
    assert kinds == ["edge", "expression", "expression"]


def test_missing_input_node():
    g = copy.deepcopy(GOOD)
    g["nodes"] = [n for n in g["nodes"] if n["type"] != "inputNode"]
    g["edges"] = [e for e in g["edges"] if e["sourceId"] != "input"]
    assert ("content.nodes", "input_node") in [(loc, k) for loc, k, _ in _problems(g)]
