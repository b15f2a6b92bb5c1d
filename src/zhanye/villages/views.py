"""Tablet pages: village list with coverage → village (hamlets, campaign) → hamlet (households)
→ household (members, visit status, reviews) → customer. Small pages, no map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from zhanye.core.context import Principal
from zhanye.core.errors import DomainError, NotFound, ValidationFailed
from zhanye.villages import coverage, roster, service
from zhanye.villages.models import CampaignHousehold, Household
from zhanye.web import home, nav
from zhanye.web.deps import page_business_date, require
from zhanye.web.forms import domain_message
from zhanye.web.templating import render

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("villages", "Villages", "/villages", "village.read", icon="map", order=30))
nav.register(nav.NavItem("coverage", "Coverage", "/villages/coverage", "village.read", icon="bar-chart", order=31))


def _my_villages_panel(session: Any, principal: Principal) -> dict[str, Any]:
    return {"template": "villages/_home_villages.html",
            "rows": [r.as_dict() for r in coverage.coverage(session, actor=principal, by="village", mine=True)]}


home.register(home.HomePanel("my_villages", "My villages", "village.read", _my_villages_panel, order=30))


def _bizdate(request: Request) -> None:
    page_business_date(request)


@router.get("/villages", response_class=HTMLResponse)
def villages_page(request: Request, principal: Principal = Depends(require("village.read"))) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        rows = coverage.coverage(session, actor=principal, by="village")
        mine = {v.id for v in service.list_villages(session, actor=principal, mine=True)}
        listed = {r.key for r in rows}
        empty = [v for v in service.list_villages(session, actor=principal) if v.id not in listed]
    return render(request, "villages/list.html", {"rows": [r.as_dict() for r in rows], "mine": mine, "empty": empty})


@router.get("/villages/coverage", response_class=HTMLResponse)
def coverage_page(request: Request, by: str = "township",
                  principal: Principal = Depends(require("village.read"))) -> HTMLResponse:
    _bizdate(request)
    by = by if by in ("village", "township", "institution") else "township"
    with request.app.state.db.unit_of_work(write=False) as session:
        rows = [r.as_dict() for r in coverage.coverage(session, actor=principal, by=by)]
    return render(request, "villages/coverage.html", {"rows": rows, "by": by})


@router.get("/villages/{village_id}", response_class=HTMLResponse)
def village_page(village_id: int, request: Request,
                 principal: Principal = Depends(require("village.read"))) -> HTMLResponse:
    return _village(request, principal, village_id)


def _village(request: Request, principal: Principal, village_id: int, *, report: dict[str, Any] | None = None,
             error: str | None = None, status_code: int = 200,
             precredit: dict[str, int] | None = None) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        village = service.get_village(session, actor=principal, village_id=village_id)
        hamlets = service.list_divisions(session, actor=principal, level="hamlet", parent_id=village.id)
        counts = dict(session.execute(select(Household.hamlet_id, func.count()).where(
            Household.village_id == village.id).group_by(Household.hamlet_id)).all())
        stats = coverage.coverage(session, actor=principal, by="village", village_ids=[village.id])
        campaigns = service.list_campaigns(session, actor=principal, village_id=village.id)
        ctx = {"v": village, "hamlets": hamlets, "counts": counts, "stats": stats[0].as_dict() if stats else None,
               "campaigns": campaigns, "report": report, "error": error, "precredit": precredit}
    return render(request, "villages/village.html", ctx, status_code=status_code)


@router.post("/villages/{village_id}/roster", response_class=HTMLResponse)
async def roster_submit(village_id: int, request: Request, campaign_id: int | None = Form(None),
                        file: UploadFile | None = File(None),
                        principal: Principal = Depends(require("campaign.manage"))) -> HTMLResponse:
    try:
        with request.app.state.db.unit_of_work() as session:
            service.get_village(session, actor=principal, village_id=village_id)
            if campaign_id is None or file is None or not file.filename:
                raise ValidationFailed("请选择活动和花名册文件", "Choose the campaign and a roster file")
            camp = service.get_campaign(session, actor=principal, campaign_id=campaign_id)
            if camp.village_id != village_id:
                raise ValidationFailed("活动不属于此村", "The campaign is not of this village")
            rep = roster.import_roster(session, actor=principal, campaign_id=camp.id, stream=file.file,
                                       filename=file.filename or "roster.csv").as_dict()
    except NotFound:
        raise
    except DomainError as exc:
        return _village(request, principal, village_id, error=domain_message(exc), status_code=exc.status)
    return _village(request, principal, village_id, report=rep)


@router.get("/villages/hamlets/{hamlet_id}", response_class=HTMLResponse)
def hamlet_page(hamlet_id: int, request: Request, page: int = 1,
                principal: Principal = Depends(require("village.read"))) -> HTMLResponse:
    _bizdate(request)
    page = max(1, min(page, 100000))
    with request.app.state.db.unit_of_work(write=False) as session:
        hamlet = service.get_division(session, actor=principal, division_id=hamlet_id)
        if hamlet.level != "hamlet":
            raise NotFound("屯/组不存在", "The hamlet does not exist")
        rows, total = service.list_households(session, actor=principal, hamlet_id=hamlet.id, page=page, page_size=50)
        status = dict(session.execute(select(CampaignHousehold.household_id, CampaignHousehold.visit_status).where(
            CampaignHousehold.household_id.in_([h.id for h in rows])).order_by(CampaignHousehold.id)).all())
        items = [{**service.household_view(h), "visit_status": status.get(h.id, "not_visited")} for h in rows]
        village = session.get(type(hamlet), hamlet.parent_id)
    return render(request, "villages/hamlet.html", {"hamlet": hamlet, "village": village, "items": items,
                                                    "total": total, "page": page, "page_size": 50, "query": ""})


@router.get("/villages/households/{household_id}", response_class=HTMLResponse)
def household_page(household_id: int, request: Request,
                   principal: Principal = Depends(require("village.read"))) -> HTMLResponse:
    return _household(request, principal, household_id)


def _household(request: Request, principal: Principal, household_id: int, error: str | None = None,
               status_code: int = 200) -> HTMLResponse:
    _bizdate(request)
    with request.app.state.db.unit_of_work(write=False) as session:
        hh = service.get_household(session, actor=principal, household_id=household_id)
        chs = session.execute(select(CampaignHousehold).where(CampaignHousehold.household_id == hh.id)
                              .order_by(CampaignHousehold.id.desc())).scalars().all()
        ctx = {"h": service.household_view(hh),
               "members": [service.member_view(m) for m in service.members(session, actor=principal,
                                                                          household_id=hh.id)],
               "reviews": service.reviews(session, actor=principal, household_id=hh.id),
               "campaign": chs[0] if chs else None, "error": error}
    return render(request, "villages/household.html", ctx, status_code=status_code)


@router.post("/villages/households/{household_id}/visit")
def visit_submit(household_id: int, request: Request, campaign_id: int = Form(0), status: str = Form(""),
                 principal: Principal = Depends(require("campaign.manage"))) -> Response:
    try:
        with request.app.state.db.unit_of_work() as session:
            service.set_visit_status(session, actor=principal, campaign_id=campaign_id, household_id=household_id,
                                     status=status)
    except NotFound:
        raise
    except DomainError as exc:
        return _household(request, principal, household_id, error=domain_message(exc), status_code=exc.status)
    return RedirectResponse(f"/villages/households/{household_id}", status_code=303)


@router.post("/villages/{village_id}/campaigns")
def campaign_submit(village_id: int, request: Request, name: str = Form(""),
                    principal: Principal = Depends(require("campaign.manage"))) -> Response:
    from zhanye.villages.schemas import CampaignCreate

    try:
        body = CampaignCreate.model_validate({"village_id": village_id, "name": name})
        with request.app.state.db.unit_of_work() as session:
            service.create_campaign(session, actor=principal, village_id=village_id, name=body.name)
    except ValueError:
        return _village(request, principal, village_id, error="活动名称无效 / invalid campaign name", status_code=422)
    return RedirectResponse(f"/villages/{village_id}", status_code=303)


@router.post("/villages/households/{household_id}/reviews")
def review_submit(household_id: int, request: Request, campaign_id: int = Form(0), opinion: str = Form(""),
                  members_present: str = Form(""), recommended_limit_yuan: str = Form(""), minutes: str = Form(""),
                  principal: Principal = Depends(require("campaign.review"))) -> Response:
    from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

    from zhanye.villages.schemas import ReviewIn

    try:
        with request.app.state.db.unit_of_work() as session:
            service.get_household(session, actor=principal, household_id=household_id)
            try:
                limit = (int((Decimal(recommended_limit_yuan.replace(",", "")) * 100).quantize(
                    Decimal("1"), rounding=ROUND_HALF_UP)) if recommended_limit_yuan.strip() else None)
                body = ReviewIn.model_validate({"members_present": members_present, "opinion": opinion,
                                                "recommended_limit_fen": limit, "minutes": minutes or None})
            except (InvalidOperation, ValueError):
                raise ValidationFailed("评议内容有误：请填写参会人员、意见和金额", "Fill in members, opinion and amount") \
                    from None
            service.record_review(session, actor=principal, campaign_id=campaign_id, household_id=household_id,
                                  **body.model_dump())
    except NotFound:
        raise
    except DomainError as exc:
        return _household(request, principal, household_id, error=domain_message(exc), status_code=exc.status)
    return RedirectResponse(f"/villages/households/{household_id}", status_code=303)


@router.post("/villages/{village_id}/precredit", response_class=HTMLResponse)
def precredit_submit(village_id: int, request: Request, campaign_id: int = Form(0),
                     principal: Principal = Depends(require("campaign.review"))) -> HTMLResponse:
    """The batch pre-credit step of the open campaign (the decision engine, when registered)."""
    try:
        with request.app.state.db.unit_of_work() as session:
            service.get_village(session, actor=principal, village_id=village_id)
            camp = service.get_campaign(session, actor=principal, campaign_id=campaign_id)
            if camp.village_id != village_id:
                raise ValidationFailed("活动不属于此村", "The campaign is not of this village")
            counts = service.run_precredit(session, actor=principal, campaign_id=camp.id)
    except NotFound:
        raise
    except DomainError as exc:
        return _village(request, principal, village_id, error=domain_message(exc), status_code=exc.status)
    return _village(request, principal, village_id, precredit=counts)
