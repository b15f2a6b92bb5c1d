"""Cards with a frozen clock: crossing 80% and 100% gives exactly one yellow and one red card per
step and per instance, recorded with person and institution, kept after completion."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.integration.workflow.helpers import open_tasks, principal, publish, uid
from zhanye.core.calendar import BANK_TZ
from zhanye.workflow import service as wf
from zhanye.workflow.models import Notification, ProcessInstance, ProcessStep, SlaCard


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BANK_TZ)  # 23 Nov 2026 is a Monday


def cards(session, instance_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((c.target.split(":")[0], c.color) for c in session.execute(
        select(SlaCard).where(SlaCard.instance_id == instance_id)).scalars())


def test_yellow_then_red_exactly_once_with_person_and_institution(fresh_demo) -> None:
    db = fresh_demo
    key = f"test.sla_{uid()}"
    with db.unit_of_work() as s:
        publish(s, f"""
key: {key}
name: 时效测试
sla_hours: 10
steps:
  - {{id: review, name: 审核, role: branch_manager, level: sub_branch, sla_hours: 5}}
""")
        inst = wf.start(s, principal(s, "manager1"), process_key=key, subject_type="wf_test", subject_id=uid(),
                        facts={}, summary="时效测试", now=local(23, 9))
        inst_id = inst.id
        (task,) = open_tasks(s, inst_id)
        task_id = task.id
        step = s.get(ProcessStep, task.step_id)
        # 5 working hours from Mon 09:00: 3h until noon, 2h after 13:30 -> 15:30; 80% = 4h -> 14:30
        assert step.yellow_at == local(23, 14, 30) and step.due_at == local(23, 15, 30)  # type: ignore[union-attr]
        # 10 working hours: Mon 7.5h, then Tue from 08:30 -> 11:00; 80% = 8h -> Tue 09:00
        assert inst.yellow_at == local(24, 9) and inst.due_at == local(24, 11)
        wf.claim(s, principal(s, "sub101"), task_id=task_id, now=local(23, 10))

    def scan(at: dt.datetime) -> None:
        with db.unit_of_work() as s:
            wf.scan(s, at)

    scan(local(23, 14, 29))
    with db.unit_of_work() as s:
        assert cards(s, inst_id) == []
    scan(local(23, 14, 30))
    scan(local(23, 14, 45))
    with db.unit_of_work() as s:
        assert cards(s, inst_id) == [("step", "yellow")]
        card = s.execute(select(SlaCard).where(SlaCard.instance_id == inst_id)).scalar_one()
        sub101 = principal(s, "sub101")
        assert card.staff_id == sub101.staff_id and card.institution_id == sub101.institution_id
        kinds = [n.kind for n in s.execute(select(Notification).where(Notification.task_id == task_id)).scalars()]
        assert kinds.count("due_soon") == 1
    scan(local(23, 15, 30))
    scan(local(23, 17))
    scan(local(24, 9))  # the instance crosses 80% on Tuesday morning
    scan(local(24, 9, 5))
    with db.unit_of_work() as s:
        assert cards(s, inst_id) == [("instance", "yellow"), ("step", "red"), ("step", "yellow")]
        kinds = [n.kind for n in s.execute(select(Notification).where(Notification.task_id == task_id)).scalars()]
        assert kinds.count("overdue") == 1
        # approved at 11:30, after the instance's due time but before any scan saw it
        wf.act(s, principal(s, "sub101"), task_id=task_id, action="approve", now=local(24, 11, 30))
    scan(local(24, 12))
    with db.unit_of_work() as s:
        assert cards(s, inst_id) == [("instance", "red"), ("instance", "yellow"), ("step", "red"), ("step", "yellow")]
        inst = s.get(ProcessInstance, inst_id)
        assert inst.status == "approved" and inst.card == "red"  # type: ignore[union-attr]
        # cycle: Mon 09:00-18:00 (7.5h) + Tue 08:30-11:30 (3h) = 10.5 working hours
        assert inst.cycle_seconds == int(10.5 * 3600)  # type: ignore[union-attr]
        metrics = wf.metrics(s, principal(s, "executive"), process_key=key)
        (row,) = metrics["processes"]
        assert row["count"] == 1 and row["median_hours"] == 10.5 and row["on_time_rate"] == 0.0
        assert row["red_cards"] == 1
        person = next(p for p in metrics["cards_by_person"] if p["staff_id"] == principal(s, "sub101").staff_id)
        assert person["red"] >= 1 and person["yellow"] >= 1


def test_a_step_started_outside_working_hours_counts_from_the_next_period(fresh_demo) -> None:
    db = fresh_demo
    key = f"test.night_{uid()}"
    with db.unit_of_work() as s:
        publish(s, f"key: {key}\nname: 夜间\nsla_hours: 2\nsteps:\n"
                   "  - {id: a, name: 甲, role: branch_manager, level: sub_branch}\n")
        # Saturday 28 Nov 22:00 -> counting starts Monday 30 Nov 08:30
        inst = wf.start(s, principal(s, "manager1"), process_key=key, subject_type="wf_test", subject_id=uid(),
                        facts={}, now=local(28, 22))
        assert inst.due_at == local(30, 10, 30)
        assert inst.yellow_at == dt.datetime(2026, 11, 30, 10, 6, tzinfo=BANK_TZ)
        result = wf.scan(s, local(30, 10, 5))
        assert s.get(ProcessInstance, inst.id).card == "none"  # type: ignore[union-attr]
        result = wf.scan(s, local(30, 10, 30))
        assert result.yellow_instances >= 1 and result.red_instances >= 1
        assert cards(s, inst.id) == [("instance", "red"), ("instance", "yellow")]
