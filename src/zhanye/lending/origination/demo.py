"""Demo data of origination (柳河支行, manager1): a farmer whose application the decision approved,
whose line contract is signed and who drew once by self payment (a usage voucher is due); a
second farmer with a granted line waiting for the signature on the tablet; and a draft."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session
from stdnum import luhn
from stdnum.cn import ric

from zhanye.customers.demo import actor_for

# name, birth, sequence, mobile, annual income (fen), requested (fen), what happens
DEMO_FARMERS = [
    ("孙丰收", "19860315", "701", "13904310701", 15_000_000, 15_000_000, "signed_and_drawn"),
    ("周满仓", "19880522", "702", "13904310702", 9_000_000, 8_000_000, "granted"),
    ("吴春耕", "19900909", "703", "13904310703", 6_000_000, 5_000_000, "draft"),
]


def _rid(birth: str, seq: str) -> str:
    body = f"220102{birth}{seq}"
    return body + ric.calc_check_digit(body + "0")


def _card(seq: str) -> str:
    body = f"622848000000{seq}01"
    return body + luhn.calc_check_digit(body)


def seed(session: Session, ctx: Any) -> None:
    from zhanye.customers import kyc, sections
    from zhanye.customers import service as customers
    from zhanye.deposits import eaccounts
    from zhanye.integrations.base import registry
    from zhanye.lending.origination import service

    actor = actor_for(session, "manager1")
    for name, birth, seq, mobile, income, amount, what in DEMO_FARMERS:
        cust, created = customers.create_customer(session, actor=actor, kind="individual", id_number=_rid(birth, seq),
                                                  name=name, mobile=mobile, address="吉林省长春市柳河镇陈家店村")
        if not created:
            continue
        kyc.verify_id(session, actor=actor, customer_id=cust.id)
        sections.save_section(session, actor=actor, customer_id=cust.id, section="income",
                              data={"farming_fen": income, "wages_fen": 0, "business_fen": 0, "other_fen": 0})
        sections.save_section(session, actor=actor, customer_id=cust.id, section="assets",
                              data={"land_area_mu": 20, "livestock": [{"kind": "牛", "head_count": 8,
                                                                       "value_fen": 8_000_000}]})
        eaccounts.open_eaccount(session, actor=actor, institution_id=cust.institution_id, customer_id=cust.id,
                                eclass="II", bound_card=_card(seq), customer_verified=True,
                                holder_index=cust.id_number_bidx)
        app = service.create_application(session, actor=actor, customer_id=cust.id, product_code="NHXYD",
                                         amount_fen=amount, term_months=12, method="interest_first",
                                         guarantee="credit", purpose="春耕购买化肥种子")
        if what == "draft":
            continue
        service.submit(session, actor=actor, application_id=app.id)
        if what != "signed_and_drawn" or app.line_id is None:
            continue
        sms = registry.get("sms")
        if not hasattr(sms, "last_code"):  # a real SMS provider: the customer signs on the tablet
            continue
        service.request_signing_code(session, actor=actor, line_id=app.line_id)
        from zhanye.lending.origination.helpers_demo import signature_png

        result = service.sign(session, actor=actor, line_id=app.line_id, signature_png=signature_png(),
                              sms_code=sms.last_code(mobile))
        if result.ok:
            service.create_drawdown(session, actor=actor, line_id=app.line_id, amount_fen=3_000_000, term_months=6,
                                    method="interest_first", request_key=f"demo:{uuid.uuid4().hex}",
                                    purpose="购买化肥")
