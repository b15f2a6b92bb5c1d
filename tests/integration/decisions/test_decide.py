"""decide(): schema validation, recording modes, replay, history, champion/challenger."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.conftest import count_rows
from tests.integration.decisions.conftest import new_version
from zhanye.decisions import recording, runtime, service
from zhanye.decisions.errors import InvalidFacts
from zhanye.decisions.models import DecisionRecord

ADM = {"age": 35, "term_months": 12, "blacklisted": False, "identity_verified": True, "current_overdue_days": 0,
       "monthly_income_fen": 800000, "monthly_debt_payment_fen": 200000}


def test_admission_decision_is_recorded_in_the_callers_transaction(demo_db, people):
    with demo_db.unit_of_work() as s:
        res = service.decide(s, "loan.admission", ADM, caller="loan_application:it-1")
        assert res.output["decision"] == "approve" and res.record_id
        rid = res.record_id
    with demo_db.unit_of_work(write=False) as s:
        rec = s.get(DecisionRecord, rid)
        assert rec.caller == "loan_application:it-1" and rec.output == res.output and rec.input == ADM
    # rolled back with the caller: no record survives
    before = count_rows(demo_db, "decisions_record")
    with pytest.raises(RuntimeError), demo_db.unit_of_work() as s:
        service.decide(s, "loan.admission", ADM, caller="loan_application:it-2")
        raise RuntimeError("the application failed later")
    assert count_rows(demo_db, "decisions_record") == before


def test_bad_facts_list_every_field_and_record_nothing(demo_db):
    before = count_rows(demo_db, "decisions_record")
    bad = {**ADM, "age": "thirty", "term_months": 0, "unexpected": 1}
    del bad["blacklisted"]
    with pytest.raises(InvalidFacts) as info, demo_db.unit_of_work() as s:
        service.decide(s, "loan.admission", bad)
    fields = {".".join(map(str, e.loc)): e.type for e in info.value.errors}
    assert fields["age"] == "type" and fields["term_months"] == "range" and fields["blacklisted"] == "missing"
    assert "" in fields  # the unexpected extra field is reported at the root
    assert count_rows(demo_db, "decisions_record") == before


def test_pricing_outputs_are_integers_of_fen(demo_db):
    with demo_db.unit_of_work() as s:
        out = service.decide(s, "loan.limit_pricing", {"rating": "B", "guarantee_type": "guarantor",
                                                       "annual_income_fen": 8012345, "requested_fen": 90000000,
                                                       "lpr": "0.0310"}, record="off").output
    assert isinstance(out["limit_fen"], int) and isinstance(out["spread_bps"], int)
    assert out["limit_fen"] == 24000000 and out["decision"] == "approve"


def test_sub_decision_graph_and_trace(demo_db, people):
    facts = {**ADM, "land_mu": 12, "annual_income_fen": 8000000, "livestock": 5, "existing_debt_fen": 0,
             "past_overdue_days": 0, "guarantee_type": "credit", "requested_fen": 10000000, "lpr": "0.0310"}
    with demo_db.unit_of_work() as s:
        res = service.decide(s, "loan.assess", facts, trace=True, caller="trace-test")
        rid = res.record_id
    assert res.output["rating"] == "A" and res.output["decision"] == "approve"
    assert {"adm", "rt", "pr"} <= set(res.trace)
    with demo_db.unit_of_work(write=False) as s:
        rec = s.get(DecisionRecord, rid)
        assert rec.trace is not None


def test_replay_gives_the_same_output_with_trace(demo_db, people):
    with demo_db.unit_of_work() as s:
        rid = service.decide(s, "loan.admission", {**ADM, "monthly_debt_payment_fen": 480000}, caller="replay").record_id
    with demo_db.unit_of_work(write=False) as s:
        out = service.replay(s, people["maker"], record_id=rid)
    assert out["same"] and out["output"]["decision"] == "refer"
    assert out["trace"]["decide"]["traceData"]["rule"]["_id"] == "decide_r6"  # the matched row


def test_buffered_recording_flushes_in_bulk(demo_db):
    with demo_db.unit_of_work(write=False) as s:
        for i in range(30):
            service.decide(s, "fraud.transfer", {"amount_fen": 1000 + i, "hour": 10, "new_payee": False,
                                                 "account_age_days": 100, "txn_count_1h": 0,
                                                 "payee_on_watchlist": False}, caller="buffered-test",
                           record="buffered")
    recording.flush_all()
    with demo_db.unit_of_work(write=False) as s:
        rows = s.execute(select(DecisionRecord).where(DecisionRecord.caller == "buffered-test")).scalars().all()
    assert len(rows) == 30 and all(r.output["action"] == "allow" for r in rows)


def test_at_uses_the_version_active_then(demo_db, people, strategy):
    key = strategy["key"]
    before = dt.datetime.now(dt.UTC)
    new_version(demo_db, people, key, 650)
    with demo_db.unit_of_work(write=False) as s:
        assert service.decide(s, key, {"score": 620}, record="off").output["decision"] == "refer"
        old = service.decide(s, key, {"score": 620}, at=before, record="off")
        assert old.version_id == strategy["v1"] and old.output["decision"] == "approve"


def test_split_and_shadow_challenger(demo_db, people, strategy):
    key = strategy["key"]
    challenger = new_version(demo_db, people, key, 650, activate=False)
    with demo_db.unit_of_work() as s:
        service.set_route(s, people["checker"], key=key, challenger_version_id=challenger, mode="split", percent=50)
    with demo_db.unit_of_work() as s:
        roles = {}
        for cid in range(40):
            r = service.decide(s, key, {"score": 620, "customer_id": cid}, caller=f"c{cid}")
            roles[cid] = r.role
            assert r.output["decision"] == ("refer" if r.role == "challenger" else "approve")
        # sticky: the same customer always gets the same version
        assert all(service.decide(s, key, {"score": 620, "customer_id": c}, record="off").role == roles[c]
                   for c in range(40))
    assert 5 < sum(1 for r in roles.values() if r == "challenger") < 35
    with demo_db.unit_of_work() as s:
        service.set_route(s, people["checker"], key=key, challenger_version_id=challenger, mode="shadow")
    with demo_db.unit_of_work() as s:
        res = service.decide(s, key, {"score": 620}, caller="shadow-1")
        assert res.role == "champion" and res.output["decision"] == "approve"
    with demo_db.unit_of_work(write=False) as s:
        shadow = s.execute(select(DecisionRecord).where(DecisionRecord.caller == "shadow-1",
                                                        DecisionRecord.role == "shadow")).scalar_one()
        assert shadow.output == {"decision": "refer"} and shadow.champion_output == {"decision": "approve"}
        from zhanye.decisions.records import challenger_report

        report = challenger_report(s, people["maker"], key=key)
    assert report["shadow"]["compared"] == 1 and report["shadow"]["agree"] == 0
    assert {v["role"] for v in report["versions"]} == {"champion", "challenger", "shadow"}


def test_simulate_a_draft_without_recording(demo_db, people, strategy):
    from tests.integration.decisions.conftest import threshold_graph

    with demo_db.unit_of_work() as s:
        vid = service.create_version(s, people["maker"], key=strategy["key"], content=threshold_graph(100)).id
    before = count_rows(demo_db, "decisions_record")
    with demo_db.unit_of_work(write=False) as s:
        res = runtime.simulate(s, people["maker"], version_id=vid, facts={"score": 150})
    assert res.output == {"decision": "approve"} and "t" in res.trace
    assert count_rows(demo_db, "decisions_record") == before
