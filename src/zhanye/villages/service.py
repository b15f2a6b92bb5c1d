"""Use cases of divisions, households, manager assignments and whole-village credit campaigns.
The caller owns the transaction.

Hooks for other features (scope-checked):

- ``record_precredit(session, actor=..., household_id=..., limit_fen=..., source="decisions", campaign_id=None)``
  records a batch pre-credit result (授信) for a household in its village's open campaign.
- ``mark_drawn(session, actor=..., household_id=..., amount_fen=..., campaign_id=None)`` records
  a drawdown (用信) so the campaign's drawn rate reflects it; ``unmark_drawn(...)`` takes one back
  when the payment never reached the payee.
- ``register_precredit_engine(fn)``: the decision engine registers ``fn(session, actor, candidate)
  -> limit_fen | None``; ``run_precredit(...)`` applies it to every reviewed household. Without a
  registered engine the committee's recommended limit is used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhanye.core import audit, events
from zhanye.core.context import Principal
from zhanye.core.db import utcnow
from zhanye.core.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from zhanye.core.masking import mask_id_number, mask_name, mask_phone
from zhanye.core.scope import in_scope
from zhanye.customers import pii
from zhanye.customers import service as customer_service
from zhanye.villages.models import (
    LEVELS,
    VISIT_STATUSES,
    Campaign,
    CampaignHousehold,
    Division,
    Household,
    ManagerVillage,
    Member,
    Review,
)

PARENT_LEVEL = {"city": "province", "county": "city", "township": "county", "village": "township",
                "hamlet": "village"}
LOCAL_LEVELS = {"village", "hamlet"}  # levels served by one institution (scoped)


def _not_found(what_zh: str = "对象", what_en: str = "object") -> NotFound:
    return NotFound(f"{what_zh}不存在", f"The {what_en} does not exist")


# --- divisions -------------------------------------------------------------------------------------

def create_division(session: Session, *, actor: Principal, code: str, name: str, level: str,
                    parent_id: int | None = None, institution_id: int | None = None) -> Division:
    if level not in LEVELS:
        raise ValidationFailed.field(["body", "level"], "未知的行政级别", "Unknown division level")
    parent = None
    if level != "province":
        parent = session.get(Division, parent_id) if parent_id else None
        if parent is None or parent.level != PARENT_LEVEL[level]:
            raise ValidationFailed.field(["body", "parent_id"], f"上级须为{PARENT_LEVEL[level]}级区划",
                                         f"The parent must be a {PARENT_LEVEL[level]}")
        if parent.level in LOCAL_LEVELS and not actor.sees_institution(parent.institution_id):
            raise _not_found("上级区划", "parent division")
    if level in LOCAL_LEVELS:
        institution_id = institution_id or (parent.institution_id if parent and parent.level == "village"
                                            else actor.institution_id)
        if not actor.sees_institution(institution_id):
            raise ValidationFailed.field(["body", "institution_id"], "机构不在本人管辖范围内",
                                         "The institution is outside your scope")
    else:
        institution_id = None
    if session.execute(select(Division.id).where(Division.code == code)).first():
        raise Conflict("区划代码已存在", "The division code already exists", field="code")
    div = Division(code=code, name=name, level=level, parent_id=parent.id if parent else None,
                   institution_id=institution_id)
    session.add(div)
    session.flush()
    div.path = f"{parent.path if parent else '/'}{div.id}/"
    audit.record(session, action="village.division.create", object_type="division", object_id=div.id, actor=actor,
                 changes={"code": code, "name": name, "level": level, "parent_id": div.parent_id,
                          "institution_id": institution_id})
    return div


def get_division(session: Session, *, actor: Principal, division_id: int) -> Division:
    div = session.get(Division, division_id)
    if div is None or (div.level in LOCAL_LEVELS and not actor.sees_institution(div.institution_id)):
        raise _not_found("区划", "division")
    return div


def get_village(session: Session, *, actor: Principal, village_id: int) -> Division:
    div = get_division(session, actor=actor, division_id=village_id)
    if div.level != "village":
        raise _not_found("村", "village")
    return div


def list_divisions(session: Session, *, actor: Principal, level: str | None = None,
                   parent_id: int | None = None) -> list[Division]:
    stmt = select(Division)
    if level:
        stmt = stmt.where(Division.level == level)
    if parent_id is not None:
        stmt = stmt.where(Division.parent_id == parent_id)
    stmt = stmt.where(Division.level.not_in(LOCAL_LEVELS) | in_scope(Division.institution_id, actor))
    return list(session.execute(stmt.order_by(Division.code)).scalars())


def list_villages(session: Session, *, actor: Principal, mine: bool = False) -> list[Division]:
    stmt = select(Division).where(Division.level == "village", in_scope(Division.institution_id, actor))
    if mine:
        stmt = stmt.join(ManagerVillage, ManagerVillage.village_id == Division.id).where(
            ManagerVillage.staff_id == actor.staff_id)
    return list(session.execute(stmt.order_by(Division.code)).scalars())


def assign_village(session: Session, *, actor: Principal, village_id: int, staff_id: int) -> ManagerVillage:
    from zhanye.org.models import Staff

    village = get_village(session, actor=actor, village_id=village_id)
    staff = session.get(Staff, staff_id)
    if staff is None or not actor.sees_institution(staff.institution_id):
        raise ValidationFailed.field(["body", "staff_id"], "客户经理不存在或不在本机构范围内",
                                     "The manager does not exist or is outside your institutions")
    link = session.get(ManagerVillage, (staff_id, village.id))
    if link is None:
        link = ManagerVillage(staff_id=staff_id, village_id=village.id)
        session.add(link)
        session.flush()
        audit.record(session, action="village.assign", object_type="division", object_id=village.id, actor=actor,
                     changes={"staff_id": staff_id})
    return link


def village_managers(session: Session, *, village_id: int) -> list[int]:
    return list(session.execute(select(ManagerVillage.staff_id).where(ManagerVillage.village_id == village_id))
                .scalars())


# --- households -------------------------------------------------------------------------------------

def create_household(session: Session, *, actor: Principal, hamlet_id: int, household_no: str, head_name: str,
                     head_id_number: str | None = None, phone: str | None = None, address: str | None = None,
                     member_count: int = 1) -> Household:
    from zhanye.villages.roster import normalize_person

    hamlet = get_division(session, actor=actor, division_id=hamlet_id)
    if hamlet.level != "hamlet":
        raise ValidationFailed.field(["body", "hamlet_id"], "须选择屯/组", "Choose a hamlet")
    head_id_number, phone = normalize_person(head_id_number, phone)
    if session.execute(select(Household.id).where(Household.village_id == hamlet.parent_id,
                                                  Household.household_no == household_no)).first():
        raise Conflict("本村已有此户号", "This household number already exists in the village", field="household_no")
    hh = Household(village_id=hamlet.parent_id, hamlet_id=hamlet.id, institution_id=hamlet.institution_id,
                   household_no=household_no, head_name_enc=pii.enc(head_name), head_id_enc=pii.enc(head_id_number),
                   head_id_bidx=pii.id_bidx(head_id_number) if head_id_number else None, phone_enc=pii.enc(phone),
                   address=address, member_count=member_count)
    session.add(hh)
    session.flush()
    session.add(Member(household_id=hh.id, relation="head", name_enc=hh.head_name_enc, id_enc=hh.head_id_enc,
                       id_bidx=hh.head_id_bidx))
    audit.record(session, action="village.household.create", object_type="household", object_id=hh.id, actor=actor,
                 changes={"household_no": household_no, "hamlet_id": hamlet.id, "head_name": mask_name(head_name)})
    return hh


def get_household(session: Session, *, actor: Principal, household_id: int) -> Household:
    hh = session.get(Household, household_id)
    if hh is None or not actor.sees_institution(hh.institution_id):
        raise _not_found("农户", "household")
    return hh


def list_households(session: Session, *, actor: Principal, hamlet_id: int | None = None,
                    village_id: int | None = None, page: int = 1, page_size: int = 50) -> tuple[list[Household], int]:
    stmt = select(Household).where(in_scope(Household.institution_id, actor))
    if hamlet_id is not None:
        stmt = stmt.where(Household.hamlet_id == hamlet_id)
    if village_id is not None:
        stmt = stmt.where(Household.village_id == village_id)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    rows = session.execute(stmt.order_by(Household.household_no).limit(page_size).offset((page - 1) * page_size))
    return list(rows.scalars()), total


def add_member(session: Session, *, actor: Principal, household_id: int, relation: str, name: str,
               id_number: str | None = None, customer_id: int | None = None) -> Member:
    from zhanye.villages.roster import normalize_person

    hh = get_household(session, actor=actor, household_id=household_id)
    if customer_id is not None:
        customer_service.get_customer(session, actor=actor, customer_id=customer_id)
    id_number, _ = normalize_person(id_number, None)
    member = Member(household_id=hh.id, relation=relation, name_enc=pii.enc(name), id_enc=pii.enc(id_number),
                    id_bidx=pii.id_bidx(id_number) if id_number else None, customer_id=customer_id)
    session.add(member)
    hh.member_count = max(hh.member_count, _member_count(session, hh.id))
    session.flush()
    if customer_id is not None:
        _mark_filed(session, hh.id)
    audit.record(session, action="village.member.add", object_type="household", object_id=hh.id, actor=actor,
                 changes={"relation": relation, "name": mask_name(name), "customer_id": customer_id})
    return member


def _member_count(session: Session, household_id: int) -> int:
    return session.execute(select(func.count()).where(Member.household_id == household_id)).scalar_one()


def link_member_customer(session: Session, *, actor: Principal, member_id: int, customer_id: int) -> Member:
    """Link a household member to the customer file built for them (the household counts as filed)."""
    member = session.get(Member, member_id)
    if member is None:
        raise _not_found("家庭成员", "member")
    hh = get_household(session, actor=actor, household_id=member.household_id)
    customer_service.get_customer(session, actor=actor, customer_id=customer_id)
    member.customer_id = customer_id
    _mark_filed(session, hh.id)
    audit.record(session, action="village.member.link", object_type="household", object_id=hh.id, actor=actor,
                 changes={"member_id": member.id, "customer_id": customer_id})
    return member


def _on_customer_filed(session: Session, payload: dict[str, Any]) -> None:
    """A customer file was built for a household member (the wizard started from the village pages)."""
    if payload.get("member_id"):
        link_member_customer(session, actor=payload["actor"], member_id=int(payload["member_id"]),
                             customer_id=int(payload["customer_id"]))


events.subscribe("customer.filed", _on_customer_filed)


def _mark_filed(session: Session, household_id: int) -> None:
    for ch in session.execute(select(CampaignHousehold).where(CampaignHousehold.household_id == household_id)).scalars():
        ch.filed = True
        if ch.visit_status in ("not_visited", "visited"):
            ch.visit_status = "filed"
            ch.visited_at = ch.visited_at or utcnow()


def members(session: Session, *, actor: Principal, household_id: int) -> list[Member]:
    hh = get_household(session, actor=actor, household_id=household_id)
    return list(session.execute(select(Member).where(Member.household_id == hh.id).order_by(Member.id)).scalars())


def household_view(hh: Household) -> dict[str, Any]:
    return {"id": hh.id, "household_no": hh.household_no, "village_id": hh.village_id, "hamlet_id": hh.hamlet_id,
            "institution_id": hh.institution_id, "head_name": mask_name(pii.dec(hh.head_name_enc)),
            "head_id_number": mask_id_number(pii.dec(hh.head_id_enc)) if hh.head_id_enc else None,
            "phone": mask_phone(pii.dec(hh.phone_enc)) if hh.phone_enc else None, "address": hh.address,
            "member_count": hh.member_count}


def member_view(m: Member) -> dict[str, Any]:
    return {"id": m.id, "relation": m.relation, "name": mask_name(pii.dec(m.name_enc)),
            "id_number": mask_id_number(pii.dec(m.id_enc)) if m.id_enc else None, "customer_id": m.customer_id}


# --- campaigns ---------------------------------------------------------------------------------------

def create_campaign(session: Session, *, actor: Principal, village_id: int, name: str) -> Campaign:
    village = get_village(session, actor=actor, village_id=village_id)
    if session.execute(select(Campaign.id).where(Campaign.village_id == village.id, Campaign.status == "open")).first():
        raise Conflict("本村已有进行中的整村授信活动，请先结束", "The village already has an open campaign; close it first")
    camp = Campaign(village_id=village.id, institution_id=village.institution_id, name=name,
                    created_by=actor.staff_id or None)
    session.add(camp)
    session.flush()
    # every household already in the village joins the campaign
    for (hh_id,) in session.execute(select(Household.id).where(Household.village_id == village.id)):
        session.add(CampaignHousehold(campaign_id=camp.id, household_id=hh_id))
    session.flush()
    audit.record(session, action="campaign.create", object_type="campaign", object_id=camp.id, actor=actor,
                 changes={"village_id": village.id, "name": name})
    return camp


def close_campaign(session: Session, *, actor: Principal, campaign_id: int) -> Campaign:
    camp = get_campaign(session, actor=actor, campaign_id=campaign_id)
    if camp.status != "closed":
        camp.status = "closed"
        audit.record(session, action="campaign.close", object_type="campaign", object_id=camp.id, actor=actor)
    return camp


def get_campaign(session: Session, *, actor: Principal, campaign_id: int) -> Campaign:
    camp = session.get(Campaign, campaign_id)
    if camp is None or not actor.sees_institution(camp.institution_id):
        raise _not_found("整村授信活动", "campaign")
    return camp


def list_campaigns(session: Session, *, actor: Principal, village_id: int | None = None) -> list[Campaign]:
    stmt = select(Campaign).where(in_scope(Campaign.institution_id, actor))
    if village_id is not None:
        stmt = stmt.where(Campaign.village_id == village_id)
    return list(session.execute(stmt.order_by(Campaign.id.desc())).scalars())


def _campaign_household(session: Session, actor: Principal, household_id: int,
                        campaign_id: int | None) -> CampaignHousehold:
    hh = get_household(session, actor=actor, household_id=household_id)
    stmt = select(CampaignHousehold).join(Campaign, Campaign.id == CampaignHousehold.campaign_id).where(
        CampaignHousehold.household_id == hh.id)
    if campaign_id is not None:
        stmt = stmt.where(Campaign.id == campaign_id)
    else:
        stmt = stmt.where(Campaign.status == "open")
    ch = session.execute(stmt.order_by(Campaign.id.desc()).limit(1)).scalar_one_or_none()
    if ch is None:
        raise _not_found("该户的整村授信记录", "campaign record of the household")
    return ch


def set_visit_status(session: Session, *, actor: Principal, campaign_id: int, household_id: int,
                     status: str) -> CampaignHousehold:
    get_campaign(session, actor=actor, campaign_id=campaign_id)
    ch = _campaign_household(session, actor, household_id, campaign_id)
    if status not in VISIT_STATUSES:
        raise ValidationFailed.field(["body", "status"], "未知的走访状态", "Unknown visit status")
    if ch.visit_status != status:
        audit.record(session, action="campaign.visit", object_type="household", object_id=household_id, actor=actor,
                     changes={"campaign_id": campaign_id, "from": ch.visit_status, "to": status})
        ch.visit_status = status
        ch.visited_at = utcnow() if status != "not_visited" else None
        ch.filed = ch.filed or status == "filed"
    return ch


def record_review(session: Session, *, actor: Principal, campaign_id: int, household_id: int,
                  members_present: str, opinion: str, recommended_limit_fen: int | None = None,
                  minutes: str | None = None) -> Review:
    if opinion not in ("approve", "reject", "defer"):
        raise ValidationFailed.field(["body", "opinion"], "评议意见须为同意、否决或暂缓",
                                     "The opinion is approve, reject or defer")
    if opinion == "approve" and not recommended_limit_fen:
        raise ValidationFailed.field(["body", "recommended_limit_fen"], "同意时须填写建议额度",
                                     "An approval needs a recommended limit")
    camp = get_campaign(session, actor=actor, campaign_id=campaign_id)
    if camp.status != "open":
        raise InvalidTransition("活动已结束", "The campaign is closed")
    ch = _campaign_household(session, actor, household_id, campaign_id)
    review = Review(campaign_id=camp.id, household_id=household_id, members_present=members_present,
                    opinion=opinion, recommended_limit_fen=recommended_limit_fen if opinion == "approve" else None,
                    minutes=minutes, reviewed_by=actor.staff_id or None)
    session.add(review)
    ch.reviewed = True
    session.flush()
    audit.record(session, action="campaign.review", object_type="household", object_id=household_id, actor=actor,
                 changes={"campaign_id": camp.id, "review_id": review.id, "opinion": opinion,
                          "recommended_limit_fen": review.recommended_limit_fen})
    return review


def get_review(session: Session, *, actor: Principal, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise _not_found("评议记录", "review")
    get_household(session, actor=actor, household_id=review.household_id)
    return review


def attach_minutes(session: Session, *, actor: Principal, review_id: int, data: bytes) -> Review:
    """Attach the photographed minutes of a committee review (JPEG, PNG or HEIC)."""
    import uuid

    from zhanye.customers.images import check_image
    from zhanye.integrations.storage import storage

    review = get_review(session, actor=actor, review_id=review_id)
    kind = check_image(data)
    key = f"villages/reviews/{review.id}/{uuid.uuid4().hex}.{kind.split('/')[1]}"
    storage().put(key, data, content_type=kind)
    review.minutes_key = key
    audit.record(session, action="campaign.review.minutes", object_type="household", object_id=review.household_id,
                 actor=actor, changes={"review_id": review.id, "bytes": len(data), "type": kind})
    return review


def minutes_content(session: Session, *, actor: Principal, review_id: int) -> tuple[bytes, str]:
    from zhanye.customers.images import sniff
    from zhanye.integrations.storage import storage

    review = get_review(session, actor=actor, review_id=review_id)
    if not review.minutes_key:
        raise _not_found("会议纪要", "minutes")
    data = storage().get(review.minutes_key)
    return data, sniff(data) or "application/octet-stream"


def reviews(session: Session, *, actor: Principal, household_id: int) -> list[Review]:
    hh = get_household(session, actor=actor, household_id=household_id)
    return list(session.execute(select(Review).where(Review.household_id == hh.id).order_by(Review.id.desc()))
                .scalars())


def record_precredit(session: Session, *, actor: Principal, household_id: int, limit_fen: int,
                     source: str = "decisions", campaign_id: int | None = None) -> CampaignHousehold:
    """Record a pre-credit limit (授信) for a household; 0 means declined."""
    if not isinstance(limit_fen, int) or limit_fen < 0:
        raise ValidationFailed.field(["body", "limit_fen"], "额度须为非负整数（分）", "The limit is a non-negative fen amount")
    ch = _campaign_household(session, actor, household_id, campaign_id)
    old = ch.precredit_limit_fen
    ch.precredit_limit_fen = limit_fen
    ch.precredit_source = source[:64]
    ch.precredited_at = utcnow()
    audit.record(session, action="campaign.precredit", object_type="household", object_id=household_id, actor=actor,
                 changes={"campaign_id": ch.campaign_id, "from": old, "to": limit_fen, "source": source})
    return ch


def mark_drawn(session: Session, *, actor: Principal, household_id: int, amount_fen: int,
               campaign_id: int | None = None) -> CampaignHousehold:
    """Record a drawdown (用信) of a household: lending calls this after a disbursement."""
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed.field(["body", "amount_fen"], "金额须为正整数（分）", "The amount is a positive fen amount")
    ch = _campaign_household(session, actor, household_id, campaign_id)
    ch.drawn = True
    ch.drawn_fen += amount_fen
    ch.drawn_at = utcnow()
    audit.record(session, action="campaign.drawn", object_type="household", object_id=household_id, actor=actor,
                 changes={"campaign_id": ch.campaign_id, "amount_fen": amount_fen, "drawn_fen": ch.drawn_fen})
    return ch


def unmark_drawn(session: Session, *, actor: Principal, household_id: int, amount_fen: int,
                 campaign_id: int | None = None) -> CampaignHousehold:
    """Take back a drawdown that never reached the customer (an entrusted payment the payee's bank
    returned): lending calls this when it undoes the disbursement."""
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationFailed.field(["body", "amount_fen"], "金额须为正整数（分）", "The amount is a positive fen amount")
    ch = _campaign_household(session, actor, household_id, campaign_id)
    if amount_fen > ch.drawn_fen:
        raise ValidationFailed.field(["body", "amount_fen"], "退回金额超过该户已用信金额",
                                     "The amount exceeds what the household has drawn")
    ch.drawn_fen -= amount_fen
    ch.drawn = ch.drawn_fen > 0
    if not ch.drawn:
        ch.drawn_at = None
    audit.record(session, action="campaign.drawn_returned", object_type="household", object_id=household_id,
                 actor=actor, changes={"campaign_id": ch.campaign_id, "amount_fen": amount_fen,
                                       "drawn_fen": ch.drawn_fen})
    return ch


def household_for_customer(session: Session, *, actor: Principal, customer_id: int) -> int | None:
    """The household a customer belongs to (lending uses it to call ``mark_drawn``)."""
    customer_service.get_customer(session, actor=actor, customer_id=customer_id)
    return session.execute(select(Member.household_id).where(Member.customer_id == customer_id).limit(1)).scalar()


# --- batch pre-credit hook ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PrecreditCandidate:
    campaign_id: int
    household_id: int
    customer_ids: list[int]
    recommended_limit_fen: int


PrecreditEngine = Callable[[Session, Principal, PrecreditCandidate], "int | None"]
_engine: PrecreditEngine | None = None


def register_precredit_engine(fn: PrecreditEngine | None) -> PrecreditEngine | None:
    """Register the engine (None: use the committee's recommendation); returns the previous one."""
    global _engine
    previous, _engine = _engine, fn
    return previous


def precredit_candidates(session: Session, *, actor: Principal, campaign_id: int) -> list[PrecreditCandidate]:
    """Filed households whose latest committee review approved them."""
    camp = get_campaign(session, actor=actor, campaign_id=campaign_id)
    latest = select(Review.household_id, func.max(Review.id).label("rid")).where(
        Review.campaign_id == camp.id).group_by(Review.household_id).subquery()
    rows = session.execute(select(Review).join(latest, Review.id == latest.c.rid).where(Review.opinion == "approve"))
    out = []
    for review in rows.scalars():
        ch = _campaign_household(session, actor, review.household_id, camp.id)
        if not ch.filed:
            continue
        cust_ids = [c for c in session.execute(select(Member.customer_id).where(
            Member.household_id == review.household_id, Member.customer_id.is_not(None))).scalars()]
        out.append(PrecreditCandidate(camp.id, review.household_id, cust_ids, review.recommended_limit_fen or 0))
    return out


def run_precredit(session: Session, *, actor: Principal, campaign_id: int) -> dict[str, int]:
    """The batch pre-credit step: apply the registered engine (or the committee's recommendation)."""
    counts = {"candidates": 0, "credited": 0, "declined": 0}
    for cand in precredit_candidates(session, actor=actor, campaign_id=campaign_id):
        counts["candidates"] += 1
        limit = _engine(session, actor, cand) if _engine else cand.recommended_limit_fen
        record_precredit(session, actor=actor, household_id=cand.household_id, limit_fen=int(limit or 0),
                         source="decisions" if _engine else "committee", campaign_id=campaign_id)
        counts["credited" if limit else "declined"] += 1
    return counts
