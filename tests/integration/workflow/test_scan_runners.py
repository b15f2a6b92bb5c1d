"""The SLA scan runs as an end-of-day step and periodically in a server thread."""

from __future__ import annotations

import datetime as dt
import time
from types import SimpleNamespace

from sqlalchemy import select

from tests.integration.workflow.helpers import principal, publish, uid
from zhanye.workflow import service as wf
from zhanye.workflow.models import SlaCard


def _overdue_instance(db) -> int:  # type: ignore[no-untyped-def]
    key = f"test.runner_{uid()}"
    with db.unit_of_work() as s:
        publish(s, f"key: {key}\nname: 跑批\nsla_hours: 1\nsteps:\n"
                   "  - {id: a, name: 甲, role: branch_manager, level: sub_branch, sla_hours: 1}\n")
        inst = wf.start(s, principal(s, "manager1"), process_key=key, subject_type="wf_test", subject_id=uid(),
                        facts={}, now=dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC))  # long ago
        return inst.id


def _cards(db, instance_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return sorted(f"{c.target.split(':')[0]}:{c.color}" for c in s.execute(
            select(SlaCard).where(SlaCard.instance_id == instance_id)).scalars())


def test_the_end_of_day_step_is_registered_and_issues_cards(fresh_demo) -> None:
    from zhanye.batch import service as batch

    step = next(s for s in batch.steps() if s.name == "workflow.sla_scan")
    assert step.order == 900 and step.chunked is False
    inst_id = _overdue_instance(fresh_demo)
    seen: list[int] = []
    with fresh_demo.unit_of_work() as s:
        rows = step.fn(s, dt.date(2026, 1, 5), lambda n, total: seen.append(n))
    assert rows >= 4 and seen == [rows]
    assert _cards(fresh_demo, inst_id) == ["instance:red", "instance:yellow", "step:red", "step:yellow"]


def test_the_periodic_scan_thread(fresh_demo) -> None:
    from zhanye.workflow.setup import PeriodicScan, scan_interval

    assert scan_interval() == 0  # off under pytest unless asked for
    inst_id = _overdue_instance(fresh_demo)
    scanner = PeriodicScan(SimpleNamespace(state=SimpleNamespace(db=fresh_demo)), 0.05)  # type: ignore[arg-type]
    scanner.start()
    deadline = time.time() + 20
    while scanner.runs < 1 and time.time() < deadline:
        time.sleep(0.05)
    scanner.shutdown()
    assert scanner.runs >= 1 and not scanner.thread.is_alive()
    assert len(_cards(fresh_demo, inst_id)) == 4


def test_the_server_starts_and_stops_the_scan_with_its_lifespan(fresh_demo, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from zhanye.core.config import get_settings
    from zhanye.web.app import create_app

    monkeypatch.setenv("ZHANYE_WORKFLOW_SLA_SCAN_SECONDS", "0.05")
    app = create_app(get_settings(), database=fresh_demo)
    scanner = app.state.workflow_sla_scan
    assert not scanner.thread.is_alive()
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert scanner.thread.is_alive()
    assert not scanner.thread.is_alive()
