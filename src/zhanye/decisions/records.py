"""Reading recorded decisions: search (by key, period, caller) within the actor's scope, and the
champion/challenger comparison report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.scope import in_scope
from zhanye.decisions.models import DecisionRecord

OUTCOME_FIELDS = ("decision", "action", "rating")


def outcome_field(output: dict[str, Any] | None) -> str | None:
    for f in OUTCOME_FIELDS:
        if isinstance(output, dict) and f in output:
            return f
    return None


def list_records(session: Session, actor: Principal, *, key: str | None = None, caller: str | None = None,
                 since: dt.datetime | None = None, until: dt.datetime | None = None, role: str | None = None,
                 limit: int = 50, before_id: int | None = None) -> list[DecisionRecord]:
    stmt = select(DecisionRecord).where(in_scope(DecisionRecord.institution_id, actor))
    if key:
        stmt = stmt.where(DecisionRecord.decision_key == key)
    if caller:
        stmt = stmt.where(DecisionRecord.caller == caller)
    if since:
        stmt = stmt.where(DecisionRecord.at >= since)
    if until:
        stmt = stmt.where(DecisionRecord.at < until)
    if role:
        stmt = stmt.where(DecisionRecord.role == role)
    if before_id:
        stmt = stmt.where(DecisionRecord.id < before_id)
    return list(session.execute(stmt.order_by(DecisionRecord.id.desc()).limit(min(limit, 500))).scalars())


def challenger_report(session: Session, actor: Principal, *, key: str, since: dt.datetime | None = None) -> dict[str, Any]:
    """Split: outcome distribution, mean numeric outputs and latency per version. Shadow: agreement
    of the shadow with the champion on the same inputs and their confusion table."""
    base = select(DecisionRecord).where(DecisionRecord.decision_key == key,
                                        in_scope(DecisionRecord.institution_id, actor))
    if since:
        base = base.where(DecisionRecord.at >= since)
    per_version: dict[tuple[str, int], dict[str, Any]] = {}
    confusion: Counter[tuple[str, str]] = Counter()
    shadow_total = shadow_agree = 0
    rows = session.execute(base.order_by(DecisionRecord.id.desc()).limit(50_000)).scalars()
    for r in rows:
        field = outcome_field(r.output)
        slot = per_version.setdefault((r.role, r.version_id), {"role": r.role, "version_id": r.version_id, "count": 0,
                                                              "outcomes": Counter(), "sums": Counter(),
                                                              "latency_us": 0})
        slot["count"] += 1
        slot["latency_us"] += r.latency_us
        if field:
            slot["outcomes"][str(r.output.get(field))] += 1
        for k, v in (r.output or {}).items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                slot["sums"][k] += v
        if r.role == "shadow" and r.champion_output is not None:
            shadow_total += 1
            shadow_agree += int(r.champion_output == r.output)
            if field:
                confusion[(str(r.champion_output.get(field)), str(r.output.get(field)))] += 1
    versions = []
    for slot in per_version.values():
        n = slot["count"] or 1
        versions.append({"role": slot["role"], "version_id": slot["version_id"], "count": slot["count"],
                         "outcomes": dict(slot["outcomes"]),
                         "means": {k: round(v / n, 4) for k, v in slot["sums"].items()},
                         "mean_latency_us": round(slot["latency_us"] / n)})
    versions.sort(key=lambda s: (s["role"], s["version_id"]))
    total = session.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    return {"key": key, "records": total, "versions": versions,
            "shadow": {"compared": shadow_total, "agree": shadow_agree,
                       "agreement_rate": round(shadow_agree / shadow_total, 4) if shadow_total else None,
                       "confusion": [{"champion": a, "challenger": b, "count": c}
                                     for (a, b), c in sorted(confusion.items())]}}
