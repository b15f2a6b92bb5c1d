"""Checks of an uploaded JDM graph before anything is stored: it must be JSON of the JDM shape,
use known node types, have its edges point at existing nodes, contain no cycle, and every
expression and table cell must compile. Each problem is reported with its path."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import zen

from zhanye.core.errors import FieldError
from zhanye.decisions.errors import InvalidModel

NODE_TYPES = {"inputNode", "outputNode", "decisionTableNode", "expressionNode", "switchNode",
              "decisionNode", "functionNode"}
MAX_BYTES = 2_000_000


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _err(errors: list[FieldError], loc: list[str | int], zh: str, en: str, type_: str = "invalid") -> None:
    errors.append(FieldError(["content", *loc], zh, en, type_))


def _compile(errors: list[FieldError], loc: list[str | int], source: str, *, unary: bool) -> None:
    if not isinstance(source, str):
        _err(errors, loc, "表达式必须是字符串", "an expression must be a string", "type")
        return
    if not source.strip():
        return  # an empty cell matches anything / outputs nothing
    try:
        (zen.compile_unary_expression if unary else zen.compile_expression)(source)
    except Exception as exc:  # zen raises RuntimeError with a JSON description
        detail = str(exc).splitlines()[0][:200]
        _err(errors, loc, f"表达式无法编译: {source!r} ({detail})",
             f"the expression does not compile: {source!r} ({detail})", "expression")


def _check_table(errors: list[FieldError], i: int, content: dict[str, Any]) -> None:
    inputs = content.get("inputs") or []
    outputs = content.get("outputs") or []
    if content.get("hitPolicy", "first") not in ("first", "collect"):
        _err(errors, ["nodes", i, "content", "hitPolicy"], "命中策略只能是 first 或 collect",
             "hitPolicy must be first or collect")
    in_ids = {c.get("id") for c in inputs if isinstance(c, dict)}
    out_ids = {c.get("id") for c in outputs if isinstance(c, dict)}
    for r, rule in enumerate(content.get("rules") or []):
        if not isinstance(rule, dict):
            _err(errors, ["nodes", i, "content", "rules", r], "规则必须是对象", "a rule must be an object", "type")
            continue
        for col, cell in rule.items():
            if col in in_ids:
                _compile(errors, ["nodes", i, "content", "rules", r, col], cell, unary=True)
            elif col in out_ids:
                _compile(errors, ["nodes", i, "content", "rules", r, col], cell, unary=False)


def _check_node(errors: list[FieldError], i: int, node: Any) -> None:
    if not isinstance(node, dict):
        _err(errors, ["nodes", i], "节点必须是对象", "a node must be an object", "type")
        return
    for field in ("id", "type", "name"):
        if not isinstance(node.get(field), str) or not node.get(field):
            _err(errors, ["nodes", i, field], f"节点缺少 {field}", f"the node has no {field}", "missing")
    ntype = node.get("type")
    if isinstance(ntype, str) and ntype not in NODE_TYPES:
        _err(errors, ["nodes", i, "type"], f"未知的节点类型 {ntype}", f"unknown node type {ntype}", "node_type")
        return
    content = node.get("content") if isinstance(node.get("content"), dict) else {}
    if ntype == "decisionTableNode":
        _check_table(errors, i, content)
    elif ntype == "expressionNode":
        for e, expr in enumerate(content.get("expressions") or []):
            _compile(errors, ["nodes", i, "content", "expressions", e, "value"],
                     (expr or {}).get("value", ""), unary=False)
    elif ntype == "switchNode":
        for s, stmt in enumerate(content.get("statements") or []):
            _compile(errors, ["nodes", i, "content", "statements", s, "condition"],
                     (stmt or {}).get("condition", ""), unary=False)
    elif ntype == "decisionNode" and not isinstance(content.get("key"), str):
        _err(errors, ["nodes", i, "content", "key"], "子决策须指明决策键", "a sub-decision must name a key",
             "missing")


def _find_cycle(node_ids: set[str], edges: list[tuple[str, str]]) -> list[str] | None:
    graph: dict[str, list[str]] = {n: [] for n in node_ids}
    for src, dst in edges:
        graph[src].append(dst)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in graph[n]:
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(node_ids):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def sub_decision_keys(graph: dict[str, Any]) -> list[str]:
    return [n["content"]["key"] for n in graph.get("nodes", [])
            if n.get("type") == "decisionNode" and isinstance(n.get("content"), dict)]


def parse_and_validate(raw: str | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return (canonical JSON text, graph) or raise InvalidModel naming every problem."""
    if isinstance(raw, dict):
        graph: Any = raw
    else:
        if len(raw.encode("utf-8")) > MAX_BYTES:
            raise InvalidModel("决策模型超过 2MB", "The decision model is larger than 2 MB",
                               errors=[FieldError(["content"], "过大", "too large", "size")])
        try:
            graph = json.loads(raw)
        except (ValueError, TypeError) as exc:
            raise InvalidModel("决策模型不是有效的 JSON", f"The decision model is not valid JSON: {exc}",
                               errors=[FieldError(["content"], f"不是有效的 JSON: {exc}",
                                                  f"not valid JSON: {exc}", "json")]) from None
    errors: list[FieldError] = []
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list) \
            or not isinstance(graph.get("edges", []), list):
        raise InvalidModel("决策模型须包含 nodes 与 edges 数组", "The model must have nodes and edges arrays",
                           errors=[FieldError(["content"], "须包含 nodes 与 edges 数组",
                                              "must have nodes and edges arrays", "shape")])
    nodes, edges = graph["nodes"], graph.get("edges", [])
    for i, node in enumerate(nodes):
        _check_node(errors, i, node)
    ids = [n.get("id") for n in nodes if isinstance(n, dict)]
    id_set = {i for i in ids if isinstance(i, str)}
    if len(id_set) != len(ids):
        _err(errors, ["nodes"], "节点 id 重复", "node ids are not unique", "duplicate")
    types = [n.get("type") for n in nodes if isinstance(n, dict)]
    if types.count("inputNode") != 1:
        _err(errors, ["nodes"], "须恰好有一个输入节点", "there must be exactly one inputNode", "input_node")
    if types.count("outputNode") < 1:
        _err(errors, ["nodes"], "至少需要一个输出节点", "there must be an outputNode", "output_node")
    pairs: list[tuple[str, str]] = []
    for e, edge in enumerate(edges):
        if not isinstance(edge, dict):
            _err(errors, ["edges", e], "连线必须是对象", "an edge must be an object", "type")
            continue
        src, dst = edge.get("sourceId"), edge.get("targetId")
        if src not in id_set or dst not in id_set:
            _err(errors, ["edges", e], f"连线指向不存在的节点 {src}->{dst}",
                 f"the edge points at a missing node {src}->{dst}", "edge")
            continue
        pairs.append((src, dst))
    if not errors:
        cycle = _find_cycle(id_set, pairs)
        if cycle:
            path = " -> ".join(cycle)
            _err(errors, ["edges"], f"图中有环: {path}", f"the graph has a cycle: {path}", "cycle")
    if not errors:
        text = json.dumps(graph, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        try:
            zen.ZenEngine().create_decision(text).validate()
        except Exception as exc:
            detail = str(exc).splitlines()[0][:300]
            _err(errors, [], f"引擎拒绝该模型: {detail}", f"the engine refuses the model: {detail}", "engine")
    if errors:
        first = errors[0]
        raise InvalidModel(f"决策模型有 {len(errors)} 处问题: {first.message_zh}",
                           f"The decision model has {len(errors)} problem(s): {first.message_en}", errors=errors)
    return json.dumps(graph, ensure_ascii=False, sort_keys=True, separators=(",", ":")), graph
