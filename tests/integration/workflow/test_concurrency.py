"""Two approvers act on the same task at the same moment: exactly one succeeds, the other gets a
clear 409 (real threads, each with its own transaction; PostgreSQL when ZHANYE_TEST_PG_URL is set)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.integration.workflow.helpers import open_tasks, principal, start_loan
from zhanye.core.errors import DomainError
from zhanye.workflow import service as wf
from zhanye.workflow.models import ProcessInstance, TaskAction
from zhanye.workflow.tasks import TaskAlreadyDone


def _approve(db, actor, task_id: int, barrier: threading.Barrier, results: list[object]) -> None:  # type: ignore[no-untyped-def]
    barrier.wait()
    try:
        with db.unit_of_work() as s:
            wf.act(s, actor, task_id=task_id, action="approve", comment="at once")
        results.append("ok")
    except DomainError as exc:
        results.append(exc)


def test_two_approvers_act_at_once_exactly_one_succeeds(fresh_demo) -> None:
    db = fresh_demo
    for _round in range(3):
        with db.unit_of_work() as s:
            inst = start_loan(s, 12_000_000)
            task = next(t for t in open_tasks(s, inst.id) if t.role == "approver")  # pool of 3 at head office
            inst_id, task_id = inst.id, task.id
            actors = [principal(s, "committee1"), principal(s, "committee2")]
        barrier = threading.Barrier(2)
        results: list[object] = []

        threads = [threading.Thread(target=_approve, args=(db, a, task_id, barrier, results)) for a in actors]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert results.count("ok") == 1, results
        (error,) = [r for r in results if r != "ok"]
        assert isinstance(error, TaskAlreadyDone) and error.status == 409
        with db.unit_of_work() as s:
            approvals = s.execute(select(func.count()).select_from(TaskAction).where(
                TaskAction.task_id == task_id, TaskAction.action == "approve")).scalar_one()
            assert approvals == 1
            assert s.get(ProcessInstance, inst_id).status == "running"  # type: ignore[union-attr]
