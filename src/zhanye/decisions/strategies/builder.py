"""Small helpers that write JDM graphs (the JSON the canvas edits): tables, expressions, chains."""

from __future__ import annotations

from typing import Any


def node_input(name: str = "Request") -> dict[str, Any]:
    return {"id": "input", "type": "inputNode", "name": name, "position": {"x": 60, "y": 200}}


def node_output(name: str = "Response") -> dict[str, Any]:
    return {"id": "output", "type": "outputNode", "name": name, "position": {"x": 0, "y": 200}}


def _common(output_path: str | None = None) -> dict[str, Any]:
    return {"passThrough": True, "inputField": None, "outputPath": output_path, "executionMode": "single"}


def table(node_id: str, name: str, inputs: list[tuple[str, str]], outputs: list[tuple[str, str]],
          rules: list[list[str]], *, hit: str = "first", descriptions: list[str] | None = None) -> dict[str, Any]:
    """``inputs``/``outputs``: (label, field); each rule lists the input cells then the output cells."""
    in_cols = [{"id": f"{node_id}_i{k}", "name": label, "field": field} for k, (label, field) in enumerate(inputs)]
    out_cols = [{"id": f"{node_id}_o{k}", "name": label, "field": field} for k, (label, field) in enumerate(outputs)]
    rows = []
    for r, cells in enumerate(rules):
        if len(cells) != len(inputs) + len(outputs):
            raise ValueError(f"{node_id} rule {r}: {len(cells)} cells for {len(inputs)}+{len(outputs)} columns")
        row: dict[str, Any] = {"_id": f"{node_id}_r{r}"}
        if descriptions:
            row["_description"] = descriptions[r]
        for col, cell in zip(in_cols + out_cols, cells, strict=True):
            row[col["id"]] = cell
        rows.append(row)
    return {"id": node_id, "type": "decisionTableNode", "name": name, "position": {"x": 0, "y": 200},
            "content": {"hitPolicy": hit, "inputs": in_cols, "outputs": out_cols, "rules": rows, **_common()}}


def expression(node_id: str, name: str, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"id": node_id, "type": "expressionNode", "name": name, "position": {"x": 0, "y": 200},
            "content": {"expressions": [{"id": f"{node_id}_e{k}", "key": key, "value": value}
                                        for k, (key, value) in enumerate(pairs)], **_common()}}


def sub_decision(node_id: str, name: str, key: str, output_path: str) -> dict[str, Any]:
    return {"id": node_id, "type": "decisionNode", "name": name, "position": {"x": 0, "y": 200},
            "content": {"key": key, **_common(output_path)}}


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """input → nodes... → output, laid out left to right."""
    all_nodes = [node_input(), *nodes, node_output()]
    for k, n in enumerate(all_nodes):
        n["position"] = {"x": 60 + 280 * k, "y": 200}
    edges = [{"id": f"e{k}", "sourceId": a["id"], "targetId": b["id"], "type": "edge"}
             for k, (a, b) in enumerate(zip(all_nodes, all_nodes[1:], strict=False))]
    return {"contentType": "application/vnd.gorules.decision", "nodes": all_nodes, "edges": edges}


def scorecard_nodes(variables: list[dict[str, Any]], *, base_points: str = "0",
                    score_field: str = "score") -> list[dict[str, Any]]:
    """One first-hit table per variable (bins as unary conditions, missing/special rows first),
    each writing ``points.<variable>``, then an expression summing the points into ``score``.

    ``variables``: [{"name": field, "label": text, "bins": [(condition, points_text), ...]}]; an
    empty condition matches anything (the missing / otherwise row)."""
    nodes = []
    for k, var in enumerate(variables):
        field = var["name"]
        nodes.append(table(f"sc{k}", var.get("label", field), [(var.get("label", field), field)],
                           [("points", f"points.{field}")],
                           [[cond, pts] for cond, pts in var["bins"]]))
    total = " + ".join([base_points] + [f"points.{v['name']}" for v in variables])
    nodes.append(expression("sc_sum", "Score", [(score_field, total)]))
    return nodes


def result(pairs: list[tuple[str, str]], node_id: str = "result") -> dict[str, Any]:
    """A final expression node that emits only the contract fields (no pass-through of inputs)."""
    node = expression(node_id, "Result", pairs)
    node["content"]["passThrough"] = False
    return node
