"""Scope cases of the village routes: 陈家店村 (柳河支行, own) and 石桥村 (石桥支行, other)."""

from __future__ import annotations

from sqlalchemy import select

from tests.e2e.authz import MatrixContext, ScopeCase

NO_OBJECT_ROUTES: set[tuple[str, str]] = set()
UNSAFE_ROUTES: set[tuple[str, str]] = set()


def _side(ctx: MatrixContext, code: str) -> dict[str, int]:
    from zhanye.villages.models import Campaign, Division, Household, Member, Review

    with ctx.db.unit_of_work(write=False) as s:
        village = s.execute(select(Division).where(Division.code == code)).scalar_one()
        hamlet = s.execute(select(Division.id).where(Division.parent_id == village.id).order_by(Division.id)).first()[0]
        hh = s.execute(select(Household.id).where(Household.village_id == village.id).order_by(Household.id)).first()[0]
        member = s.execute(select(Member.id).where(Member.household_id == hh)).first()[0]
        camp = s.execute(select(Campaign.id).where(Campaign.village_id == village.id).order_by(Campaign.id)).first()[0]
        review = s.execute(select(Review.id).where(Review.household_id == hh).order_by(Review.id)).first()[0]
    return {"village_id": village.id, "hamlet_id": hamlet, "household_id": hh, "member_id": member,
            "campaign_id": camp, "review_id": review}


def _fresh_campaigns(ctx: MatrixContext) -> tuple[dict[str, int], dict[str, int]]:
    """A throw-away village with an open campaign on each side (closing spoils the campaign)."""
    import uuid

    from zhanye.customers.demo import actor_for
    from zhanye.org import service as org_service
    from zhanye.villages import service
    from zhanye.villages.models import Division

    ids = []
    with ctx.db.unit_of_work() as s:
        system = org_service.system_principal(s)
        town = s.execute(select(Division).where(Division.code == "220122101000")).scalar_one()
        for username in ("manager1", "manager3"):
            actor = actor_for(s, username)
            village = service.create_division(s, actor=system, code=f"M{uuid.uuid4().int % 10**10:010d}",
                                              name="矩阵村", level="village", parent_id=town.id,
                                              institution_id=actor.institution_id)
            ids.append(service.create_campaign(s, actor=actor, village_id=village.id, name="矩阵活动").id)
    return {"campaign_id": ids[0]}, {"campaign_id": ids[1]}


def _with_minutes(ctx: MatrixContext, own_review: int, other_review: int) -> tuple[dict, dict]:
    """Attach minutes (in the storage in use now) to both reviews."""
    from tests.e2e.authz.customers import _jpeg
    from zhanye.org import service as org_service
    from zhanye.villages import service

    with ctx.db.unit_of_work() as s:
        system = org_service.system_principal(s)
        for rid in (own_review, other_review):
            service.attach_minutes(s, actor=system, review_id=rid, data=_jpeg())
    return {"review_id": own_review}, {"review_id": other_review}


def scope_cases(ctx: MatrixContext) -> list[ScopeCase]:
    from tests.e2e.authz.customers import _objects

    own, other = _side(ctx, "220122101201"), _side(ctx, "220122102201")
    cust = _objects(ctx)["own"]
    manager1 = cust["manager_id"]

    def pick(*keys: str) -> tuple[dict[str, int], dict[str, int]]:
        return {k: own[k] for k in keys}, {k: other[k] for k in keys}

    v, h, hh, m, c = (pick("village_id"), pick("hamlet_id"), pick("household_id"), pick("member_id"),
                      pick("campaign_id"))
    ch = pick("campaign_id", "household_id")
    return [
        ScopeCase("GET", "/api/v1/villages/{village_id}", *v),
        ScopeCase("POST", "/api/v1/villages/{village_id}/managers", *v, body={"staff_id": manager1}),
        ScopeCase("GET", "/api/v1/households/{household_id}", *hh),
        ScopeCase("POST", "/api/v1/households/{household_id}/members", *hh,
                  body={"relation": "child", "name": "矩阵子女"}),
        ScopeCase("POST", "/api/v1/members/{member_id}/link", *m, body={"customer_id": cust["customer_id"]}),
        ScopeCase("GET", "/api/v1/campaigns/{campaign_id}", *c),
        ScopeCase("POST", "/api/v1/campaigns/{campaign_id}/roster", *c),
        ScopeCase("POST", "/api/v1/campaigns/{campaign_id}/close", {}, {}, fresh=_fresh_campaigns),
        ScopeCase("POST", "/api/v1/campaigns/{campaign_id}/precredit", *c),
        ScopeCase("POST", "/api/v1/campaigns/{campaign_id}/households/{household_id}/visit", *ch,
                  body={"status": "visited"}),
        ScopeCase("POST", "/api/v1/campaigns/{campaign_id}/households/{household_id}/reviews", *ch,
                  body={"members_present": "矩阵评议", "opinion": "defer"}),
        ScopeCase("POST", "/api/v1/reviews/{review_id}/minutes", *pick("review_id")),
        ScopeCase("GET", "/api/v1/reviews/{review_id}/minutes", {}, {},
                  fresh=lambda ctx: _with_minutes(ctx, own["review_id"], other["review_id"])),
        ScopeCase("GET", "/villages/{village_id}", *v),
        ScopeCase("POST", "/villages/{village_id}/roster", *v, form={}),
        ScopeCase("GET", "/villages/hamlets/{hamlet_id}", *h),
        ScopeCase("GET", "/villages/households/{household_id}", *hh),
        ScopeCase("POST", "/villages/{village_id}/campaigns", *v, form={"name": "矩阵活动"}),
        ScopeCase("POST", "/villages/{village_id}/precredit", *v, form={"campaign_id": own["campaign_id"]}),
        ScopeCase("POST", "/villages/households/{household_id}/reviews", *hh,
                  form={"campaign_id": own["campaign_id"], "opinion": "defer", "members_present": "矩阵评议"}),
        ScopeCase("POST", "/villages/households/{household_id}/visit", *hh,
                  form={"campaign_id": own["campaign_id"], "status": "visited"}),
    ]
