"""Scorecards: train with optbinning (BinningProcess + Scorecard, PDO scaling, integer points),
export to a JDM sub-decision that gives optbinning's own score on every row, and PSI monitoring.

The export writes one first-hit decision table per variable — a ``Missing`` row (``$ == null``)
first, a ``Special`` row (``$ == code or ...``) when special codes were given, then one row per bin ``[split_{i-1}, split_i)`` exactly as optbinning bins (``np.digitize``,
left-closed) — each producing ``points.<variable>``, then an expression summing them into
``score``. Points are rounded integers (optbinning's ``rounding=True``), so the sum is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhanye.decisions.strategies.builder import chain, result, scorecard_nodes

PSI_BANDS = ((0.1, "stable"), (0.25, "watch"), (math.inf, "shift"))


@dataclass
class TrainResult:
    variables: list[str]
    card: list[dict[str, Any]]  # per variable: name, bins [(condition, points)], splits
    table: list[dict[str, Any]]  # rows: variable, bin, count, event_rate, woe, points
    gini: float
    ks: float
    train_rows: int
    holdout_rows: int
    model: Any
    frame: Any  # the full data frame (for checks)

    def graph(self) -> dict[str, Any]:
        return scorecard_graph(self.card)


def _num(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _conditions(splits: list[float]) -> list[str]:
    if not splits:
        return [""]
    conds = [f"< {_num(splits[0])}"]
    conds += [f">= {_num(a)} and < {_num(b)}" for a, b in zip(splits, splits[1:], strict=False)]
    conds.append(f">= {_num(splits[-1])}")
    return conds


def scorecard_graph(card: list[dict[str, Any]]) -> dict[str, Any]:
    return chain(*scorecard_nodes(card, base_points="0"), result([("score", "score"), ("points", "points")]))


def input_schema(variables: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": {v: {"type": ["number", "null"]} for v in variables},
            "required": variables}


OUTPUT_SCHEMA = {"type": "object", "properties": {"score": {"type": "number"}, "points": {"type": "object"}},
                 "required": ["score", "points"]}


def train(path: Path, *, target: str, variables: list[str] | None = None, pdo: float = 20, odds: float = 50,
          points: float = 600, holdout: float = 0.3, seed: int = 42,
          special_codes: list[float] | None = None) -> TrainResult:
    import numpy as np
    import pandas as pd
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import train_test_split

    frame = pd.read_csv(path)
    if target not in frame.columns:
        raise ValueError(f"the target column {target!r} is not in the file")
    if variables is None:
        variables = [c for c in frame.columns if c != target and not c.endswith("_id")]
    missing = [v for v in variables if v not in frame.columns]
    if missing:
        raise ValueError(f"columns not in the file: {missing}")
    X, y = frame[variables], frame[target].astype(int)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=holdout, random_state=seed, stratify=y)
    bp = BinningProcess(variable_names=variables, max_n_prebins=20, min_prebin_size=0.05,
                        special_codes=list(special_codes) if special_codes else None)
    model = Scorecard(binning_process=bp, estimator=LogisticRegression(max_iter=1000),
                      scaling_method="pdo_odds",
                      scaling_method_params={"pdo": pdo, "odds": odds, "scorecard_points": points},
                      rounding=True)
    model.fit(X_train, y_train)
    detailed = model.table(style="detailed")
    card, rows = [], []
    for var in model.binning_process_.get_support(names=True):
        sub = detailed[detailed["Variable"] == var].reset_index(drop=True)
        splits = [float(s) for s in model.binning_process_.get_binned_variable(var).splits]
        conds = _conditions(splits)
        pts = [int(round(p)) for p in sub["Points"].tolist()]
        # optbinning's rows: n bins, then Special, then Missing; JDM: missing, special, then the bins
        n = len(conds)
        bins = [("$ == null", str(pts[n + 1]))]
        if special_codes:
            bins.append((" or ".join(f"$ == {_num(c)}" for c in special_codes), str(pts[n])))
        bins += [(c, str(p)) for c, p in zip(conds, pts[:n], strict=True)]
        card.append({"name": str(var), "label": str(var), "bins": bins, "splits": splits})
        for i, r in sub.iterrows():
            rows.append({"variable": str(var), "bin": str(r["Bin"]), "count": int(r["Count"]),
                         "event_rate": float(r["Event rate"]), "woe": float(r["WoE"]), "points": pts[i]})
    score = model.score(X_test)
    auc = roc_auc_score(y_test, -score)
    order = np.argsort(score)
    ys = y_test.to_numpy()[order]
    cum_bad = np.cumsum(ys) / max(ys.sum(), 1)
    cum_good = np.cumsum(1 - ys) / max((1 - ys).sum(), 1)
    ks = float(np.max(np.abs(cum_bad - cum_good)))
    return TrainResult([str(v) for v in model.binning_process_.get_support(names=True)], card, rows, 2 * auc - 1, ks,
                       len(X_train), len(X_test), model, frame)


def jdm_scores(graph: dict[str, Any], rows: list[dict[str, Any]]) -> list[float]:
    import json

    import zen

    content = zen.ZenDecisionContent(json.dumps(graph))
    eng = zen.ZenEngine({"loader": lambda _k: content})
    return [eng.evaluate("card", r)["result"]["score"] for r in rows]


def check_export(res: TrainResult) -> tuple[int, int]:
    """(rows where the JDM score equals optbinning's, rows checked) over the whole file."""
    import math as _m

    frame = res.frame
    ref = res.model.score(frame[res.variables])
    rows = [{v: (None if isinstance(x, float) and _m.isnan(x) else x) for v, x in zip(res.variables, rec, strict=True)}
            for rec in frame[res.variables].itertuples(index=False, name=None)]
    got = jdm_scores(res.graph(), rows)
    same = sum(1 for a, b in zip(ref, got, strict=True) if abs(float(a) - float(b)) < 1e-9)
    return same, len(rows)


# --- PSI --------------------------------------------------------------------------------------

def psi(expected: list[float], actual: list[float], edges: list[float]) -> tuple[float, list[dict[str, Any]]]:
    """Population stability index over the bins cut by ``edges`` (ascending inner cut points)."""
    import bisect

    def shares(values: list[float]) -> list[float]:
        counts = [0] * (len(edges) + 1)
        for v in values:
            counts[bisect.bisect_right(edges, v)] += 1
        total = max(len(values), 1)
        return [c / total for c in counts]

    e, a = shares(expected), shares(actual)
    eps = 1e-4
    rows, total = [], 0.0
    for i, (pe, pa) in enumerate(zip(e, a, strict=True)):
        term = (max(pa, eps) - max(pe, eps)) * math.log(max(pa, eps) / max(pe, eps))
        total += term
        lo = edges[i - 1] if i > 0 else None
        hi = edges[i] if i < len(edges) else None
        rows.append({"bin": i, "from": lo, "to": hi, "expected": round(pe, 6), "actual": round(pa, 6),
                     "psi": round(term, 6)})
    return total, rows


def band(value: float) -> str:
    return next(name for limit, name in PSI_BANDS if value < limit)


def quantile_edges(values: list[float], n: int = 10) -> list[float]:
    ordered = sorted(values)
    if not ordered:
        return []
    edges = sorted({ordered[min(len(ordered) - 1, int(len(ordered) * k / n))] for k in range(1, n)})
    return edges


def psi_report(training: list[dict[str, Any]], production: list[dict[str, Any]], variables: list[str],
               score_of: Any) -> dict[str, Any]:
    """PSI of the score and of each variable between training rows and production inputs."""
    report: dict[str, Any] = {"training_rows": len(training), "production_rows": len(production), "items": []}
    train_scores = [score_of(r) for r in training]
    prod_scores = [score_of(r) for r in production]
    value, bins = psi(train_scores, prod_scores, quantile_edges(train_scores))
    report["items"].append({"name": "score", "psi": round(value, 6), "band": band(value), "bins": bins})
    for v in variables:
        t = [float(r[v]) for r in training if r.get(v) is not None]
        p = [float(r[v]) for r in production if r.get(v) is not None]
        value, bins = psi(t, p, quantile_edges(t))
        report["items"].append({"name": v, "psi": round(value, 6), "band": band(value), "bins": bins})
    return report
