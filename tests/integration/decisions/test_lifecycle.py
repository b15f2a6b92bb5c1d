"""Version lifecycle: maker-checker, suite gate, immutability, one active per scope, rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import count_rows
from tests.integration.decisions.conftest import new_version, threshold_graph
from zhanye.core.errors import InvalidTransition, ValidationFailed
from zhanye.core.models import AuditRecord
from zhanye.decisions import service
from zhanye.decisions.errors import MakerChecker, SuiteFailing
from zhanye.decisions.models import DecisionActivation, DecisionVersion


def _status(db, vid):
    with db.unit_of_work(write=False) as s:
        return s.get(DecisionVersion, vid).status


def test_maker_cannot_approve_own_version(demo_db, people, strategy):
    with demo_db.unit_of_work() as s:
        v = service.create_version(s, people["maker"], key=strategy["key"], content=threshold_graph(650))
        service.submit_version(s, people["maker"], v.id, change_note="raise cut")
        vid = v.id
    with pytest.raises(MakerChecker), demo_db.unit_of_work() as s:
        service.approve_version(s, people["maker"], vid)
    assert _status(demo_db, vid) == "submitted"


def test_submitted_version_is_immutable(demo_db, people, strategy):
    with pytest.raises(InvalidTransition), demo_db.unit_of_work() as s:
        service.update_draft(s, people["maker"], strategy["v1"], content=threshold_graph(10))
    with demo_db.unit_of_work(write=False) as s:
        assert '">= 600"' in s.get(DecisionVersion, strategy["v1"]).content


def test_failing_suite_blocks_submit_and_change_note_required(demo_db, people, strategy):
    with demo_db.unit_of_work() as s:
        vid = service.create_version(s, people["maker"], key=strategy["key"], content=threshold_graph(800)).id
    with pytest.raises(SuiteFailing) as info, demo_db.unit_of_work() as s:
        service.submit_version(s, people["maker"], vid, change_note="too strict")
    assert info.value.extra["failing"] == ["high approves"]
    with pytest.raises(ValidationFailed), demo_db.unit_of_work() as s:
        service.submit_version(s, people["maker"], vid, change_note="  ")
    assert _status(demo_db, vid) == "draft"


def test_one_active_per_scope_and_rollback(demo_db, people, strategy):
    key = strategy["key"]
    v2 = new_version(demo_db, people, key, 650)
    assert _status(demo_db, strategy["v1"]) == "retired"
    assert _status(demo_db, v2) == "active"
    with demo_db.unit_of_work(write=False) as s:
        open_rows = s.execute(select(func.count()).select_from(DecisionActivation).join(
            DecisionVersion, DecisionVersion.id == DecisionActivation.version_id).where(
            DecisionActivation.ended_at.is_(None), DecisionVersion.id.in_([strategy["v1"], v2]))).scalar_one()
        audits_before = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert open_rows == 1
    with demo_db.unit_of_work() as s:
        assert service.decide(s, key, {"score": 620}, record="off").output == {"decision": "refer"}
        back = service.rollback(s, people["checker"], key=key)
        assert back.id == strategy["v1"]
        # the cache is invalidated by the activation: the next decision uses v1 again
        assert service.decide(s, key, {"score": 620}, record="off").output == {"decision": "approve"}
    assert _status(demo_db, v2) == "retired"
    with demo_db.unit_of_work(write=False) as s:
        assert s.execute(select(func.count()).select_from(AuditRecord)).scalar_one() == audits_before + 1


def test_activate_requires_approved(demo_db, people, strategy):
    with demo_db.unit_of_work() as s:
        vid = service.create_version(s, people["maker"], key=strategy["key"], content=threshold_graph(500)).id
    before = count_rows(demo_db, "decisions_activation")
    with pytest.raises(InvalidTransition), demo_db.unit_of_work() as s:
        service.activate_version(s, people["checker"], vid)
    assert count_rows(demo_db, "decisions_activation") == before


def test_branch_override_wins_for_its_subtree(demo_db, people, strategy):
    key = strategy["key"]
    new_version(demo_db, people, key, 300, institution_id=people["branch"])
    with demo_db.unit_of_work() as s:
        assert service.decide(s, key, {"score": 350}, institution_id=people["sub"], record="off").output == {
            "decision": "approve"}
        assert service.decide(s, key, {"score": 350}, record="off").output == {"decision": "decline"}


def test_the_database_refuses_a_second_open_activation(demo_db, people, strategy):
    from sqlalchemy.exc import IntegrityError

    with demo_db.unit_of_work(write=False) as s:
        dec_id = s.get(DecisionVersion, strategy["v1"]).decision_id
    with pytest.raises(IntegrityError), demo_db.unit_of_work() as s:
        s.add(DecisionActivation(decision_id=dec_id, institution_id=people["head"], version_id=strategy["v1"]))
        s.flush()
