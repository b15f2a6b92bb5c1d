"""Servicing JSON API: loans, schedule, loan ledger, repayments, prepayment quote and
confirmation, reversal requests, overdue inspections, collections, post-loan inspections, risk
warnings and the portfolio."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core.context import Principal
from zhanye.core.errors import NotFound
from zhanye.core.scope import in_scope
from zhanye.lending.servicing import collections, inspections, portfolio_view, repayments, schemas, service
from zhanye.lending.servicing.models import OverdueInspection
from zhanye.web.api_util import read, run_write
from zhanye.web.deps import require

router = APIRouter(prefix="/api/v1", tags=["servicing"])
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]
Id = Annotated[int, Path(ge=1, le=2**62)]


def _key(idempotency_key: str | None, p: Principal, what: str) -> str:
    return f"api:{p.staff_id}:{what}:{idempotency_key}"


# --- loans -----------------------------------------------------------------------------------------

@router.get("/loans")
def api_loans(request: Request, customer_id: Annotated[int | None, Query(ge=1)] = None,
              status: Annotated[str | None, Query(pattern="^(active|closed)$")] = None,
              overdue: bool | None = None, mine: bool = False,
              limit: Annotated[int, Query(ge=1, le=500)] = 100, offset: Annotated[int, Query(ge=0)] = 0,
              p: Principal = Depends(require("loan.read"))) -> Any:
    def action(s: Session) -> Any:
        rows, total = service.list_loans(s, actor=p, customer_id=customer_id, status=status, overdue=overdue,
                                         manager_id=p.staff_id if mine else None, limit=limit, offset=offset)
        return {"items": [schemas.loan_out(x) for x in rows], "total": total}

    return read(request, action)


@router.get("/loans/{loan_id}")
def api_loan(loan_id: Id, request: Request, p: Principal = Depends(require("loan.read"))) -> Any:
    def action(s: Session) -> Any:
        loan = service.get_loan(s, actor=p, loan_id=loan_id)
        return {**schemas.loan_out(loan),
                "installments": [schemas.installment_out(i) for i in service.installments(s, loan.id)],
                "overdue": service.overdue_amounts(s, loan)}

    return read(request, action)


@router.get("/loans/{loan_id}/ledger")
def api_loan_ledger(loan_id: Id, request: Request, limit: Annotated[int, Query(ge=1, le=2000)] = 500,
                    offset: Annotated[int, Query(ge=0)] = 0, p: Principal = Depends(require("loan.read"))) -> Any:
    return read(request, lambda s: {"items": [schemas.txn_out(t) for t in service.loan_ledger(
        s, actor=p, loan_id=loan_id, limit=limit, offset=offset)]})


@router.get("/loans/{loan_id}/repayments")
def api_loan_repayments(loan_id: Id, request: Request, p: Principal = Depends(require("loan.read"))) -> Any:
    return read(request, lambda s: {"items": [schemas.repayment_out(r) for r in repayments.list_repayments(
        s, actor=p, loan_id=loan_id)]})


@router.post("/loans/{loan_id}/repayments", status_code=201)
def api_repay(loan_id: Id, body: schemas.RepaymentIn, request: Request, idempotency_key: IdemKey = None,
              p: Principal = Depends(require("repayment.create"))) -> Any:
    return run_write(request, p, lambda s: schemas.repayment_out(repayments.repay(
        s, actor=p, loan_id=loan_id, amount_fen=body.amount_fen, channel=body.channel,
        external_id=_key(idempotency_key, p, f"repay:{loan_id}"))),
        payload=body, key=idempotency_key, key_required=True, status_code=201)


@router.post("/loans/{loan_id}/prepayment-quote")
def api_prepayment_quote(loan_id: Id, body: schemas.PrepaymentQuoteIn, request: Request,
                         p: Principal = Depends(require("repayment.create"))) -> Any:
    """Prepayment trial calculation (提前还款试算): nothing is stored."""
    return read(request, lambda s: repayments.quote_prepayment(
        s, actor=p, loan_id=loan_id, kind=body.kind, principal_fen=body.principal_fen, option=body.option).as_dict())


@router.post("/loans/{loan_id}/prepayments", status_code=201)
def api_prepay(loan_id: Id, body: schemas.PrepaymentIn, request: Request, idempotency_key: IdemKey = None,
               p: Principal = Depends(require("repayment.create"))) -> Any:
    return run_write(request, p, lambda s: schemas.repayment_out(repayments.prepay(
        s, actor=p, loan_id=loan_id, kind=body.kind, principal_fen=body.principal_fen, option=body.option,
        channel=body.channel, expected_total_fen=body.expected_total_fen,
        external_id=_key(idempotency_key, p, f"prepay:{loan_id}"))),
        payload=body, key=idempotency_key, key_required=True, status_code=201)


@router.post("/repayments/{repayment_id}/reversal")
def api_request_reversal(repayment_id: Id, body: schemas.ReversalIn, request: Request,
                         idempotency_key: IdemKey = None, p: Principal = Depends(require("repayment.reverse"))) -> Any:
    """Ask for the reversal of a repayment posted in error; the workflow's approval performs it."""
    return run_write(request, p, lambda s: schemas.repayment_out(repayments.request_reversal(
        s, actor=p, repayment_id=repayment_id, reason=body.reason)),
        payload=body, key=idempotency_key, key_required=True)


@router.post("/loans/{loan_id}/classification")
def api_classify(loan_id: Id, body: schemas.ClassificationIn, request: Request,
                 p: Principal = Depends(require("loan.classify"))) -> Any:
    """Manual five-level classification by risk staff (never better than the DPD rule unless the
    bank's setting allows it); audited, kept in the classification history."""
    from zhanye.lending.servicing import classification

    return run_write(request, p, lambda s: schemas.classification_out(classification.change_classification(
        s, actor=p, loan_id=loan_id, to_cls=body.classification, reason=body.reason)), payload=body)


# --- overdue inspections ---------------------------------------------------------------------------

def _overdue_inspection(s: Session, p: Principal, inspection_id: int) -> OverdueInspection:
    rec = s.get(OverdueInspection, inspection_id)
    if rec is None or not service.sees(p, rec.institution_id):
        raise NotFound("逾期检视不存在", "The overdue inspection does not exist")
    return rec


def _oi_out(r: OverdueInspection) -> dict[str, Any]:
    return {"id": r.id, "loan_id": r.loan_id, "customer_id": r.customer_id, "business_date": r.business_date,
            "instance_id": r.instance_id, "details": json.loads(r.details), "disposal_plan": r.disposal_plan,
            "status": r.status, "error": r.error}


@router.get("/overdue-inspections")
def api_overdue_inspections(request: Request, status: Annotated[str | None, Query(max_length=16)] = "open",
                            p: Principal = Depends(require("loan.read"))) -> Any:
    def action(s: Session) -> Any:
        stmt = select(OverdueInspection).where(in_scope(OverdueInspection.institution_id, p))
        if status:
            stmt = stmt.where(OverdueInspection.status == status)
        return {"items": [_oi_out(r) for r in s.execute(stmt.order_by(OverdueInspection.id.desc()).limit(200)).scalars()]}

    return read(request, action)


@router.post("/overdue-inspections/{inspection_id}/plan")
def api_overdue_plan(inspection_id: Id, body: schemas.PlanIn, request: Request,
                     p: Principal = Depends(require("collection.work"))) -> Any:
    def action(s: Session) -> Any:
        from zhanye.core import audit

        rec = _overdue_inspection(s, p, inspection_id)
        rec.disposal_plan, rec.status = body.disposal_plan, "submitted"
        s.flush()
        audit.record(s, action="overdue_inspection.plan", object_type="overdue_inspection", object_id=rec.id,
                     actor=p, changes={"plan": body.disposal_plan[:200]})
        return _oi_out(rec)

    return run_write(request, p, action, payload=body)


# --- collections -----------------------------------------------------------------------------------

@router.get("/collection-cases")
def api_cases(request: Request, status: Annotated[str | None, Query(pattern="^(open|closed)$")] = "open",
              mine: bool = False, p: Principal = Depends(require("collection.work"))) -> Any:
    return read(request, lambda s: {"items": [schemas.case_out(c) for c in collections.list_cases(
        s, actor=p, status=status, collector_id=p.staff_id if mine else None)]})


@router.get("/collection-cases/{case_id}")
def api_case(case_id: Id, request: Request, p: Principal = Depends(require("collection.work"))) -> Any:
    def action(s: Session) -> Any:
        case = collections.get_case(s, actor=p, case_id=case_id)
        loans, _ = service.list_loans(s, actor=p, customer_id=case.customer_id, status="active")
        return {**schemas.case_out(case), "loans": [schemas.loan_out(x) for x in loans],
                "contacts": [schemas.contact_out(c) for c in collections.contacts(s, actor=p, case_id=case_id)]}

    return read(request, action)


@router.post("/collection-cases/{case_id}/contacts", status_code=201)
def api_contact(case_id: Id, body: schemas.ContactIn, request: Request,
                p: Principal = Depends(require("collection.work"))) -> Any:
    return run_write(request, p, lambda s: schemas.contact_out(collections.log_contact(
        s, actor=p, case_id=case_id, channel=body.channel, result=body.result, note=body.note,
        promise_amount_fen=body.promise_amount_fen, promise_date=body.promise_date)), payload=body, status_code=201)


@router.post("/collection-cases/{case_id}/close")
def api_close_case(case_id: Id, body: schemas.CloseCaseIn, request: Request,
                   p: Principal = Depends(require("collection.work"))) -> Any:
    return run_write(request, p, lambda s: schemas.case_out(collections.close_case(
        s, actor=p, case_id=case_id, outcome=body.outcome)), payload=body)


# --- post-loan inspections and risk warnings -------------------------------------------------------

@router.get("/inspections")
def api_inspections(request: Request, status: Annotated[str | None, Query(pattern="^(open|scheduled|late|done)$")] = "open",
                    mine: bool = False, loan_id: Annotated[int | None, Query(ge=1)] = None,
                    p: Principal = Depends(require("inspection.perform"))) -> Any:
    return read(request, lambda s: {"items": [schemas.inspection_out(i) for i in inspections.list_inspections(
        s, actor=p, status=status, manager_id=p.staff_id if mine else None, loan_id=loan_id)],
        "questions": [{"key": k, "text": t} for k, t in inspections.QUESTIONS]})


@router.post("/inspections/{inspection_id}/perform")
def api_perform(inspection_id: Id, body: schemas.InspectionIn, request: Request,
                p: Principal = Depends(require("inspection.perform"))) -> Any:
    return run_write(request, p, lambda s: schemas.inspection_out(inspections.perform(
        s, actor=p, inspection_id=inspection_id, answers=body.answers, note=body.note, latitude=body.latitude,
        longitude=body.longitude, images=body.images, conclusion=body.conclusion,
        warning=body.warning.model_dump() if body.warning else None)), payload=body)


@router.post("/loans/{loan_id}/risk-warnings", status_code=201)
def api_raise_warning(loan_id: Id, body: schemas.WarningIn, request: Request,
                      p: Principal = Depends(require("inspection.perform"))) -> Any:
    return run_write(request, p, lambda s: schemas.warning_out(inspections.raise_warning(
        s, actor=p, loan_id=loan_id, level=body.level, disposal=body.disposal, reason=body.reason)),
        payload=body, status_code=201)


@router.get("/risk-warnings")
def api_warnings(request: Request, status: Annotated[str | None, Query(pattern="^(open|closed)$")] = "open",
                 p: Principal = Depends(require("portfolio.read"))) -> Any:
    return read(request, lambda s: {"items": [schemas.warning_out(w) for w in inspections.list_warnings(
        s, actor=p, status=status)]})


@router.get("/portfolio/summary")
def api_portfolio(request: Request, p: Principal = Depends(require("portfolio.read"))) -> Any:
    return read(request, lambda s: portfolio_view.summary(s, actor=p))
