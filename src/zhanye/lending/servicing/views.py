"""Servicing pages. Tablet: my loans due this week, my overdue customers, my inspections,
repayment entry, prepayment quote, inspection form with camera and GPS. Back office: loan detail
(schedule, loan ledger, repayments, reversal request), overdue inspection tasks, collection
workbench, portfolio by classification and DPD band (ECharts), risk warnings.

Money-moving forms carry a one-time form token that is the repayment's external id, so a double
submit posts once."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhanye.core.calendar import get_business_date
from zhanye.core.context import Principal
from zhanye.core.errors import DomainError
from zhanye.core.money import yuan_to_fen
from zhanye.core.scope import in_scope
from zhanye.lending.servicing import collections, inspections, portfolio_view, repayments, service
from zhanye.lending.servicing.models import CLASS_NAMES_ZH, Installment, Loan, OverdueInspection
from zhanye.web import home, nav
from zhanye.web.deps import page_business_date, require
from zhanye.web.forms import domain_message
from zhanye.web.templating import render
from zhanye.workflow import subjects

router = APIRouter(include_in_schema=False)

nav.register(nav.NavItem("servicing_my", "My loans", "/servicing/my", "repayment.create", icon="phone", order=30))
nav.register(nav.NavItem("servicing_loans", "Loans", "/servicing/loans", "loan.read", icon="cash-stack", order=300))
nav.register(nav.NavItem("servicing_overdue", "Overdue inspections", "/servicing/overdue-inspections", "loan.read",
                         icon="exclamation-triangle", order=310))
nav.register(nav.NavItem("servicing_collections", "Collections", "/servicing/collections", "collection.work",
                         icon="telephone", order=320))
nav.register(nav.NavItem("servicing_portfolio", "Portfolio", "/servicing/portfolio", "portfolio.read",
                         icon="bar-chart", order=330))
nav.register(nav.NavItem("servicing_warnings", "Risk warnings", "/servicing/risk-warnings", "portfolio.read",
                         icon="bell", order=340))


def _db(request: Request) -> Any:
    return request.app.state.db


def _bizdate(request: Request, s: Session) -> dt.date:
    return page_business_date(request, s)


def _my_view(s: Session, p: Principal, bdate: dt.date) -> dict[str, Any]:
    week = (bdate + dt.timedelta(days=7)).toordinal()
    due = s.execute(select(Loan, Installment).join(Installment, Installment.loan_id == Loan.id).where(
        Loan.status == "active", Loan.manager_id == p.staff_id, in_scope(Loan.institution_id, p),
        Installment.superseded.is_(False), Installment.settled.is_(False), Installment.due_day >= bdate.toordinal(),
        Installment.due_day <= week).order_by(Installment.due_day).limit(100)).all()
    overdue, _ = service.list_loans(s, actor=p, manager_id=p.staff_id, overdue=True, status="active", limit=100)
    todo = inspections.list_inspections(s, actor=p, status="open", manager_id=p.staff_id,
                                        due_before=bdate + dt.timedelta(days=14), limit=50)
    return {"due": due, "overdue": overdue, "todo": todo}


def _home_panel(s: Session, p: Principal) -> dict[str, Any]:
    return {"template": "servicing/_home_panel.html", **_my_view(s, p, get_business_date(s))}


home.register(home.HomePanel("servicing_my", "My loans", "repayment.create", _home_panel, order=30))


subjects.register(subjects.SubjectPage("loan", "/servicing/loans/{id}", "Open the loan", "loan.read"))

@router.get("/servicing/my", response_class=HTMLResponse)
def my_page(request: Request, p: Principal = Depends(require("repayment.create"))) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        bdate = _bizdate(request, s)
        ctx = _my_view(s, p, bdate)
    return render(request, "servicing/my.html", ctx)


@router.get("/servicing/loans", response_class=HTMLResponse)
def loans_page(request: Request, overdue: bool = False, p: Principal = Depends(require("loan.read"))) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        rows, total = service.list_loans(s, actor=p, overdue=overdue or None, limit=200)
    return render(request, "servicing/loans.html", {"rows": rows, "total": total, "overdue": overdue,
                                                     "class_names": CLASS_NAMES_ZH})


def _detail(request: Request, p: Principal, loan_id: int, **extra: Any) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        loan = service.get_loan(s, actor=p, loan_id=loan_id)
        ctx = {"loan": loan, "insts": service.installments(s, loan.id),
               "ledger": service.loan_ledger(s, actor=p, loan_id=loan.id),
               "repayments": repayments.list_repayments(s, actor=p, loan_id=loan.id),
               "due": service.overdue_amounts(s, loan), "class_names": CLASS_NAMES_ZH,
               "token": secrets.token_hex(16), "can_repay": p.can("repayment.create"),
               "can_reverse": p.can("repayment.reverse"), "error": None, "quote": None, "message": None}
    ctx.update(extra)
    return render(request, "servicing/loan.html", ctx, status_code=400 if extra.get("error") else 200)


@router.get("/servicing/loans/{loan_id}", response_class=HTMLResponse)
def loan_page(loan_id: int, request: Request, p: Principal = Depends(require("loan.read"))) -> HTMLResponse:
    return _detail(request, p, loan_id)


def _fen(text: str) -> int:
    try:
        return yuan_to_fen(text)
    except (ValueError, TypeError):
        raise DomainError("金额格式不正确", "Not an amount") from None


@router.post("/servicing/loans/{loan_id}/repay", response_class=HTMLResponse)
def repay_submit(loan_id: int, request: Request, amount: str = Form(""), channel: str = Form("eaccount"),
                 token: str = Form(""), p: Principal = Depends(require("repayment.create"))) -> Response:
    try:
        with _db(request).unit_of_work() as s:
            service.get_loan(s, actor=p, loan_id=loan_id)
            repayments.repay(s, actor=p, loan_id=loan_id, amount_fen=_fen(amount), channel=channel,
                             external_id=f"page:{p.staff_id}:{token[:64]}")
    except DomainError as exc:
        return _detail(request, p, loan_id, error=domain_message(exc))
    return RedirectResponse(f"/servicing/loans/{loan_id}?done=repay", status_code=303)


@router.post("/servicing/loans/{loan_id}/prepay-quote", response_class=HTMLResponse)
def prepay_quote(loan_id: int, request: Request, kind: str = Form("full"), principal: str = Form(""),
                 option: str = Form("lower_installment"), p: Principal = Depends(require("repayment.create"))) -> Response:
    try:
        with _db(request).unit_of_work(write=False) as s:
            q = repayments.quote_prepayment(s, actor=p, loan_id=loan_id, kind=kind,
                                            principal_fen=_fen(principal) if kind == "partial" else None,
                                            option=option if kind == "partial" else None)
    except DomainError as exc:
        return _detail(request, p, loan_id, error=domain_message(exc))
    return _detail(request, p, loan_id, quote=q)


@router.post("/servicing/loans/{loan_id}/prepay", response_class=HTMLResponse)
def prepay_submit(loan_id: int, request: Request, kind: str = Form("full"), principal_fen: str = Form(""),
                  option: str = Form(""), channel: str = Form("eaccount"), expected_total_fen: str = Form(""),
                  token: str = Form(""), p: Principal = Depends(require("repayment.create"))) -> Response:
    try:
        with _db(request).unit_of_work() as s:
            repayments.prepay(s, actor=p, loan_id=loan_id, kind=kind,
                              principal_fen=int(principal_fen) if principal_fen.isdigit() else None,
                              option=option or None, channel=channel,
                              expected_total_fen=int(expected_total_fen) if expected_total_fen.isdigit() else None,
                              external_id=f"page:{p.staff_id}:{token[:64]}")
    except DomainError as exc:
        return _detail(request, p, loan_id, error=domain_message(exc))
    return RedirectResponse(f"/servicing/loans/{loan_id}?done=prepay", status_code=303)


@router.post("/servicing/repayments/{repayment_id}/reverse", response_class=HTMLResponse)
def reverse_submit(repayment_id: int, request: Request, reason: str = Form(""),
                   p: Principal = Depends(require("repayment.reverse"))) -> Response:
    with _db(request).unit_of_work(write=False) as s:
        loan_id = repayments.get_repayment(s, actor=p, repayment_id=repayment_id).loan_id
    try:
        with _db(request).unit_of_work() as s:
            repayments.request_reversal(s, actor=p, repayment_id=repayment_id, reason=reason[:200])
    except DomainError as exc:
        return _detail(request, p, loan_id, error=domain_message(exc))
    return RedirectResponse(f"/servicing/loans/{loan_id}?done=reversal", status_code=303)


@router.get("/servicing/overdue-inspections", response_class=HTMLResponse)
def overdue_page(request: Request, p: Principal = Depends(require("loan.read"))) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        rows = list(s.execute(select(OverdueInspection).where(in_scope(OverdueInspection.institution_id, p))
                              .order_by(OverdueInspection.id.desc()).limit(200)).scalars())
    return render(request, "servicing/overdue.html", {"rows": [(r, json.loads(r.details)) for r in rows]})


@router.get("/servicing/collections", response_class=HTMLResponse)
def collections_page(request: Request, status: str = "open", p: Principal = Depends(require("collection.work"))) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        rows = collections.list_cases(s, actor=p, status=status if status in ("open", "closed") else "open")
    return render(request, "servicing/collections.html", {"rows": rows, "status": status})


@router.get("/servicing/collections/{case_id}", response_class=HTMLResponse)
def case_page(case_id: int, request: Request, p: Principal = Depends(require("collection.work")),
              error: str | None = None) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        case = collections.get_case(s, actor=p, case_id=case_id)
        loans, _ = service.list_loans(s, actor=p, customer_id=case.customer_id)
        contacts = collections.contacts(s, actor=p, case_id=case_id)
    return render(request, "servicing/case.html", {"case": case, "loans": loans, "contacts": contacts,
                                                    "error": error, "class_names": CLASS_NAMES_ZH},
                  status_code=400 if error else 200)


@router.post("/servicing/collections/{case_id}/contacts", response_class=HTMLResponse)
def contact_submit(case_id: int, request: Request, channel: str = Form(""), result: str = Form(""),
                   note: str = Form(""), promise_amount: str = Form(""), promise_date: str = Form(""),
                   p: Principal = Depends(require("collection.work"))) -> Response:
    try:
        amount = _fen(promise_amount) if promise_amount.strip() else None
        day = dt.date.fromisoformat(promise_date) if promise_date else None
        with _db(request).unit_of_work() as s:
            collections.log_contact(s, actor=p, case_id=case_id, channel=channel, result=result, note=note[:500],
                                    promise_amount_fen=amount, promise_date=day)
    except ValueError:
        return case_page(case_id, request, p, error="日期格式不正确")
    except DomainError as exc:
        return case_page(case_id, request, p, error=domain_message(exc))
    return RedirectResponse(f"/servicing/collections/{case_id}", status_code=303)


@router.get("/servicing/portfolio", response_class=HTMLResponse)
def portfolio_page(request: Request, p: Principal = Depends(require("portfolio.read"))) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        data = portfolio_view.summary(s, actor=p)
    return render(request, "servicing/portfolio.html", {"data": data, "data_json": json.dumps(data, ensure_ascii=False)})


@router.get("/servicing/risk-warnings", response_class=HTMLResponse)
def warnings_page(request: Request, p: Principal = Depends(require("portfolio.read"))) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        rows = inspections.list_warnings(s, actor=p, status=None)
    return render(request, "servicing/warnings.html", {"rows": rows})


@router.get("/servicing/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_page(inspection_id: int, request: Request, p: Principal = Depends(require("inspection.perform")),
                    error: str | None = None) -> HTMLResponse:
    with _db(request).unit_of_work(write=False) as s:
        _bizdate(request, s)
        insp = inspections.get_inspection(s, actor=p, inspection_id=inspection_id)
        loan = s.get(Loan, insp.loan_id)
        photos = inspections.photos(s, actor=p, inspection=insp)
    return render(request, "servicing/inspection.html", {"insp": insp, "loan": loan, "questions": inspections.QUESTIONS,
                                                          "photos": photos, "error": error},
                  status_code=400 if error else 200)


@router.post("/servicing/inspections/{inspection_id}", response_class=HTMLResponse)
async def inspection_submit(inspection_id: int, request: Request,
                            p: Principal = Depends(require("inspection.perform"))) -> Response:
    form = await request.form()
    answers = {k: form.get(f"q_{k}") == "yes" for k, _ in inspections.QUESTIONS}
    images = [str(v) for v in form.getlist("image") if str(v)][:9]
    warning = None
    if form.get("warning_level"):
        warning = {"level": str(form.get("warning_level")), "disposal": str(form.get("warning_disposal", "monitor")),
                   "reason": str(form.get("warning_reason", ""))[:500]}
    try:
        lat = Decimal(str(form.get("latitude"))) if form.get("latitude") else None
        lon = Decimal(str(form.get("longitude"))) if form.get("longitude") else None
        db = _db(request)

        def work() -> None:
            with db.unit_of_work() as s:
                inspections.perform(s, actor=p, inspection_id=inspection_id, answers=answers,
                                    note=str(form.get("note", ""))[:1000], latitude=lat, longitude=lon, images=images,
                                    conclusion=str(form.get("conclusion", "normal")), warning=warning)

        from starlette.concurrency import run_in_threadpool

        await run_in_threadpool(work)
    except InvalidOperation:
        return inspection_page(inspection_id, request, p, error="定位格式不正确")
    except DomainError as exc:
        return inspection_page(inspection_id, request, p, error=domain_message(exc))
    return RedirectResponse("/servicing/my?done=inspection", status_code=303)
