"""Engine paths on the shared demo bank: routing by amount, parallel all/any, quorum, reject,
return, delegate, co-sign, adjustments, versions and the outcome handler."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.integration.workflow.helpers import (
    instance,
    open_tasks,
    principal,
    publish,
    start_loan,
    steps,
    system,
    uid,
)
from zhanye.core.errors import ValidationFailed
from zhanye.org import service as org_service
from zhanye.workflow import service as wf
from zhanye.workflow.engine import FactsInvalid, Outcome
from zhanye.workflow.models import ProcessInstance, Task, TaskAction
from zhanye.workflow.tasks import TaskAlreadyDone, TaskNotFound, TaskNotYours

OUTCOMES: list[Outcome] = []
wf.register_outcome_handler("wf_test_loan", lambda session, outcome: OUTCOMES.append(outcome))


def _outcome(instance_id: int) -> Outcome:
    found = [o for o in OUTCOMES if o.instance_id == instance_id]
    assert found, "the handler was not called"
    return found[-1]


def test_small_amount_goes_to_the_sub_branch_manager_and_approval_reaches_the_handler(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 3_000_000)
        (task,) = open_tasks(s, inst.id)
        assert task.role == "branch_manager"
        assert task.institution_id == org_service.find_staff_by_username(s, "sub101").institution_id
        wf.act(s, principal(s, "sub101"), task_id=task.id, action="approve", comment="同意",
               adjustments={"approved_amount_fen": 2_500_000, "approved_rate": "0.0435"},
               attachments=[{"name": "调查报告.pdf", "content_type": "application/pdf", "size": 1024}])
        inst = instance(s, inst.id)
        assert inst.status == "approved" and inst.completed_at is not None and inst.cycle_seconds is not None
        outcome = _outcome(inst.id)
        assert outcome.status == "approved"
        assert outcome.adjustments == {"approved_amount_fen": 2_500_000, "approved_rate": "0.0435"}
        assert outcome.facts == {"amount_fen": 3_000_000}
        action = s.execute(select(TaskAction).where(TaskAction.task_id == task.id,
                                                    TaskAction.action == "approve")).scalar_one()
        assert json.loads(action.attachments)[0]["name"] == "调查报告.pdf"


def test_middle_amount_runs_branch_and_head_office_in_parallel(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 12_000_000)
        tasks = open_tasks(s, inst.id)
        assert sorted(t.role for t in tasks) == ["approver", "branch_manager"]
        bm = next(t for t in tasks if t.role == "branch_manager")
        ho = next(t for t in tasks if t.role == "approver")
        wf.act(s, principal(s, "branch1"), task_id=bm.id, action="approve")
        assert instance(s, inst.id).status == "running"  # all must approve
        wf.act(s, principal(s, "approver"), task_id=ho.id, action="approve")
        assert instance(s, inst.id).status == "approved"


def test_large_amount_goes_to_a_committee_with_quorum(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 50_000_000)
        seats = open_tasks(s, inst.id)
        assert len(seats) == 3 and {t.role for t in seats} == {"approver"}
        wf.act(s, principal(s, "committee1"), task_id=seats[0].id, action="approve")
        with pytest.raises(TaskNotYours):  # one person, one seat
            wf.act(s, principal(s, "committee1"), task_id=seats[1].id, action="approve")
        wf.act(s, principal(s, "committee2"), task_id=seats[1].id, action="approve")
        inst = instance(s, inst.id)
        assert inst.status == "approved"
        third = s.get(Task, seats[2].id)
        assert third is not None and third.status == "cancelled"


def test_committee_rejects_when_quorum_becomes_impossible(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 40_000_000)
        seats = open_tasks(s, inst.id)
        wf.act(s, principal(s, "committee1"), task_id=seats[0].id, action="reject", comment="风险过高")
        assert instance(s, inst.id).status == "running"
        wf.act(s, principal(s, "committee2"), task_id=seats[1].id, action="reject", comment="同意否决")
        assert instance(s, inst.id).status == "rejected"
        assert _outcome(inst.id).status == "rejected"
        assert open_tasks(s, inst.id) == []


def test_rejection_ends_the_instance(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 12_000_000)
        bm = next(t for t in open_tasks(s, inst.id) if t.role == "branch_manager")
        with pytest.raises(ValidationFailed):  # a rejection needs a reason
            wf.act(s, principal(s, "branch1"), task_id=bm.id, action="reject")
        wf.act(s, principal(s, "branch1"), task_id=bm.id, action="reject", comment="收入不足")
        inst = instance(s, inst.id)
        assert inst.status == "rejected" and open_tasks(s, inst.id) == []
        assert _outcome(inst.id).comment == "收入不足"


def test_parallel_any_first_approval_decides(wf_db) -> None:
    key = f"test.any_{uid()}"
    with wf_db.unit_of_work() as s:
        publish(s, f"""
key: {key}
name: 任一审批
steps:
  - id: either
    name: 任一
    mode: any
    parallel:
      - {{role: branch_manager, level: branch}}
      - {{role: approver, level: head_office}}
""")
        actor = principal(s, "manager1")
        inst = wf.start(s, actor, process_key=key, subject_type="wf_test_loan", subject_id=uid(), facts={})
        bm, ho = sorted(open_tasks(s, inst.id), key=lambda t: t.role or "")[::-1]
        wf.act(s, principal(s, "approver"), task_id=ho.id, action="approve")
        assert instance(s, inst.id).status == "approved"
        assert s.get(Task, bm.id).status == "cancelled"  # type: ignore[union-attr]


def test_return_to_submitter_and_resubmit_restarts_routing(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 3_000_000)
        (task,) = open_tasks(s, inst.id)
        wf.act(s, principal(s, "sub101"), task_id=task.id, action="return", to_step="submitter", comment="补充流水")
        inst = instance(s, inst.id)
        assert inst.status == "returned" and _outcome(inst.id).status == "returned"
        (back,) = open_tasks(s, inst.id)
        assert back.kind == "resubmit" and back.assignee_id == inst.submitter_id
        # the resubmitted facts move the application to the parallel tier
        wf.act(s, principal(s, "manager1"), task_id=back.id, action="resubmit", facts={"amount_fen": 12_000_000})
        inst = instance(s, inst.id)
        assert inst.status == "running" and json.loads(inst.facts)["amount_fen"] == 12_000_000
        assert len(open_tasks(s, inst.id)) == 2


def test_return_to_an_earlier_step(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        inst = wf.start(s, actor, process_key="loan.overdue_inspection", subject_type="wf_test_loan",
                        subject_id=uid(), facts={"days_past_due": 31})
        (t1,) = open_tasks(s, inst.id)
        wf.act(s, principal(s, "risk1"), task_id=t1.id, action="approve")
        (t2,) = open_tasks(s, inst.id)
        with pytest.raises(ValidationFailed):  # not a step this instance passed
            wf.act(s, principal(s, "risk1"), task_id=t2.id, action="return", to_step="risk_director", comment="x")
        wf.act(s, principal(s, "risk1"), task_id=t2.id, action="return", to_step="inspect", comment="检视不完整")
        assert [st.step_key for st in steps(s, inst.id)] == ["inspect", "risk_manager", "inspect"]
        assert [st.status for st in steps(s, inst.id)] == ["approved", "returned", "open"]
        assert instance(s, inst.id).status == "running"


def test_delegate_to_a_colleague_of_the_same_role(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 12_000_000)
        ho = next(t for t in open_tasks(s, inst.id) if t.role == "approver")
        committee1 = org_service.find_staff_by_username(s, "committee1")
        with pytest.raises(ValidationFailed):  # not the same role
            wf.act(s, principal(s, "approver"), task_id=ho.id, action="delegate",
                   staff_id=org_service.find_staff_by_username(s, "risk").id)  # type: ignore[union-attr]
        wf.act(s, principal(s, "approver"), task_id=ho.id, action="delegate", staff_id=committee1.id,  # type: ignore[union-attr]
               comment="出差，转委员林")
        task = s.get(Task, ho.id)
        assert task is not None and task.assignee_id == committee1.id and task.status == "open"  # type: ignore[union-attr]
        with pytest.raises(TaskNotYours):
            wf.act(s, principal(s, "approver"), task_id=ho.id, action="approve")
        wf.act(s, principal(s, "committee1"), task_id=ho.id, action="approve")
        assert s.get(Task, ho.id).outcome == "approve"  # type: ignore[union-attr]


def test_cosigner_must_also_approve(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 3_000_000)
        (task,) = open_tasks(s, inst.id)
        risk1 = org_service.find_staff_by_username(s, "risk1")
        wf.act(s, principal(s, "sub101"), task_id=task.id, action="cosign", staff_id=risk1.id)  # type: ignore[union-attr]
        wf.act(s, principal(s, "sub101"), task_id=task.id, action="approve")
        assert instance(s, inst.id).status == "running"
        (cosign,) = open_tasks(s, inst.id)
        assert cosign.kind == "cosign" and cosign.assignee_id == risk1.id  # type: ignore[union-attr]
        wf.act(s, principal(s, "risk1"), task_id=cosign.id, action="approve", comment="会签同意")
        assert instance(s, inst.id).status == "approved"


def test_adjustments_outside_authority_are_refused_and_change_nothing(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 3_000_000)
        (task,) = open_tasks(s, inst.id)
        inst_id, task_id = inst.id, task.id
    for bad in ({"approved_amount_fen": 3_000_001}, {"approved_rate": "0.5"}, {"approved_rate": "abc"},
                {"term_months": 12}, {"approved_amount_fen": True}):
        with pytest.raises(ValidationFailed), wf_db.unit_of_work() as s:
            wf.act(s, principal(s, "sub101"), task_id=task_id, action="approve", adjustments=bad)
    with wf_db.unit_of_work() as s:
        assert s.get(Task, task_id).status == "open"  # type: ignore[union-attr]
        assert instance(s, inst_id).status == "running"
        assert s.execute(select(func.count()).select_from(TaskAction)
                         .where(TaskAction.task_id == task_id)).scalar_one() == 0


def test_scope_a_task_outside_scope_is_not_found_and_not_in_the_inbox(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 3_000_000)  # sub-branch 101
        (task,) = open_tasks(s, inst.id)
        outsider = principal(s, "branch2")  # a branch manager of the other branch
        rows, _ = wf.inbox(s, outsider, page_size=200)
        assert task.id not in [t.id for t, _, _ in rows]
        with pytest.raises(TaskNotFound):
            wf.get_task(s, outsider, task.id)
        with pytest.raises(TaskNotFound):
            wf.act(s, outsider, task_id=task.id, action="approve")
        with pytest.raises(TaskNotFound):
            wf.claim(s, outsider, task_id=task.id)
        mine, _ = wf.inbox(s, principal(s, "sub101"), page_size=200)
        assert task.id in [t.id for t, _, _ in mine]
        assert s.get(Task, task.id).status == "open"  # type: ignore[union-attr]


def test_claim_release_and_acting_twice(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 12_000_000)
        ho = next(t for t in open_tasks(s, inst.id) if t.role == "approver")
        wf.claim(s, principal(s, "committee1"), task_id=ho.id)
        with pytest.raises(TaskNotYours):
            wf.act(s, principal(s, "committee2"), task_id=ho.id, action="approve")
        wf.release(s, principal(s, "committee1"), task_id=ho.id)
        wf.act(s, principal(s, "committee2"), task_id=ho.id, action="approve")
        with pytest.raises(TaskAlreadyDone):
            wf.act(s, principal(s, "committee1"), task_id=ho.id, action="approve")


def test_submitter_cannot_approve_own_submission(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 12_000_000, submitter="branch1")  # the branch manager submits at the branch
        bm = next(t for t in open_tasks(s, inst.id) if t.role == "branch_manager")
        with pytest.raises(TaskNotYours):
            wf.act(s, principal(s, "branch1"), task_id=bm.id, action="approve")


def test_missing_routing_fact_is_refused_and_nothing_written(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        before = s.execute(select(func.count()).select_from(ProcessInstance)).scalar_one()
    with pytest.raises(FactsInvalid) as err, wf_db.unit_of_work() as s:
        wf.start(s, principal(s, "manager1"), process_key="loan.approval", subject_type="wf_test_loan",
                 subject_id=uid(), facts={"amount": 5})
    assert err.value.errors[0].loc == ["facts", "amount_fen"]
    with wf_db.unit_of_work() as s:
        assert s.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == before


def test_new_version_applies_to_new_instances_only(wf_db) -> None:
    key = f"test.versions_{uid()}"
    v1 = f"key: {key}\nname: 版本\nsteps:\n  - {{id: one, name: 一, role: branch_manager, level: sub_branch}}\n"
    v2 = v1 + "  - {id: two, name: 二, role: approver, level: head_office}\n"
    with wf_db.unit_of_work() as s:
        d1 = publish(s, v1)
        old = wf.start(s, principal(s, "manager1"), process_key=key, subject_type="x", subject_id=uid(), facts={})
        d2 = publish(s, v2)
        assert (d1.version, d2.version) == (1, 2)
        assert publish(s, v2).id == d2.id  # unchanged source: no new version
        new = wf.start(s, principal(s, "manager1"), process_key=key, subject_type="x", subject_id=uid(), facts={})
        assert (old.version, new.version) == (1, 2)
        (t_old,) = open_tasks(s, old.id)
        wf.act(s, principal(s, "sub101"), task_id=t_old.id, action="approve")
        assert instance(s, old.id).status == "approved"  # v1 had one step
        (t_new,) = open_tasks(s, new.id)
        wf.act(s, principal(s, "sub101"), task_id=t_new.id, action="approve")
        assert instance(s, new.id).status == "running"  # v2 goes on to head office
        assert len(wf.definition_versions(s, system(s), key)) == 2


def test_cancel_withdraws_a_running_instance(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 3_000_000)
        wf.cancel(s, principal(s, "manager1"), instance_id=inst.id, reason="客户撤回")
        assert instance(s, inst.id).status == "cancelled" and open_tasks(s, inst.id) == []
        assert _outcome(inst.id).status == "cancelled"


@pytest.mark.parametrize("facts", [{"amount_fen": None}, {"amount_fen": "3000000"}, {"amount_fen": True}])
def test_a_routing_fact_that_is_null_or_not_a_number_is_refused(wf_db, facts) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FactsInvalid), wf_db.unit_of_work() as s:
        wf.start(s, principal(s, "manager1"), process_key="loan.approval", subject_type="wf_test_loan",
                 subject_id=uid(), facts=facts)


def test_inbox_filters(wf_db) -> None:
    with wf_db.unit_of_work() as s:
        inst = start_loan(s, 3_000_000)
        (task,) = open_tasks(s, inst.id)
        me = principal(s, "sub101")

        def ids(**kw) -> list[int]:  # type: ignore[no-untyped-def]
            rows, total = wf.inbox(s, me, page_size=200, **kw)
            assert total >= len(rows)
            return [t.id for t, _, _ in rows]

        assert task.id in ids()
        assert task.id in ids(process_key="loan.approval", q=inst.summary, sla_state="ok", claimed=False)
        assert task.id not in ids(process_key="oa.data_change")
        assert task.id not in ids(sla_state="red")
        assert task.id not in ids(claimed=True)
        wf.claim(s, me, task_id=task.id)
        assert task.id in ids(claimed=True) and task.id not in ids(claimed=False)


def test_inbox_pages_by_number_and_by_keyset_agree(wf_db) -> None:
    from zhanye.workflow.tasks import inbox_cursor, parse_inbox_cursor

    with wf_db.unit_of_work() as s:
        key = f"test.no_sla_{uid()}"
        publish(s, f"key: {key}\nname: 无时限\nsteps:\n  - {{id: a, name: 甲, role: branch_manager, level: sub_branch}}\n")
        for _ in range(3):  # tasks without a due instant come last
            wf.start(s, principal(s, "manager1"), process_key=key, subject_type="wf_test", subject_id=uid(), facts={})
        for amount in (1_000_000, 2_000_000, 3_000_000):
            start_loan(s, amount)
        me = principal(s, "sub101")
        by_number: list[Any] = []
        while True:
            rows, total = wf.inbox(s, me, page=len(by_number) // 4 + 1, page_size=4)
            by_number += [t for t, _, _ in rows]
            if len(rows) < 4:
                break
        assert len(by_number) == total and len({t.id for t in by_number}) == total
        never = dt.datetime.max.replace(tzinfo=dt.UTC)
        assert by_number == sorted(by_number, key=lambda t: (t.due_at or never, t.id))
        assert by_number[-1].due_at is None and any(t.due_at is not None for t in by_number)
        by_keyset: list[Any] = []
        after = None
        while True:
            rows, total_again = wf.inbox(s, me, page_size=4, after=parse_inbox_cursor(after) if after else None)
            assert total_again == total
            by_keyset += [t for t, _, _ in rows]
            if len(rows) < 4:
                break
            after = inbox_cursor(rows[-1][0])
        assert [t.id for t in by_keyset] == [t.id for t in by_number]
