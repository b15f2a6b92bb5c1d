"""JSON API of divisions, households, members, campaigns, roster imports, reviews and coverage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Header, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import ValidationFailed
from zhanye.villages import coverage, roster, schemas, service
from zhanye.villages.models import Campaign, Division, Review
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["villages"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]


def division_out(d: Division) -> dict[str, Any]:
    return {"id": d.id, "code": d.code, "name": d.name, "level": d.level, "parent_id": d.parent_id,
            "institution_id": d.institution_id}


def campaign_out(c: Campaign) -> dict[str, Any]:
    return {"id": c.id, "village_id": c.village_id, "institution_id": c.institution_id, "name": c.name,
            "status": c.status, "created_at": c.created_at}


def review_out(r: Review) -> dict[str, Any]:
    return {"id": r.id, "campaign_id": r.campaign_id, "household_id": r.household_id,
            "members_present": r.members_present, "opinion": r.opinion,
            "minutes_url": f"/api/v1/reviews/{r.id}/minutes" if r.minutes_key else None,
            "recommended_limit_fen": r.recommended_limit_fen, "minutes": r.minutes, "reviewed_by": r.reviewed_by,
            "reviewed_at": r.reviewed_at}


@router.get("/divisions")
def api_divisions(request: Request, level: Annotated[str | None, Query(max_length=16)] = None,
                  parent_id: int | None = None, principal: Principal = Depends(require("village.read"))) -> Any:
    return read(request, lambda s: {"items": [division_out(d) for d in service.list_divisions(
        s, actor=principal, level=level, parent_id=parent_id)]})


@router.post("/divisions", status_code=201)
def api_create_division(body: schemas.DivisionCreate, request: Request, idempotency_key: IdemKey = None,
                        principal: Principal = Depends(require("village.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: division_out(service.create_division(
        s, actor=principal, **body.model_dump())), payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/villages")
def api_villages(request: Request, mine: bool = False,
                 principal: Principal = Depends(require("village.read"))) -> Any:
    def action(s: Session) -> Any:
        villages = service.list_villages(s, actor=principal, mine=mine)
        stats = {r.key: r.as_dict() for r in coverage.coverage(s, actor=principal, by="village",
                                                               village_ids=[v.id for v in villages])}
        return {"items": [{**division_out(v), "coverage": stats.get(v.id)} for v in villages]}

    return read(request, action)


@router.get("/villages/{village_id}")
def api_village(village_id: int, request: Request, principal: Principal = Depends(require("village.read"))) -> Any:
    def action(s: Session) -> Any:
        v = service.get_village(s, actor=principal, village_id=village_id)
        hamlets = service.list_divisions(s, actor=principal, level="hamlet", parent_id=v.id)
        stats = coverage.coverage(s, actor=principal, by="village", village_ids=[v.id])
        return {**division_out(v), "hamlets": [division_out(h) for h in hamlets],
                "managers": service.village_managers(s, village_id=v.id),
                "campaigns": [campaign_out(c) for c in service.list_campaigns(s, actor=principal, village_id=v.id)],
                "coverage": stats[0].as_dict() if stats else None}

    return read(request, action)


@router.post("/villages/{village_id}/managers", status_code=201)
def api_assign_village(village_id: int, body: schemas.AssignVillageIn, request: Request,
                       idempotency_key: IdemKey = None,
                       principal: Principal = Depends(require("village.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: {"village_id": village_id, "staff_id": service.assign_village(
        s, actor=principal, village_id=village_id, staff_id=body.staff_id).staff_id},
        payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/households")
def api_households(request: Request, hamlet_id: int | None = None, village_id: int | None = None,
                   page: Annotated[int, Query(ge=1, le=100000)] = 1,
                   page_size: Annotated[int, Query(ge=1, le=200)] = 50,
                   principal: Principal = Depends(require("village.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = service.list_households(s, actor=principal, hamlet_id=hamlet_id, village_id=village_id,
                                              page=page, page_size=page_size)
        return {"items": [service.household_view(h) for h in rows], "total": total}

    return read(request, action)


@router.post("/households", status_code=201)
def api_create_household(body: schemas.HouseholdCreate, request: Request, idempotency_key: IdemKey = None,
                         principal: Principal = Depends(require("village.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.household_view(service.create_household(
        s, actor=principal, **body.model_dump())), payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/households/{household_id}")
def api_household(household_id: int, request: Request,
                  principal: Principal = Depends(require("village.read"))) -> Any:
    def action(s: Session) -> Any:
        hh = service.get_household(s, actor=principal, household_id=household_id)
        return {**service.household_view(hh),
                "members": [service.member_view(m) for m in service.members(s, actor=principal,
                                                                           household_id=hh.id)],
                "reviews": [review_out(r) for r in service.reviews(s, actor=principal, household_id=hh.id)]}

    return read(request, action)


@router.post("/households/{household_id}/members", status_code=201)
def api_add_member(household_id: int, body: schemas.MemberCreate, request: Request, idempotency_key: IdemKey = None,
                   principal: Principal = Depends(require("village.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.member_view(service.add_member(
        s, actor=principal, household_id=household_id, **body.model_dump())),
        payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.post("/members/{member_id}/link")
def api_link_member(member_id: int, body: schemas.MemberLink, request: Request,
                    principal: Principal = Depends(require("village.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.member_view(service.link_member_customer(
        s, actor=principal, member_id=member_id, customer_id=body.customer_id)))


@router.get("/campaigns")
def api_campaigns(request: Request, village_id: int | None = None,
                  principal: Principal = Depends(require("village.read"))) -> Any:
    return read(request, lambda s: {"items": [campaign_out(c) for c in service.list_campaigns(
        s, actor=principal, village_id=village_id)]})


@router.post("/campaigns", status_code=201)
def api_create_campaign(body: schemas.CampaignCreate, request: Request, idempotency_key: IdemKey = None,
                        principal: Principal = Depends(require("campaign.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: campaign_out(service.create_campaign(
        s, actor=principal, village_id=body.village_id, name=body.name)),
        payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.get("/campaigns/{campaign_id}")
def api_campaign(campaign_id: int, request: Request, principal: Principal = Depends(require("village.read"))) -> Any:
    def action(s: Session) -> Any:
        c = service.get_campaign(s, actor=principal, campaign_id=campaign_id)
        stats = coverage.coverage(s, actor=principal, by="village", village_ids=[c.village_id])
        return {**campaign_out(c), "coverage": stats[0].as_dict() if stats else None}

    return read(request, action)


@router.post("/campaigns/{campaign_id}/close")
def api_close_campaign(campaign_id: int, request: Request,
                       principal: Principal = Depends(require("campaign.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: campaign_out(service.close_campaign(
        s, actor=principal, campaign_id=campaign_id)))


@router.post("/campaigns/{campaign_id}/roster")
async def api_import_roster(campaign_id: int, request: Request, file: UploadFile | None = File(None),
                            principal: Principal = Depends(require("campaign.manage"))) -> JSONResponse:
    """Import a CSV or Excel roster; the answer is the report (re-importing the same file changes nothing)."""

    def action(s: Session) -> Any:
        service.get_campaign(s, actor=principal, campaign_id=campaign_id)  # 404 before complaining about the file
        if file is None:
            raise ValidationFailed.field(["body", "file"], "请选择花名册文件", "Choose a roster file", type="missing")
        return roster.import_roster(s, actor=principal, campaign_id=campaign_id, stream=file.file,
                                    filename=file.filename or "roster.csv").as_dict()

    return run_write(request, principal, action)


@router.post("/campaigns/{campaign_id}/households/{household_id}/visit")
def api_visit(campaign_id: int, household_id: int, body: schemas.VisitIn, request: Request,
              principal: Principal = Depends(require("campaign.manage"))) -> JSONResponse:
    return run_write(request, principal, lambda s: {"visit_status": service.set_visit_status(
        s, actor=principal, campaign_id=campaign_id, household_id=household_id, status=body.status).visit_status})


@router.post("/campaigns/{campaign_id}/households/{household_id}/reviews", status_code=201)
def api_review(campaign_id: int, household_id: int, body: schemas.ReviewIn, request: Request,
               idempotency_key: IdemKey = None,
               principal: Principal = Depends(require("campaign.review"))) -> JSONResponse:
    return run_write(request, principal, lambda s: review_out(service.record_review(
        s, actor=principal, campaign_id=campaign_id, household_id=household_id, **body.model_dump())),
        payload=body.model_dump(), key=idempotency_key, status_code=201)


@router.post("/reviews/{review_id}/minutes")
async def api_attach_minutes(review_id: int, request: Request, file: UploadFile | None = File(None),
                             principal: Principal = Depends(require("campaign.review"))) -> JSONResponse:
    """Attach the photographed minutes of a committee review (JPEG, PNG or HEIC)."""
    with request.app.state.db.unit_of_work(write=False) as session:
        service.get_review(session, actor=principal, review_id=review_id)  # 404 before any complaint
    if file is None:
        raise ValidationFailed.field(["body", "file"], "请选择纪要照片", "Choose the minutes photo", type="missing")
    data = await file.read(10 * 1024 * 1024 + 1)
    return run_write(request, principal, lambda s: review_out(service.attach_minutes(
        s, actor=principal, review_id=review_id, data=data)))


@router.get("/reviews/{review_id}/minutes")
def api_minutes(review_id: int, request: Request, principal: Principal = Depends(require("village.read"))) -> Response:
    with request.app.state.db.unit_of_work(write=False) as session:
        data, kind = service.minutes_content(session, actor=principal, review_id=review_id)
    return Response(data, media_type=kind, headers={"Cache-Control": "private, max-age=3600"})


@router.post("/campaigns/{campaign_id}/precredit")
def api_run_precredit(campaign_id: int, request: Request, idempotency_key: IdemKey = None,
                      principal: Principal = Depends(require("campaign.review"))) -> JSONResponse:
    return run_write(request, principal, lambda s: service.run_precredit(s, actor=principal, campaign_id=campaign_id),
                     payload={}, key=idempotency_key)


@router.get("/coverage")
def api_coverage(request: Request, by: Annotated[str, Query(pattern="^(village|township|institution)$")] = "village",
                 mine: bool = False, principal: Principal = Depends(require("village.read"))) -> Any:
    return read(request, lambda s: {"by": by, "items": [r.as_dict() for r in coverage.coverage(
        s, actor=principal, by=by, mine=mine)]})
