"""End-of-day consequences of overdue: the overdue inspection through the workflow on the first
overdue day, one collection case per customer assigned by rules and closed by repayment,
classification history with GL reclassification, late inspections; post-loan inspection with a
risk warning demanding early repayment."""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.integration.servicing.helpers import (
    eaccount,
    fund,
    inst_id,
    ledger_ok,
    make_product,
    new_customer,
    open_test_loan,
    run_until,
    snapshot,
    staff_principal,
    system,
)
from zhanye.core.errors import DomainError
from zhanye.core.models import KernelSetting
from zhanye.lending.servicing import collections, inspections, repayments, service
from zhanye.lending.servicing.models import (
    ClassificationChange,
    CollectionCase,
    Inspection,
    Loan,
    OverdueInspection,
    RiskWarning,
)


def test_overdue_task_collections_and_classification(fresh_bank) -> None:
    db = fresh_bank
    with db.unit_of_work() as s:
        s.add(KernelSetting(key="servicing.classification_thresholds", value="0,10,20,30"))
        pid = make_product(s, grace_days=2)
        customer = new_customer()
        acc = eaccount(s, customer_id=customer)
        a = open_test_loan(s, product_id=pid, customer_id=customer, account_id=acc)
        b = open_test_loan(s, product_id=pid, customer_id=customer, account_id=acc, principal=600_000)
        other = open_test_loan(s, product_id=pid, code="201")
        collections.add_rule(s, actor=system(s), collector_id=staff_principal(s, "risk1").staff_id,
                             institution_id=inst_id(s, "101"), min_dpd=1, max_dpd=30, priority=10)
        collections.add_rule(s, actor=system(s), collector_id=staff_principal(s, "risk").staff_id, min_dpd=1,
                             priority=100)
        ids = (a.id, b.id, other.id)
    # due Feb 5, grace 2: overdue on Feb 8 (DPD 3)
    run_until(db, dt.date(2026, 2, 8))
    with db.unit_of_work(write=False) as s:
        assert s.execute(select(func.count()).select_from(OverdueInspection)).scalar_one() == 0
    run_until(db, dt.date(2026, 2, 9))
    with db.unit_of_work(write=False) as s:
        loans = [s.get(Loan, i) for i in ids]
        assert [x.dpd for x in loans] == [3, 3, 3]
        recs = list(s.execute(select(OverdueInspection).order_by(OverdueInspection.id)).scalars())
        assert [r.loan_id for r in recs] == list(ids)
        assert all(r.instance_id is not None for r in recs), [r.error for r in recs]
        details = json.loads(recs[0].details)
        assert details["overdue"]["principal"] > 0 and details["other_loans"][0]["loan_id"] == ids[1]
        cases = list(s.execute(select(CollectionCase).where(CollectionCase.status == "open")
                               .order_by(CollectionCase.id)).scalars())
        assert len(cases) == 2  # one per customer, not per loan
        mine = next(c for c in cases if c.customer_id == customer)
        assert mine.collector_id == staff_principal(s, "risk1").staff_id
        assert next(c for c in cases if c.customer_id != customer).collector_id == staff_principal(s, "risk").staff_id
        from zhanye.workflow.models import ProcessInstance

        inst = s.get(ProcessInstance, recs[0].instance_id)
        assert inst.process_key == "loan.overdue_inspection" and inst.subject_id == str(ids[0])
    # the next day: no second task for the same overdue episode
    run_until(db, dt.date(2026, 2, 10))
    with db.unit_of_work(write=False) as s:
        assert s.execute(select(func.count()).select_from(OverdueInspection)).scalar_one() == 3
    # thresholds 0,10,20,30: 关注 from DPD 1, 次级 from 11, 可疑 from 21; reclassified in the ledger too
    run_until(db, dt.date(2026, 2, 28))
    with db.unit_of_work(write=False) as s:
        hist = list(s.execute(select(ClassificationChange).where(ClassificationChange.loan_id == ids[0])
                              .order_by(ClassificationChange.id)).scalars())
        assert [(h.from_cls, h.to_cls, h.dpd) for h in hist] == [(0, 1, 3), (1, 2, 11), (2, 3, 21)]
    ledger_ok(db)
    # paying both loans' dues cures the customer: the case closes at once
    with db.unit_of_work() as s:
        fund(s, acc, 500_000)
        for i in ids[:2]:
            repayments.repay(s, actor=system(s), loan_id=i, amount_fen=200_000, channel="eaccount",
                             external_id=f"cure-{i}")
        case = s.execute(select(CollectionCase).where(CollectionCase.customer_id == customer)).scalar_one()
        assert case.status == "closed" and case.outcome == "repaid"
    run_until(db, dt.date(2026, 3, 1))
    with db.unit_of_work(write=False) as s:
        assert s.get(Loan, ids[0]).dpd == 0
        assert s.get(Loan, ids[0]).cls == 3  # non-performing is never upgraded automatically
        assert s.get(Loan, ids[2]).cls == 3
    ledger_ok(db)


def test_inspection_with_demand_for_early_repayment(fresh_bank) -> None:
    db = fresh_bank
    from tests.integration.origination.helpers import verified_customer
    from zhanye.customers import images as customer_images

    with db.unit_of_work() as s:
        pid = make_product(s, grace_days=0)
        cust = verified_customer(s, staff_principal(s, "manager1"), eaccount=False)["customer_id"]
        stranger = verified_customer(s, staff_principal(s, "manager1"), eaccount=False)["customer_id"]
        foreign = customer_images.add_image(s, actor=staff_principal(s, "manager1"), customer_id=stranger,
                                            purpose="house", data=_jpeg()).id
        id_card = customer_images.add_image(s, actor=staff_principal(s, "manager1"), customer_id=cust,
                                            purpose="id_front", data=_jpeg()).id
        loan = open_test_loan(s, product_id=pid, customer_id=cust)
        loan_id = loan.id
        insp = s.execute(select(Inspection).where(Inspection.loan_id == loan_id)).scalar_one()
        assert insp.kind == "first" and insp.due_date == dt.date(2026, 1, 20)
    run_until(db, dt.date(2026, 1, 22))
    with db.unit_of_work() as s:
        insp = s.execute(select(Inspection).where(Inspection.loan_id == loan_id)).scalar_one()
        assert insp.status == "late"
        insp_id = insp.id
        manager = staff_principal(s, "manager1")
        before = snapshot(s, loan_id)
        answers = {k: k != "income" for k, _ in inspections.QUESTIONS}
        for bad in ({"answers": {"funds_use": True}, "images": []},
                    {"answers": answers, "images": ["data:image/jpeg;base64,AAAA"]},  # not a picture
                    {"answers": answers, "images": [str(foreign)]},  # another customer's image
                    {"answers": answers, "images": [str(id_card)]},  # an ID card is no inspection photo
                    {"answers": answers, "images": ["\u00b2"]},  # a digit, but not an id
                    {"answers": answers, "images": ["data:image/jpeg;base64," + base64.b64encode(_jpeg()).decode(),
                                                    "data:image/png;base64,iVBORw0KGgo="]}):  # one good, one broken
            with pytest.raises(DomainError), s.begin_nested():
                inspections.perform(s, actor=manager, inspection_id=insp_id, note="", latitude=None, longitude=None,
                                    conclusion="normal", **bad)
        images_before = len(customer_images.list_images(s, actor=manager, customer_id=cust))
    with db.unit_of_work() as s:
        assert snapshot(s, loan_id) == before
        assert len(customer_images.list_images(s, actor=manager, customer_id=cust)) == images_before
        photo = "data:image/jpeg;base64," + base64.b64encode(_jpeg()).decode()
        done = inspections.perform(s, actor=staff_principal(s, "manager1"), inspection_id=insp_id,
                                   answers=answers, note="养殖场受灾",
                                   latitude=Decimal("43.880000"), longitude=Decimal("125.320000"),
                                   images=[photo], conclusion="risk",
                                   warning={"level": "high", "disposal": "demand_repayment", "reason": "灾害致收入中断"})
        stored = [i for i in customer_images.list_images(s, actor=manager, customer_id=cust)
                  if i.purpose == "inspection"]
        assert json.loads(done.images) == [stored[0].id]  # kept as the customer's image, not in the row
        assert len(stored) == 1 and stored[0].gps == "43.880000,125.320000"
    with db.unit_of_work(write=False) as s:
        w = s.execute(select(RiskWarning).where(RiskWarning.loan_id == loan_id)).scalar_one()
        assert (w.level, w.disposal) == ("high", "demand_repayment")
        loan = s.get(Loan, loan_id)
        due = service.overdue_amounts(s, loan)
        # 17 nights of accrual (Jan 5 .. Jan 21) at 200 fen fall due with the whole principal today
        assert due == {"principal": 1_200_000, "interest": 17 * 200, "penalty": 0, "compound": 0}
        nxt = s.execute(select(Inspection).where(Inspection.loan_id == loan_id, Inspection.status == "scheduled")
                        ).scalar_one()
        assert nxt.kind == "periodic" and nxt.due_date <= dt.date(2026, 1, 22) + dt.timedelta(days=30)
    run_until(db, dt.date(2026, 1, 24))
    with db.unit_of_work(write=False) as s:
        assert s.get(Loan, loan_id).dpd == 1
    ledger_ok(db)


def _jpeg() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(buf, "JPEG")
    return buf.getvalue()


def test_promises_to_pay_are_kept_or_broken_by_the_end_of_day(fresh_bank) -> None:
    """A promise is kept once the customer's repayments since the promise reach the amount (even
    before the date); unmet at the end of the promised date, it is broken."""
    from zhanye.lending.servicing.models import CollectionContact

    db = fresh_bank
    with db.unit_of_work() as s:
        pid = make_product(s, grace_days=0)
        customer = new_customer()
        acc = eaccount(s, customer_id=customer)
        loan_id = open_test_loan(s, product_id=pid, customer_id=customer, account_id=acc).id
        neighbour = new_customer()  # overdue too, pays nothing: their promise is theirs alone
        open_test_loan(s, product_id=pid, customer_id=neighbour, account_id=eaccount(s, customer_id=neighbour))
        collections.add_rule(s, actor=system(s), collector_id=staff_principal(s, "risk").staff_id, min_dpd=1)
    run_until(db, dt.date(2026, 2, 7))  # due Feb 5: overdue, cases open
    with db.unit_of_work() as s:
        collector = staff_principal(s, "risk")

        def promise(who: int, amount: int, day: dt.date) -> int:
            case = s.execute(select(CollectionCase).where(CollectionCase.customer_id == who)).scalar_one()
            return collections.log_contact(s, actor=collector, case_id=case.id, channel="phone", result="promise",
                                           promise_amount_fen=amount, promise_date=day).id

        other = promise(neighbour, 1_000, dt.date(2026, 2, 20))
        unmet = promise(customer, 150_000, dt.date(2026, 2, 9))
        met = promise(customer, 100_000, dt.date(2026, 2, 20))
        fund(s, acc, 60_000)  # all of it repaid now: nothing left for the auto-debit
        repayments.repay(s, actor=system(s), loan_id=loan_id, amount_fen=60_000, channel="eaccount",
                         external_id="promise-1")
    run_until(db, dt.date(2026, 2, 9))
    with db.unit_of_work(write=False) as s:
        assert [s.get(CollectionContact, i).promise_status for i in (unmet, met, other)] == ["pending"] * 3
    with db.unit_of_work() as s:
        fund(s, acc, 50_000)
        repayments.repay(s, actor=system(s), loan_id=loan_id, amount_fen=50_000, channel="eaccount",
                         external_id="promise-2")
    run_until(db, dt.date(2026, 2, 10))  # the end of Feb 9: 110,000 paid since the promises
    with db.unit_of_work(write=False) as s:
        statuses = [s.get(CollectionContact, i).promise_status for i in (unmet, met, other)]
    assert statuses == ["broken", "kept", "pending"], statuses  # 150,000 promised by Feb 9, 110,000 paid
    ledger_ok(db)
