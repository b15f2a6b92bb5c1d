"""Servicing API input (Pydantic, extra fields refused) and output shapes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhanye.core.money import MAX_AMOUNT_FEN, format_yuan
from zhanye.core.text import FreeText
from zhanye.lending.servicing.models import CLASS_CODES, CLASS_NAMES_ZH

Fen = Field(gt=0, le=MAX_AMOUNT_FEN)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RepaymentIn(Strict):
    amount_fen: int = Fen
    channel: Literal["eaccount", "cash", "transfer", "field"] = "eaccount"


class PrepaymentQuoteIn(Strict):
    kind: Literal["full", "partial"]
    principal_fen: int | None = Field(default=None, gt=0, le=MAX_AMOUNT_FEN)
    option: Literal["shorten_term", "lower_installment"] | None = None


class PrepaymentIn(PrepaymentQuoteIn):
    channel: Literal["eaccount", "cash", "transfer", "field"] = "eaccount"
    expected_total_fen: int | None = Field(default=None, gt=0, le=MAX_AMOUNT_FEN)


class ReversalIn(Strict):
    reason: FreeText = Field(min_length=1, max_length=200)


class ClassificationIn(Strict):
    classification: Literal["normal", "special_mention", "substandard", "doubtful", "loss"]
    reason: FreeText = Field(min_length=1, max_length=200)


def classification_out(c: Any) -> dict[str, Any]:
    return {"id": c.id, "loan_id": c.loan_id, "business_date": c.business_date, "from": CLASS_CODES[c.from_cls],
            "to": CLASS_CODES[c.to_cls], "to_name": CLASS_NAMES_ZH[c.to_cls], "dpd": c.dpd,
            "principal_fen": c.principal_fen, "source": c.source, "note": c.note}


class ContactIn(Strict):
    channel: Literal["phone", "visit", "sms", "letter"]
    result: Literal["reached", "no_answer", "promise", "refused", "wrong_number", "paid"]
    note: FreeText = ""
    promise_amount_fen: int | None = Field(default=None, gt=0, le=MAX_AMOUNT_FEN)
    promise_date: dt.date | None = None


class CloseCaseIn(Strict):
    outcome: Literal["repaid", "restructured", "litigation", "written_off", "transferred"]


class WarningIn(Strict):
    level: Literal["low", "medium", "high"]
    disposal: Literal["monitor", "freeze_line", "demand_repayment"]
    reason: FreeText = Field(min_length=1, max_length=500)


class InspectionIn(Strict):
    answers: dict[str, bool]
    note: FreeText = ""
    latitude: Decimal | None = Field(default=None, ge=-90, le=90)
    longitude: Decimal | None = Field(default=None, ge=-180, le=180)
    images: list[str] = Field(default_factory=list, max_length=9)
    conclusion: Literal["normal", "attention", "risk"]
    warning: WarningIn | None = None


class PlanIn(Strict):
    disposal_plan: FreeText = Field(min_length=1, max_length=2000)


def money(fen: int | None) -> dict[str, Any] | None:
    return None if fen is None else {"fen": fen, "yuan": format_yuan(fen)}


def loan_out(loan: Any) -> dict[str, Any]:
    return {
        "id": loan.id, "loan_no": loan.loan_no, "institution_id": loan.institution_id, "customer_id": loan.customer_id,
        "manager_id": loan.manager_id, "product_code": loan.product_code, "product_version_id": loan.product_version_id,
        "line_id": loan.line_id, "method": loan.method, "term_months": loan.term_months,
        "start_date": loan.start_date, "maturity_date": loan.maturity_date, "annual_rate": str(Decimal(loan.annual_rate).normalize()),
        "principal_fen": loan.principal_fen, "principal": money(loan.principal_fen), "status": loan.status,
        "classification": CLASS_CODES[loan.cls], "classification_name": CLASS_NAMES_ZH[loan.cls], "dpd": loan.dpd,
        "outstanding_principal_fen": loan.outstanding_principal_fen,
        "outstanding_principal": money(loan.outstanding_principal_fen),
        "interest_receivable_fen": loan.interest_receivable_fen, "accrued_interest_fen": loan.accrued_interest_fen,
        "penalty_receivable_fen": loan.penalty_receivable_fen, "compound_receivable_fen": loan.compound_receivable_fen,
        "repay_account_id": loan.repay_account_id, "closed_on": loan.closed_on,
    }


def installment_out(i: Any) -> dict[str, Any]:
    return {"id": i.id, "number": i.number, "due_date": i.due_date, "principal_fen": i.principal_fen,
            "interest_fen": i.interest_fen, "principal_paid_fen": i.principal_paid_fen,
            "interest_paid_fen": i.interest_paid_fen, "penalty_fen": i.penalty_fen, "penalty_paid_fen": i.penalty_paid_fen,
            "compound_fen": i.compound_fen, "compound_paid_fen": i.compound_paid_fen, "settled": i.settled,
            "settled_on": i.settled_on, "generation": i.generation}


def txn_out(t: Any) -> dict[str, Any]:
    return {"id": t.id, "business_date": t.business_date, "kind": t.kind, "principal_fen": t.principal_fen,
            "interest_fen": t.interest_fen, "penalty_fen": t.penalty_fen, "compound_fen": t.compound_fen,
            "principal_after_fen": t.principal_after_fen, "interest_after_fen": t.interest_after_fen,
            "penalty_after_fen": t.penalty_after_fen, "compound_after_fen": t.compound_after_fen,
            "repayment_id": t.repayment_id, "memo": t.memo}


def repayment_out(r: Any) -> dict[str, Any]:
    return {"id": r.id, "loan_id": r.loan_id, "business_date": r.business_date, "kind": r.kind, "channel": r.channel,
            "tendered_fen": r.tendered_fen, "amount_fen": r.amount_fen, "amount": money(r.amount_fen),
            "principal_fen": r.principal_fen, "interest_fen": r.interest_fen, "penalty_fen": r.penalty_fen,
            "compound_fen": r.compound_fen, "fee_fen": r.fee_fen, "status": r.status, "entry_id": r.entry_id,
            "reversal_entry_id": r.reversal_entry_id, "reversal_instance_id": r.reversal_instance_id}


def case_out(c: Any) -> dict[str, Any]:
    return {"id": c.id, "customer_id": c.customer_id, "institution_id": c.institution_id,
            "collector_id": c.collector_id, "status": c.status, "opened_on": c.opened_on, "closed_on": c.closed_on,
            "overdue_fen": c.overdue_fen, "overdue": money(c.overdue_fen), "max_dpd": c.max_dpd, "outcome": c.outcome}


def contact_out(c: Any) -> dict[str, Any]:
    return {"id": c.id, "channel": c.channel, "result": c.result, "note": c.note, "staff_id": c.staff_id,
            "promise_amount_fen": c.promise_amount_fen, "promise_date": c.promise_date,
            "promise_status": c.promise_status, "created_at": c.created_at}


def inspection_out(i: Any) -> dict[str, Any]:
    return {"id": i.id, "loan_id": i.loan_id, "customer_id": i.customer_id, "kind": i.kind, "due_date": i.due_date,
            "status": i.status, "performed_on": i.performed_on, "conclusion": i.conclusion,
            "answers": json.loads(i.answers), "images": len(json.loads(i.images)),
            "latitude": None if i.latitude is None else str(i.latitude),
            "longitude": None if i.longitude is None else str(i.longitude), "note": i.note}


def warning_out(w: Any) -> dict[str, Any]:
    return {"id": w.id, "loan_id": w.loan_id, "customer_id": w.customer_id, "level": w.level, "disposal": w.disposal,
            "reason": w.reason, "status": w.status, "effect": w.effect, "business_date": w.business_date,
            "created_by": w.created_by}
