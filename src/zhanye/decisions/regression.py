"""Batch regression (批量回归): run a candidate version and a baseline (by default the active
version) on the same inputs — an uploaded sample file or the recorded production inputs of a
period — and compare: changed outcomes by output field, the confusion table of the outcome field
(decision/action/rating), the changed cases with both outputs, and the distribution of numeric
outputs (limits, scores).

Inputs are streamed in chunks (keyset pages of recorded decisions), evaluated in a process pool
(each worker holds its own zen engine with the two versions' content), and folded into a
mergeable ``Comparison``; memory stays flat whatever the number of inputs. Progress is written
to the run row after each chunk; a cancel request is noticed at the next chunk.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core import audit
from zhanye.core.context import Principal
from zhanye.core.db import Database, utcnow
from zhanye.core.errors import FieldError, ValidationFailed
from zhanye.decisions import engine, jdm, resolve
from zhanye.decisions.errors import DecisionNotFound, NoActiveVersion
from zhanye.decisions.models import DecisionRecord, DecisionVersion, RegressionRun
from zhanye.decisions.records import outcome_field

CHUNK = 4000
MAX_CASES = 200
RESERVOIR = 5000
SAMPLE_EVERY = 4  # numeric distributions: a systematic sample of every 4th input
MAX_FILE_ROWS = 200_000


@dataclass
class Comparison:
    total: int = 0
    changed: int = 0
    errors: int = 0
    field_changes: Counter[str] = field(default_factory=Counter)
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    outcome: str | None = None
    cases: list[dict[str, Any]] = field(default_factory=list)
    numeric: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _num(self, side: str, name: str, value: float) -> None:
        slot = self.numeric.setdefault(f"{side}:{name}", {"n": 0, "sum": 0.0, "min": value, "max": value,
                                                          "sample": []})
        slot["n"] += 1
        slot["sum"] += value
        slot["min"] = min(slot["min"], value)
        slot["max"] = max(slot["max"], value)
        if len(slot["sample"]) < RESERVOIR:
            slot["sample"].append(value)
        else:
            j = random.randrange(slot["n"])
            if j < RESERVOIR:
                slot["sample"][j] = value

    def add(self, ref: Any, given: Any, base: Any, cand: Any) -> None:
        self.total += 1
        if type(base) is not dict or type(cand) is not dict:
            self.errors += 1
            self.changed += base != cand
            self.field_changes["(error)"] += base != cand
            if base != cand and len(self.cases) < MAX_CASES:
                self.cases.append({"ref": ref, "input": given, "baseline": base, "candidate": cand})
            return
        o = self.outcome
        if o is None:
            o = self.outcome = outcome_field(base) or ""
        if o:
            self.confusion[(str(base.get(o)), str(cand.get(o)))] += 1
        if self.total % SAMPLE_EVERY == 0:
            for side, out in (("baseline", base), ("candidate", cand)):
                for k, v in out.items():
                    if (type(v) is int or type(v) is float):
                        self._num(side, k, float(v))
        if base == cand:
            return
        self.changed += 1
        for k in set(base) | set(cand):
            if base.get(k) != cand.get(k):
                self.field_changes[k] += 1
        if len(self.cases) < MAX_CASES:
            self.cases.append({"ref": ref, "input": given, "baseline": base, "candidate": cand})

    def merge(self, other: Comparison) -> None:
        self.total += other.total
        self.changed += other.changed
        self.errors += other.errors
        self.field_changes.update(other.field_changes)
        self.confusion.update(other.confusion)
        self.outcome = self.outcome or other.outcome or None
        self.cases.extend(other.cases[: max(0, MAX_CASES - len(self.cases))])
        for k, o in other.numeric.items():
            s = self.numeric.get(k)
            if s is None:
                self.numeric[k] = o
                continue
            total = s["n"] + o["n"]
            # keep a reservoir proportional to each side's weight
            take = round(RESERVOIR * o["n"] / total) if total else 0
            sample = random.sample(s["sample"], min(len(s["sample"]), RESERVOIR - take)) + \
                random.sample(o["sample"], min(len(o["sample"]), take))
            s.update(n=total, sum=s["sum"] + o["sum"], min=min(s["min"], o["min"]), max=max(s["max"], o["max"]),
                     sample=sample)

    def report(self) -> dict[str, Any]:
        dist = {}
        names = sorted({k.split(":", 1)[1] for k in self.numeric})
        for name in names:
            b, c = self.numeric.get(f"baseline:{name}"), self.numeric.get(f"candidate:{name}")
            lo = min(x["min"] for x in (b, c) if x)
            hi = max(x["max"] for x in (b, c) if x)
            bins = 10
            width = (hi - lo) / bins or 1.0
            edges = [lo + width * i for i in range(bins + 1)]

            def hist(slot: dict[str, Any] | None, lo: float = lo, width: float = width, bins: int = bins) -> list[int]:
                counts = [0] * bins
                for v in (slot or {}).get("sample", []):
                    counts[min(bins - 1, int((v - lo) / width))] += 1
                scale = (slot["n"] / len(slot["sample"])) if slot and slot["sample"] else 0
                return [round(x * scale) for x in counts]

            dist[name] = {"edges": [round(e, 4) for e in edges],
                          "baseline": hist(b), "candidate": hist(c),
                          "baseline_mean": round(b["sum"] / b["n"], 4) if b and b["n"] else None,
                          "candidate_mean": round(c["sum"] / c["n"], 4) if c and c["n"] else None}
        return {"total": self.total, "changed": self.changed, "errors": self.errors, "sample_every": SAMPLE_EVERY,
                "changed_rate": round(self.changed / self.total, 6) if self.total else 0.0,
                "field_changes": dict(self.field_changes.most_common()), "outcome_field": self.outcome,
                "confusion": [{"baseline": a, "candidate": b, "count": n} for (a, b), n in sorted(self.confusion.items())],
                "changed_cases": self.cases, "distributions": dist}


# --- evaluation (in process or in worker processes) ---------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(contents: dict[str, str], base_key: str, cand_key: str, url: str | None = None) -> None:
    import zen

    _worker["url"] = url
    _worker["db"] = None
    compiled = {k: zen.ZenDecisionContent(t) for k, t in contents.items()}
    _worker["engine"] = zen.ZenEngine({"loader": lambda k: compiled[k]})
    _worker["keys"] = (base_key, cand_key)


def _evaluate_chunk(chunk: list[tuple[Any, dict[str, Any]]]) -> Comparison:
    eng = _worker["engine"]
    base_key, cand_key = _worker["keys"]
    comp = Comparison()
    for ref, given in chunk:
        outs = []
        for key in (base_key, cand_key):
            try:
                outs.append(eng.evaluate(key, given)["result"])
            except RuntimeError as exc:
                outs.append("error: " + str(exc).splitlines()[0][:200])
        comp.add(ref, given, outs[0], outs[1])
    return comp


def _evaluate_range(key: str, lo: int, hi: int, since: Any, until: Any) -> Comparison:
    """Worker side: read the recorded inputs with ids in [lo, hi) itself and compare them."""
    if _worker.get("db") is None:
        _worker["db"] = Database(_worker["url"])
    db: Database = _worker["db"]
    with db.unit_of_work(write=False) as s:
        stmt = select(DecisionRecord.id, DecisionRecord.input).where(
            DecisionRecord.decision_key == key, DecisionRecord.role != "shadow",
            DecisionRecord.id >= lo, DecisionRecord.id < hi)
        if since is not None:
            stmt = stmt.where(DecisionRecord.at >= since)
        if until is not None:
            stmt = stmt.where(DecisionRecord.at < until)
        rows = s.execute(stmt.order_by(DecisionRecord.id)).all()
    return _evaluate_chunk([(r[0], r[1]) for r in rows])


def _id_ranges(db: Database, key: str, since: Any, until: Any, limit: int) -> Iterator[tuple[int, int]]:
    """Keyset pages of CHUNK matching record ids: [first id, last id + 1)."""
    last, left = 0, limit
    while left > 0:
        with db.unit_of_work(write=False) as s:
            stmt = select(DecisionRecord.id).where(
                DecisionRecord.decision_key == key, DecisionRecord.role != "shadow", DecisionRecord.id > last)
            if since is not None:
                stmt = stmt.where(DecisionRecord.at >= since)
            if until is not None:
                stmt = stmt.where(DecisionRecord.at < until)
            ids = s.execute(stmt.order_by(DecisionRecord.id).limit(min(CHUNK, left))).scalars().all()
        if not ids:
            return
        last = ids[-1]
        left -= len(ids)
        yield ids[0], ids[-1] + 1


def _contents(session: Session, version_ids: list[int]) -> dict[str, str]:
    out: dict[str, str] = {}
    for vid in version_ids:
        key = resolve.ensure_loaded(session, vid)
        out[key] = session.execute(select(DecisionVersion.content).where(DecisionVersion.id == vid)).scalar_one()
        stack = jdm.sub_decision_keys(json.loads(out[key]))
        while stack:
            sub = stack.pop()
            if sub not in out:
                out[sub] = json.dumps(engine.graph(sub))
                stack.extend(jdm.sub_decision_keys(engine.graph(sub)))
    return out


# --- use cases --------------------------------------------------------------------------------

def start(session: Session, actor: Principal, *, version_id: int, source: str,
          baseline_version_id: int | None = None, total: int = 0) -> RegressionRun:
    from zhanye.decisions import service

    cand = service.get_version(session, actor, version_id)
    if baseline_version_id is None:
        active = service.active_version(session, actor, service.get_decision_by_id(session, cand.decision_id).key,
                                        cand.institution_id)
        if active is None:
            raise NoActiveVersion("没有生效版本可作对比基线", "There is no active version to compare with")
        baseline_version_id = active.id
    base = service.get_version(session, actor, baseline_version_id)
    if base.decision_id != cand.decision_id:
        raise ValidationFailed.field("baseline_version_id", "基线须为同一决策的版本",
                                     "the baseline must be a version of the same decision")
    run = RegressionRun(decision_id=cand.decision_id, institution_id=cand.institution_id,
                        candidate_version_id=cand.id, baseline_version_id=base.id, source=source,
                        status="running", total=total, created_by=actor.staff_id or None)
    session.add(run)
    session.flush()
    audit.record(session, action="decision.regression.start", object_type="decision_regression", object_id=run.id,
                 changes={"candidate": cand.id, "baseline": base.id, "source": source}, actor=actor)
    return run


def get_run(session: Session, actor: Principal, run_id: int) -> RegressionRun:
    from zhanye.decisions import service

    run = session.get(RegressionRun, run_id)
    if run is None or run.institution_id not in service.visible_institutions(session, actor):
        raise DecisionNotFound("回归任务不存在", "The regression run does not exist")
    return run


def cancel(session: Session, actor: Principal, run_id: int) -> RegressionRun:
    run = get_run(session, actor, run_id)
    if run.status == "running":
        run.cancel_requested = True
        audit.record(session, action="decision.regression.cancel", object_type="decision_regression",
                     object_id=run.id, changes={"done": run.done}, actor=actor)
    return run


def parse_sample_file(session: Session, *, decision_key: str, filename: str, data: bytes) -> list[dict[str, Any]]:
    """A sample file: CSV/Excel with ``in.<field>`` (or plain field) columns, or JSON Lines."""
    from zhanye.decisions import suites
    from zhanye.decisions.runtime import _field_error

    if filename.lower().endswith((".jsonl", ".ndjson")):
        inputs = []
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines()):
            if line.strip():
                try:
                    inputs.append(json.loads(line))
                except ValueError:
                    raise ValidationFailed.field(["file", n + 1], "不是有效的 JSON 行", "not a valid JSON line") from None
    else:
        import csv
        import io

        if filename.lower().endswith(".xlsx"):
            from openpyxl import load_workbook

            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
        else:
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"))))
        if not rows:
            raise ValidationFailed.field("file", "文件为空", "the file is empty")
        header = [str(h or "").strip() for h in rows[0]]
        header = [h if h.startswith(("in.", "out.")) or h in ("name", "match") else f"in.{h}" for h in header]
        inputs = [c["given"] for c in suites.rows_to_cases(header, rows[1:], need_name=False)]
    if len(inputs) > MAX_FILE_ROWS:
        raise ValidationFailed.field("file", f"样本超过 {MAX_FILE_ROWS} 行", f"more than {MAX_FILE_ROWS} rows")
    meta = resolve.meta(session, decision_key)
    errors: list[FieldError] = []
    for i, given in enumerate(inputs):
        for e in meta.input_validator.iter_errors(given):
            fe = _field_error(e)
            errors.append(FieldError(["rows", i + 1, *fe.loc], fe.message_zh, fe.message_en, fe.type))
            if len(errors) >= 50:
                break
    if errors:
        raise ValidationFailed(f"样本文件有 {len(errors)} 处输入错误", f"The sample file has {len(errors)} input error(s)",
                               errors=errors)
    return inputs


def _record_pages(db: Database, key: str, since: Any, until: Any, limit: int) -> Iterator[list[tuple[Any, Any]]]:
    last, left = 0, limit
    while left > 0:
        with db.unit_of_work(write=False) as s:
            stmt = select(DecisionRecord.id, DecisionRecord.input).where(
                DecisionRecord.decision_key == key, DecisionRecord.role != "shadow", DecisionRecord.id > last)
            if since is not None:
                stmt = stmt.where(DecisionRecord.at >= since)
            if until is not None:
                stmt = stmt.where(DecisionRecord.at < until)
            rows = s.execute(stmt.order_by(DecisionRecord.id).limit(min(CHUNK, left))).all()
        if not rows:
            return
        last = rows[-1][0]
        left -= len(rows)
        yield [(r[0], r[1]) for r in rows]


def count_records(session: Session, key: str, since: Any, until: Any, limit: int) -> int:
    from sqlalchemy import func

    stmt = select(func.count()).select_from(DecisionRecord).where(
        DecisionRecord.decision_key == key, DecisionRecord.role != "shadow")
    if since is not None:
        stmt = stmt.where(DecisionRecord.at >= since)
    if until is not None:
        stmt = stmt.where(DecisionRecord.at < until)
    return min(limit, int(session.execute(stmt).scalar_one()))


def execute(db: Database, run_id: int, *, inputs: list[dict[str, Any]] | None = None, since: Any = None,
            until: Any = None, limit: int = 100_000, workers: int | None = None,
            progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Run a started regression to its end (or until cancelled); returns the report."""
    with db.unit_of_work(write=False) as s:
        run = s.get(RegressionRun, run_id)
        assert run is not None
        from zhanye.decisions.models import Decision

        key = s.get(Decision, run.decision_id).key  # type: ignore[union-attr]
        contents = _contents(s, [run.baseline_version_id, run.candidate_version_id])
        base_key, cand_key = engine.version_key(run.baseline_version_id), engine.version_key(run.candidate_version_id)
        total = len(inputs) if inputs is not None else count_records(s, key, since, until, limit)
    with db.unit_of_work() as s:
        s.get(RegressionRun, run_id).total = total  # type: ignore[union-attr]
    workers = workers if workers is not None else (min(os.cpu_count() or 1, 4) if total > 3 * CHUNK else 1)
    if inputs is not None:
        pages: Iterator[Any] = (
            [(i + 1, inputs[i]) for i in range(start, min(start + CHUNK, len(inputs)))]
            for start in range(0, len(inputs), CHUNK))
    elif workers > 1:
        pages = _id_ranges(db, key, since, until, total)  # workers read their own pages: no input crosses processes
    else:
        pages = _record_pages(db, key, since, until, limit)
    comp = Comparison()
    done, status = 0, "done"
    url = db.engine.url.render_as_string(hide_password=False)
    # spawn, not fork: runs also start from web-server threads, and forking a threaded process is unsafe
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                               initargs=(contents, base_key, cand_key, url)) if workers > 1 else None
    if pool is None:
        _init_worker(contents, base_key, cand_key)
    try:
        pending: list[Any] = []
        for page in pages:
            if pool is None:
                comp.merge(_evaluate_chunk(page))
                done += len(page)
            else:
                if isinstance(page, tuple):
                    pending.append(pool.submit(_evaluate_range, key, page[0], page[1], since, until))
                else:
                    pending.append(pool.submit(_evaluate_chunk, page))
                if len(pending) < workers * 2:
                    continue
                part = pending.pop(0).result()
                comp.merge(part)
                done += part.total
            if _tick(db, run_id, done, progress, total):
                status = "cancelled"
                break
        for fut in pending:
            if status == "cancelled":
                fut.cancel()
                continue
            part = fut.result()
            comp.merge(part)
            done += part.total
            _tick(db, run_id, done, progress, total)
    except Exception as exc:
        status = "failed"
        report = {"error": str(exc)[:500]}
        raise
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        report = comp.report() if status != "failed" else report
        with db.unit_of_work() as s:
            run = s.get(RegressionRun, run_id)
            run.status, run.done, run.report, run.finished_at = status, done, report, utcnow()  # type: ignore[union-attr]
    return report


def _tick(db: Database, run_id: int, done: int, progress: Callable[[int, int], None] | None, total: int) -> bool:
    """Store progress; True when a cancel was requested."""
    if progress is not None:
        progress(done, total)
    with db.unit_of_work() as s:
        run = s.get(RegressionRun, run_id)
        run.done = done  # type: ignore[union-attr]
        return bool(run.cancel_requested)  # type: ignore[union-attr]
