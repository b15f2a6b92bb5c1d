"""Whole-village pre-credit to a signed line and a drawdown; payment management after self-payment."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from tests.integration.origination.helpers import (
    image,
    last_sms_code,
    principal,
    signature_png,
    snapshot,
    verified_customer,
)
from tests.integration.origination.test_lines_drawdowns import draw, granted_line
from zhanye.core.errors import InvalidTransition, ValidationFailed
from zhanye.lending.origination import service


def _campaign_with_household(db):  # type: ignore[no-untyped-def]
    from zhanye.org import service as org_service
    from zhanye.org.models import Institution
    from zhanye.villages import service as villages
    from zhanye.villages.models import CampaignHousehold, Division

    tag = uuid.uuid4().int % 10**6
    with db.unit_of_work() as s:
        system = org_service.system_principal(s)
        town = s.execute(select(Division).where(Division.code == "220122101000")).scalar_one()
        inst = s.execute(select(Institution.id).where(Institution.code == "101")).scalar_one()
        village = villages.create_division(s, actor=system, code=f"O{tag:06d}", name=f"授信村{tag}", level="village",
                                           parent_id=town.id, institution_id=inst)
        hamlet = villages.create_division(s, actor=system, code=f"O{tag:06d}01", name="一组", level="hamlet",
                                          parent_id=village.id)
        m1 = principal(s, "manager1")
        camp = villages.create_campaign(s, actor=m1, village_id=village.id, name="整村授信测试")
        hh = villages.create_household(s, actor=m1, hamlet_id=hamlet.id, household_no="P1", head_name="王建国")
        if s.execute(select(CampaignHousehold).where(CampaignHousehold.campaign_id == camp.id,
                                                     CampaignHousehold.household_id == hh.id)).first() is None:
            s.add(CampaignHousehold(campaign_id=camp.id, household_id=hh.id))
            s.flush()
        cust = verified_customer(s, m1)
        villages.link_member_customer(s, actor=m1, member_id=villages.members(s, actor=m1, household_id=hh.id)[0].id,
                                      customer_id=cust["customer_id"])
        villages.record_review(s, actor=principal(s, "sub101"), campaign_id=camp.id, household_id=hh.id,
                               members_present="村委5人", opinion="approve", recommended_limit_fen=8_000_000)
        return camp.id, hh.id, village.id, cust


def test_precredit_creates_a_line_the_customer_activates_and_draws(demo_db) -> None:  # type: ignore[no-untyped-def]
    from zhanye.villages import coverage

    camp_id, hh_id, village_id, cust = _campaign_with_household(demo_db)
    with demo_db.unit_of_work() as s:
        res = service.run_campaign(s, actor=principal(s, "manager1"), campaign_id=camp_id)
        assert res["credited"] == 1 and res["lines_created"] == 1
        assert res["households"][str(hh_id)]["decision"] == "grant"
        line_id = res["line_ids"][0]
        line = service.get_line(s, actor=principal(s, "manager1"), line_id=line_id)
        assert line.source == "precredit" and line.status == "pending_signature"
        assert line.limit_fen == res["households"][str(hh_id)]["limit_fen"] == 23_200_000
    with demo_db.unit_of_work() as s:  # a second run creates no second line
        again = service.run_campaign(s, actor=principal(s, "manager1"), campaign_id=camp_id)
        assert again["lines_created"] == 0
    with demo_db.unit_of_work() as s:
        service.request_signing_code(s, actor=principal(s, "manager1"), line_id=line_id)
    with demo_db.unit_of_work() as s:
        assert service.sign(s, actor=principal(s, "manager1"), line_id=line_id, signature_png=signature_png(),
                            sms_code=last_sms_code(cust["mobile"])).ok
    draw(demo_db, line_id, 2_000_000, f"pc-{line_id}")
    with demo_db.unit_of_work(write=False) as s:
        row = coverage.coverage(s, actor=principal(s, "manager1"), by="village", village_ids=[village_id])[0]
        assert (row.credited, row.drawn) == (1, 1)


def test_a_returned_entrusted_payment_takes_back_the_household_drawn_figures(demo_db) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.origination.test_entrusted_failure import rejected_card
    from zhanye.villages import coverage
    from zhanye.villages.models import CampaignHousehold

    camp_id, hh_id, village_id, cust = _campaign_with_household(demo_db)
    with demo_db.unit_of_work() as s:
        line_id = service.run_campaign(s, actor=principal(s, "manager1"), campaign_id=camp_id)["line_ids"][0]
        service.request_signing_code(s, actor=principal(s, "manager1"), line_id=line_id)
    with demo_db.unit_of_work() as s:
        assert service.sign(s, actor=principal(s, "manager1"), line_id=line_id, signature_png=signature_png(),
                            sms_code=last_sms_code(cust["mobile"])).ok
    kept = draw(demo_db, line_id, 1_000_000, f"rk-{line_id}")
    returned = draw(demo_db, line_id, 3_000_000, f"rr-{line_id}", payee_name="长春农资有限公司",
                    payee_account=rejected_card())
    with demo_db.unit_of_work(write=False) as s:
        ch = s.execute(select(CampaignHousehold).where(CampaignHousehold.campaign_id == camp_id,
                                                       CampaignHousehold.household_id == hh_id)).scalar_one()
        assert (ch.drawn, ch.drawn_fen) == (True, 4_000_000)
    with demo_db.unit_of_work() as s:
        done = service.confirm_payment(s, actor=principal(s, "manager1"), drawdown_id=returned["id"])
        assert done.clearing_status == "returned"
    with demo_db.unit_of_work(write=False) as s:
        ch = s.execute(select(CampaignHousehold).where(CampaignHousehold.campaign_id == camp_id,
                                                       CampaignHousehold.household_id == hh_id)).scalar_one()
        assert (ch.drawn, ch.drawn_fen) == (True, kept["amount_fen"])
        row = coverage.coverage(s, actor=principal(s, "manager1"), by="village", village_ids=[village_id])[0]
        assert row.drawn == 1


def test_self_payment_voucher_deadline_and_overdue_list(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    out = draw(demo_db, cust["line_id"], 4_000_000, f"v-{cust['line_id']}")
    due = dt.date.fromisoformat(str(out["voucher_due_on"]))
    with demo_db.unit_of_work(write=False) as s:
        actor = principal(s, "manager1")
        assert out["id"] not in [d.id for d in service.overdue_vouchers(s, actor=actor)]
        assert out["id"] in [d.id for d in service.overdue_vouchers(s, actor=actor, on=due + dt.timedelta(days=1))]
    with demo_db.unit_of_work() as s:
        actor = principal(s, "manager1")
        img1, img2 = image(s, actor, cust["customer_id"]), image(s, actor, cust["customer_id"])
        with pytest.raises(ValidationFailed):
            service.add_voucher(s, actor=actor, drawdown_id=out["id"], amount_fen=5_000_000, description="超额",
                                image_refs=[img1])
        other = verified_customer(s, actor, eaccount=False)
        with pytest.raises(ValidationFailed):  # an image of another customer
            service.add_voucher(s, actor=actor, drawdown_id=out["id"], amount_fen=1_000_000, description="他人",
                                image_refs=[image(s, actor, other["customer_id"])])
        service.add_voucher(s, actor=actor, drawdown_id=out["id"], amount_fen=1_500_000, description="化肥发票",
                            image_refs=[img1])
        assert service.get_drawdown(s, actor=actor, drawdown_id=out["id"]).voucher_status == "pending"
        service.add_voucher(s, actor=actor, drawdown_id=out["id"], amount_fen=2_500_000, description="种子收据",
                            image_refs=[img2])
        assert service.get_drawdown(s, actor=actor, drawdown_id=out["id"]).voucher_status == "provided"
        assert out["id"] not in [d.id for d in service.overdue_vouchers(s, actor=actor, on=due + dt.timedelta(days=1))]


def test_offline_payment_application_is_reviewed_by_someone_else(demo_db) -> None:  # type: ignore[no-untyped-def]
    cust = granted_line(demo_db)
    out = draw(demo_db, cust["line_id"], 3_000_000, f"op-{cust['line_id']}")
    with demo_db.unit_of_work() as s:
        m1 = principal(s, "manager1")
        p = service.create_offline_payment(s, actor=m1, drawdown_id=out["id"], amount_fen=2_000_000,
                                           counterparty="李四", purpose="购买牛犊", reason="卖方无银行账户，现金交易")
        with pytest.raises(InvalidTransition):
            service.review_offline_payment(s, actor=m1, payment_id=p.id, approve=True)
        before = snapshot(s)
        with pytest.raises(ValidationFailed):
            service.create_offline_payment(s, actor=m1, drawdown_id=out["id"], amount_fen=1_500_000,
                                           counterparty="王五", purpose="饲料", reason="现金")
        assert snapshot(s) == before
        reviewed = service.review_offline_payment(s, actor=principal(s, "sub101"), payment_id=p.id, approve=True,
                                                  comment="同意")
        assert reviewed.status == "approved"
        with pytest.raises(InvalidTransition):
            service.review_offline_payment(s, actor=principal(s, "sub101"), payment_id=p.id, approve=False,
                                           comment="x")


def test_precredit_page(client, auth, demo_db) -> None:  # type: ignore[no-untyped-def]
    camp_id, hh_id, _village_id, _cust = _campaign_with_household(demo_db)
    m1 = auth("manager1")
    assert client.get(f"/origination/campaigns/{camp_id}/precredit", headers=m1).status_code == 200
    r = client.post(f"/origination/campaigns/{camp_id}/precredit", headers=m1, data={"product_code": "NHXYD"})
    assert r.status_code == 200 and 'data-testid="precredit-result"' in r.text
    assert client.get(f"/origination/campaigns/{camp_id}/precredit", headers=auth("manager3")).status_code == 404
