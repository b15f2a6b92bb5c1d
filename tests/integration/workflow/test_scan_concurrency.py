"""Several SLA scans at the same moment (real threads, each with its own transaction; PostgreSQL
when ZHANYE_TEST_PG_URL is set): every card is issued once and every notice sent once; the state
columns end where one scan would leave them."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from tests.integration.workflow.helpers import principal, publish, uid
from zhanye.core.calendar import BANK_TZ
from zhanye.workflow import service as wf
from zhanye.workflow.models import Notification, ProcessInstance, ProcessStep, SlaCard


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BANK_TZ)  # 23 Nov 2026 is a Monday


def test_concurrent_scans_issue_each_card_and_notice_once(fresh_demo) -> None:
    db = fresh_demo
    key = f"test.race_{uid()}"
    with db.unit_of_work() as s:
        publish(s, f"key: {key}\nname: 并发扫描\nsla_hours: 4\nsteps:\n"
                   "  - {id: a, name: 甲, role: branch_manager, level: sub_branch, sla_hours: 2}\n")
        ids = [wf.start(s, principal(s, "manager1"), process_key=key, subject_type="wf_test", subject_id=uid(),
                        facts={}, summary=f"并发 {i}", now=local(23, 9)).id for i in range(6)]
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            with db.unit_of_work() as s:
                wf.scan(s, local(24, 17))  # past every yellow and due instant
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with db.unit_of_work() as s:
        per_object = s.execute(select(SlaCard.instance_id, SlaCard.step_id, SlaCard.color, func.count())
                               .where(SlaCard.instance_id.in_(ids))
                               .group_by(SlaCard.instance_id, SlaCard.step_id, SlaCard.color)).all()
        assert len(per_object) == 6 * 4 and all(n == 1 for *_k, n in per_object)  # step + instance, 2 colours
        notes = s.execute(select(Notification.kind, func.count()).where(
            Notification.instance_id.in_(ids), Notification.kind.in_(("due_soon", "overdue")))
            .group_by(Notification.kind)).all()
        assert notes == [("overdue", 6)]
        steps = s.execute(select(ProcessStep.card, ProcessStep.sla_next_at)
                          .where(ProcessStep.instance_id.in_(ids))).all()
        insts = s.execute(select(ProcessInstance.card, ProcessInstance.sla_next_at)
                          .where(ProcessInstance.id.in_(ids))).all()
        assert set(steps) == {("red", None)} and set(insts) == {("red", None)}
        again = wf.scan(s, local(24, 17))
        assert again.cards == 0 and again.notifications == 0
