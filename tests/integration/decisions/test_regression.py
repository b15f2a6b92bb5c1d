"""Batch regression: recorded inputs and an uploaded sample file, the comparison, cancel."""

from __future__ import annotations

import pytest

from tests.integration.decisions.conftest import threshold_graph
from zhanye.core.errors import ValidationFailed
from zhanye.decisions import regression, service
from zhanye.decisions.models import RegressionRun


def _candidate(db, people, key, cut):
    with db.unit_of_work() as s:
        return service.create_version(s, people["maker"], key=key, content=threshold_graph(cut)).id


def test_regression_on_recorded_decisions(demo_db, people, strategy):
    key = strategy["key"]
    with demo_db.unit_of_work() as s:
        for score in range(0, 1000, 10):  # 100 recorded decisions
            service.decide(s, key, {"score": score}, caller=f"reg-{score}")
    cand = _candidate(demo_db, people, key, 650)
    with demo_db.unit_of_work() as s:
        run_id = regression.start(s, people["maker"], version_id=cand, source="records").id
    seen = []
    report = regression.execute(demo_db, run_id, workers=1, progress=lambda d, t: seen.append((d, t)))
    assert report["total"] == 100 and seen[-1] == (100, 100)
    with demo_db.unit_of_work() as s:
        pooled_id = regression.start(s, people["maker"], version_id=cand, source="records").id
    pooled = regression.execute(demo_db, pooled_id, workers=2)  # workers read their own id ranges
    assert pooled["confusion"] == report["confusion"] and pooled["changed"] == report["changed"]
    # scores 550..590 refer instead of approve; 500..540 decline instead of refer (cut 650 → refer from 550)
    confusion = {(c["baseline"], c["candidate"]): c["count"] for c in report["confusion"]}
    assert confusion[("approve", "refer")] == 5 and confusion[("refer", "decline")] == 5
    assert confusion[("approve", "approve")] == 35 and report["changed"] == 10
    assert report["field_changes"] == {"decision": 10}
    case = report["changed_cases"][0]
    assert set(case) == {"ref", "input", "baseline", "candidate"}
    with demo_db.unit_of_work(write=False) as s:
        run = s.get(RegressionRun, run_id)
        assert run.status == "done" and run.done == 100


def test_regression_with_a_process_pool_matches(demo_db, people, strategy):
    inputs = [{"score": s} for s in range(0, 1000)] * 13  # 13,000 rows: several chunks, 2 workers
    cand = _candidate(demo_db, people, strategy["key"], 650)
    with demo_db.unit_of_work() as s:
        run_id = regression.start(s, people["maker"], version_id=cand, source="file", total=len(inputs)).id
    report = regression.execute(demo_db, run_id, inputs=inputs, workers=2)
    assert report["total"] == 13000 and report["changed"] == 13 * 100


def test_sample_file_is_validated(demo_db, people, strategy):
    with demo_db.unit_of_work() as s:
        rows = regression.parse_sample_file(s, decision_key=strategy["key"], filename="s.csv",
                                            data=b"score\n10\n700\n")
        assert rows == [{"score": 10}, {"score": 700}]
        with pytest.raises(ValidationFailed) as info:
            regression.parse_sample_file(s, decision_key=strategy["key"], filename="s.csv",
                                         data=b"score\nabc\n-5\n")
    assert [e.loc for e in info.value.errors] == [["rows", 1, "score"], ["rows", 2, "score"]]


def test_cancel_stops_a_run(demo_db, people, strategy):
    cand = _candidate(demo_db, people, strategy["key"], 650)
    with demo_db.unit_of_work() as s:
        run_id = regression.start(s, people["maker"], version_id=cand, source="file").id
        regression.cancel(s, people["maker"], run_id)
    report = regression.execute(demo_db, run_id, inputs=[{"score": 1}] * 20000, workers=1)
    with demo_db.unit_of_work(write=False) as s:
        run = s.get(RegressionRun, run_id)
        assert run.status == "cancelled" and run.done < 20000 and report["total"] == run.done
