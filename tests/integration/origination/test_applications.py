"""Applications through admission, the automated decision and approval, to a credit line."""

from __future__ import annotations

import json

import pytest

from tests.integration.origination.helpers import principal, snapshot, verified_customer
from zhanye.core.errors import InvalidTransition, ValidationFailed
from zhanye.lending.origination import service
from zhanye.lending.origination.errors import CustomerNotVerified


def _new(session, actor, cust, **kw):  # type: ignore[no-untyped-def]
    args = {"product_code": "NHXYD", "amount_fen": 15_000_000, "term_months": 12, "method": "interest_first",
            "guarantee": "credit", "purpose": "购买化肥种子"}
    args.update(kw)
    return service.create_application(session, actor=actor, customer_id=cust["customer_id"], **args)


def test_clean_customer_is_approved_automatically_and_gets_a_line(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor)
        app = _new(s, actor, cust)
        assert app.state == "draft" and app.can_submit()
        service.submit(s, actor=actor, application_id=app.id)
        out = service.application_out(app)
    assert out["state"] == "credit_granted", out
    assert out["decision"]["outcome"] == "approve"
    assert all(out["decision_records"].values()), "every decision is recorded and linked"
    assert out["bureau"]["report_no"].startswith("SBXCR")
    with demo_db.unit_of_work(write=False) as s:
        actor = principal(s, "manager1")
        line = service.get_line(s, actor=actor, line_id=out["line_id"])
        assert line.status == "pending_signature" and line.limit_fen == 15_000_000
        assert line.revolving and line.contract_id
        from zhanye.decisions import service as decisions

        rec = decisions.get_record_by_caller if hasattr(decisions, "get_record_by_caller") else None
        assert rec is None or rec  # the record id is on the application; read it back
        from zhanye.decisions.runtime import get_record

        r = get_record(s, principal(s, "risk"), out["decision_records"]["pricing"])
        assert r.caller == f"loan_application:{out['id']}"


def test_blacklisted_or_overdue_customer_is_refused_at_admission(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor, bureau="96")  # bureau: 45 days overdue now
        app = _new(s, actor, cust)
        service.submit(s, actor=actor, application_id=app.id)
        assert app.state == "admission_refused"
        assert "CURRENT_OVERDUE" in json.loads(app.reasons)
        assert app.line_id is None


def test_unverified_customer_cannot_apply(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor, verify=False, eaccount=False)
        before = snapshot(s)
        with pytest.raises(CustomerNotVerified):
            _new(s, actor, cust)
        assert snapshot(s) == before


def test_amount_outside_product_terms_is_refused_with_field(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor, eaccount=False)
        with pytest.raises(ValidationFailed) as exc:
            _new(s, actor, cust, amount_fen=90_000_000)
        assert exc.value.errors[0].loc == ["body", "amount_fen"]


def test_double_submission_and_illegal_transitions_change_nothing(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor)
        app = _new(s, actor, cust)
        service.submit(s, actor=actor, application_id=app.id)
        app_id = app.id
    for action in ("submit", "withdraw", "edit"):
        with demo_db.unit_of_work() as s:
            actor = principal(s, "manager1")
            before = snapshot(s, application_id=app_id)
            with pytest.raises(InvalidTransition):
                if action == "submit":
                    service.submit(s, actor=actor, application_id=app_id)
                elif action == "withdraw":
                    service.withdraw(s, actor=actor, application_id=app_id, reason="客户放弃")
                else:
                    service.update_application(s, actor=actor, application_id=app_id, changes={"amount_fen": 2_000_000})
            assert snapshot(s, application_id=app_id) == before


def test_withdrawn_draft_cannot_be_submitted(demo_db) -> None:  # type: ignore[no-untyped-def]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor, eaccount=False)
        app = _new(s, actor, cust)
        service.withdraw(s, actor=actor, application_id=app.id, reason="客户放弃")
        with pytest.raises(InvalidTransition) as exc:
            service.submit(s, actor=actor, application_id=app.id)
        assert "withdrawn" in str(exc.value.detail_en)


def test_other_institution_cannot_see_the_application(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core.errors import NotFound

    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor, eaccount=False)
        app = _new(s, actor, cust)
        with pytest.raises(NotFound):
            service.get_application(s, actor=principal(s, "manager3"), application_id=app.id)


def test_bureau_down_leaves_the_draft_unchanged(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.core.errors import ProviderUnavailable
    from zhanye.integrations.base import registry

    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        cust = verified_customer(s, actor, bureau="99", eaccount=False)
        app_id = _new(s, actor, cust).id
    with demo_db.unit_of_work(write=False) as s:
        before = snapshot(s, application_id=app_id)
    try:
        with pytest.raises(ProviderUnavailable):
            with demo_db.unit_of_work() as s:
                service.submit(s, actor=principal(s, "manager1"), application_id=app_id)
    finally:
        registry.reset("credit_bureau.query")
    with demo_db.unit_of_work(write=False) as s:
        assert snapshot(s, application_id=app_id) == before == {**before, "application": "draft"}
