"""Pydantic inputs of the origination API and pages (unknown fields refused)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhanye.core.text import Code, FreeText, Name

MethodName = Literal["equal_installment", "equal_principal", "interest_first", "bullet"]
GuaranteeType = Literal["credit", "guarantor", "mortgage", "pledge"]
Fen = Annotated[int, Field(ge=0, le=10**13)]
PositiveFen = Annotated[int, Field(ge=1, le=10**13)]
AccountNo = Annotated[str, StringConstraints(min_length=12, max_length=23, pattern=r"^[0-9 ]+$")]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ImageRefs = Annotated[list[Annotated[int, Field(ge=1)]], Field(max_length=30)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Declared(Strict):
    """Figures the manager collects on the tablet when the customer file is silent."""

    annual_income_fen: Fen | None = None
    land_mu: Annotated[float, Field(ge=0, le=100000)] | None = None
    livestock: Annotated[int, Field(ge=0, le=100000)] | None = None
    debt_elsewhere_fen: Fen | None = None
    debt_payment_elsewhere_fen: Fen | None = None
    other_monthly_payment_fen: Fen | None = None


class ApplicationCreate(Strict):
    customer_id: Annotated[int, Field(ge=1)]
    product_code: Code
    amount_fen: PositiveFen
    term_months: Annotated[int, Field(ge=1, le=600)]
    method: MethodName
    guarantee: GuaranteeType
    purpose: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)]
    channel: Literal["tablet", "online", "counter"] = "tablet"
    payee_name: Name | None = None
    payee_account: AccountNo | None = None
    payee_bank: Name | None = None
    image_refs: ImageRefs = Field(default_factory=list)
    declared: Declared = Field(default_factory=Declared)


class ApplicationUpdate(Strict):
    amount_fen: PositiveFen | None = None
    term_months: Annotated[int, Field(ge=1, le=600)] | None = None
    method: MethodName | None = None
    guarantee: GuaranteeType | None = None
    purpose: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)] | None = None
    payee_name: Name | None = None
    payee_account: AccountNo | None = None
    payee_bank: Name | None = None
    image_refs: ImageRefs | None = None
    declared: Declared | None = None


class Reason(Strict):
    reason: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)]


class ReduceIn(Strict):
    new_limit_fen: Fen
    reason: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)]


class SignIn(Strict):
    sms_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
    signature_png_base64: Annotated[str, StringConstraints(min_length=16, max_length=1_400_000)]


class DrawdownIn(Strict):
    amount_fen: PositiveFen
    term_months: Annotated[int, Field(ge=1, le=600)]
    method: MethodName
    payee_name: Name | None = None
    payee_account: AccountNo | None = None
    payee_bank: Name | None = None
    purpose: Annotated[FreeText, StringConstraints(max_length=200)] = ""


class OfflinePaymentIn(Strict):
    amount_fen: PositiveFen
    counterparty: Name
    purpose: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)]
    reason: Annotated[FreeText, StringConstraints(min_length=1, max_length=500)]
    image_refs: ImageRefs = Field(default_factory=list)


class ReviewIn(Strict):
    approve: bool
    comment: Annotated[FreeText, StringConstraints(max_length=500)] = ""


class VoucherIn(Strict):
    amount_fen: PositiveFen
    description: Annotated[FreeText, StringConstraints(min_length=1, max_length=500)]
    image_refs: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1, max_length=30)]


class PrecreditRun(Strict):
    product_code: Code = "NHXYD"
