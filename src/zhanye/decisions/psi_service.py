"""PSI monitoring of a scorecard decision: the training sample against recorded production inputs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.decisions import engine, resolve, scorecard
from zhanye.decisions.models import DecisionRecord


def report(session: Session, *, key: str, training: list[dict[str, Any]], days: int = 30,
           limit: int = 100_000) -> dict[str, Any]:
    meta = resolve.meta(session, key)
    choice = resolve.active(session, meta, None)
    vkey = engine.version_key(choice.version_id)
    variables = [v for v in meta.input_validator.schema.get("required", [])]
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    production = [r for (r,) in session.execute(select(DecisionRecord.input).where(
        DecisionRecord.decision_key == key, DecisionRecord.role != "shadow", DecisionRecord.at >= since)
        .order_by(DecisionRecord.id.desc()).limit(limit))]
    fields = set(variables)
    training_inputs = [{k: v for k, v in row.items() if k in fields} for row in training]

    def score_of(row: dict[str, Any]) -> float:
        return float(engine.ENGINE.evaluate(vkey, row)["result"]["score"])

    out = scorecard.psi_report(training_inputs, production, variables, score_of)
    out.update(key=key, version_id=choice.version_id, days=days)
    return out
