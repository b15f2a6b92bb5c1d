"""Approval through the workflow: approve with adjusted amount and rate, reject, return, withdraw."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from tests.integration.origination.helpers import principal, snapshot, verified_customer
from zhanye.core.errors import InvalidTransition, ValidationFailed
from zhanye.lending import products
from zhanye.lending.origination import service
from zhanye.workflow import service as workflow


def always_product(session) -> str:  # type: ignore[no-untyped-def]
    """A product version whose applications always go to approval (made once per database)."""
    for p in products.list_products(session):
        if p.code.startswith("TAPR"):
            return p.code
    base = products.config_of(products.current_product(session, code="NHXYD"))
    cfg = base.model_copy(update={"name": "审批测试贷", "approval_mode": "always",
                                  "approval_process_key": "loan.approval"})
    code = "TAPR" + uuid.uuid4().hex[:4].upper()
    products.create_product(session, actor=principal(session, "admin"), code=code, config=cfg)
    return code


def in_approval(db, amount_fen: int = 4_000_000):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        actor = principal(s, "manager1")
        code = always_product(s)
        cust = verified_customer(s, actor)
        app = service.create_application(s, actor=actor, customer_id=cust["customer_id"], product_code=code,
                                         amount_fen=amount_fen, term_months=12, method="interest_first",
                                         guarantee="credit", purpose="养牛")
        service.submit(s, actor=actor, application_id=app.id)
        assert app.state == "in_approval" and app.approval_instance_id
        return app.id, app.approval_instance_id


def task_of(session, username: str, instance_id: int):  # type: ignore[no-untyped-def]
    rows, _ = workflow.inbox(session, principal(session, username), page_size=200)
    found = [t for t, inst, _step in rows if inst.id == instance_id]
    assert found, f"{username} has no task for instance {instance_id}"
    return found[0]


def test_approve_with_adjusted_amount_and_rate_grants_that_line(demo_db) -> None:  # type: ignore[no-untyped-def]
    app_id, inst_id = in_approval(demo_db)
    with demo_db.unit_of_work() as s:
        approver = principal(s, "sub101")
        task = task_of(s, "sub101", inst_id)
        workflow.act(s, approver, task_id=task.id, action="approve", comment="同意，压降额度",
                     adjustments={"approved_amount_fen": 3_000_000, "approved_rate": "0.0420"})
        app = service.get_application(s, actor=approver, application_id=app_id)
        assert app.state == "credit_granted"
        line = service.get_line(s, actor=approver, line_id=app.line_id)
        assert line.limit_fen == 3_000_000 and Decimal(line.annual_rate) == Decimal("0.0420")


def test_adjustment_beyond_authority_is_refused_and_changes_nothing(demo_db) -> None:  # type: ignore[no-untyped-def]
    app_id, inst_id = in_approval(demo_db)
    with demo_db.unit_of_work() as s:
        before = snapshot(s, application_id=app_id)
        task = task_of(s, "sub101", inst_id)
        with pytest.raises(ValidationFailed):
            workflow.act(s, principal(s, "sub101"), task_id=task.id, action="approve",
                         adjustments={"approved_amount_fen": 9_000_000})
        s.rollback()
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, application_id=app_id) == before


def test_reject_ends_the_application(demo_db) -> None:  # type: ignore[no-untyped-def]
    app_id, inst_id = in_approval(demo_db)
    with demo_db.unit_of_work() as s:
        task = task_of(s, "sub101", inst_id)
        workflow.act(s, principal(s, "sub101"), task_id=task.id, action="reject", comment="经营收入不实")
        app = service.get_application(s, actor=principal(s, "manager1"), application_id=app_id)
        assert app.state == "rejected" and app.line_id is None
    with demo_db.unit_of_work() as s, pytest.raises(InvalidTransition):
        service.withdraw(s, actor=principal(s, "manager1"), application_id=app_id, reason="x")


def test_return_keeps_it_in_approval_and_withdraw_cancels_the_process(demo_db) -> None:  # type: ignore[no-untyped-def]
    app_id, inst_id = in_approval(demo_db)
    with demo_db.unit_of_work() as s:
        task = task_of(s, "sub101", inst_id)
        workflow.act(s, principal(s, "sub101"), task_id=task.id, action="return", to_step="submitter",
                     comment="请补充养殖场照片")
        app = service.get_application(s, actor=principal(s, "manager1"), application_id=app_id)
        assert app.state == "in_approval" and app.approval_returned
    with demo_db.unit_of_work() as s:
        manager = principal(s, "manager1")
        service.withdraw(s, actor=manager, application_id=app_id, reason="客户不再需要")
        app = service.get_application(s, actor=manager, application_id=app_id)
        assert app.state == "withdrawn"
        assert workflow.get_instance(s, manager, inst_id).status == "cancelled"


def test_approved_rate_outside_the_product_is_refused(demo_db) -> None:  # type: ignore[no-untyped-def]
    app_id, inst_id = in_approval(demo_db)
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, application_id=app_id)
    with pytest.raises(ValidationFailed) as exc:
        with demo_db.unit_of_work() as s:
            task = task_of(s, "sub101", inst_id)
            workflow.act(s, principal(s, "sub101"), task_id=task.id, action="approve",
                         adjustments={"approved_rate": "0.0600"})
    assert exc.value.errors[0].loc == ["adjustments", "approved_rate"]
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, application_id=app_id) == before
