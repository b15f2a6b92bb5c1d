"""Pydantic input shapes of the lending API and pages (inputs refuse unknown fields)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhanye.core.text import Code, FreeText, Name

PurposeCategory = Literal["farm_production", "consumer", "business", "house_mortgage_express"]
CustomerType = Literal["farmer", "individual", "individual_business", "small_enterprise"]
MethodName = Literal["equal_installment", "equal_principal", "interest_first", "bullet"]
GuaranteeType = Literal["credit", "guarantor", "mortgage", "pledge"]
AllocationPart = Literal["penalty", "compound", "interest", "principal"]
Tenor = Literal["1y", "5y"]
RateStr = Annotated[Decimal, Field(max_digits=12, decimal_places=8)]
DecisionKey = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_.\-]*$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductConfig(Strict):
    """Every setting of a loan product version. Cross-field rules are checked by the service."""

    name: Name
    description: FreeText = ""
    status: Literal["active", "suspended"] = "active"
    purpose_category: PurposeCategory
    customer_type: CustomerType
    min_amount_fen: int = Field(ge=1, le=10**13)
    max_amount_fen: int = Field(ge=1, le=10**13)
    min_term_months: int = Field(ge=1, le=600)
    max_term_months: int = Field(ge=1, le=600)
    rate_type: Literal["fixed", "lpr"]
    lpr_tenor: Tenor | None = None
    fixed_rate_min: RateStr | None = None
    fixed_rate_max: RateStr | None = None
    spread_min_bp: int | None = Field(default=None, ge=-500, le=3000)
    spread_max_bp: int | None = Field(default=None, ge=-500, le=3000)
    repayment_methods: list[MethodName] = Field(min_length=1, max_length=4)
    repayment_day_rule: Annotated[str, StringConstraints(max_length=32)] = "loan_date"
    grace_days: int = Field(default=3, ge=0, le=30)
    penalty_uplift: RateStr = Decimal("0.5")
    compound_interest: bool = True
    allocation_order: list[AllocationPart] = Field(
        default_factory=lambda: ["penalty", "compound", "interest", "principal"], min_length=4, max_length=4)
    guarantee_types: list[GuaranteeType] = Field(min_length=1, max_length=4)
    revolving: bool = False
    line_validity_months: int = Field(ge=1, le=360)
    entrusted_threshold_fen: int = Field(ge=0, le=10**13)
    prepayment_fee_rule: Annotated[str, StringConstraints(max_length=64)] = "none"
    admission_decision_key: DecisionKey
    pricing_decision_key: DecisionKey
    approval_process_key: DecisionKey
    approval_mode: Literal["referred", "always"] = "referred"


class ProductCreate(ProductConfig):
    code: Code


Note500 = Annotated[FreeText, StringConstraints(max_length=500)]
Note200 = Annotated[FreeText, StringConstraints(max_length=200)]


class ProductEdit(ProductConfig):
    change_note: Note500 = ""
    base_version: int | None = Field(default=None, ge=1,
                                     description="The version the edit starts from; refused if no longer current")


class LprIn(Strict):
    tenor: Tenor
    rate: RateStr = Field(gt=0, lt=Decimal("0.2"))
    effective_date: dt.date
    note: Note200 = ""


class ScheduleIn(Strict):
    amount_fen: int = Field(ge=1, le=10**15)
    months: int = Field(ge=1, le=600)
    annual_rate: RateStr = Field(ge=0, le=Decimal("0.36"))
    method: MethodName
    start: dt.date
    repayment_day_rule: Annotated[str, StringConstraints(max_length=32)] = "loan_date"
    product_id: int | None = Field(default=None, ge=1, description="Check the inputs against this product version")


class Party(Strict):
    name: Name
    id_number: Annotated[str, StringConstraints(min_length=15, max_length=18, pattern=r"^[0-9]{15,17}[0-9Xx]$")]
    phone: Annotated[str, StringConstraints(pattern=r"^1[3-9][0-9]{9}$")]
    address: FreeText = ""
    customer_ref: Annotated[str, StringConstraints(max_length=64)] | None = None


class LoanContractIn(Strict):
    """What a loan contract needs; the later drawdown flow passes the same fields."""

    customer: Party
    product_id: int = Field(ge=1)
    amount_fen: int = Field(ge=1, le=10**13)
    months: int = Field(ge=1, le=600)
    annual_rate: RateStr = Field(ge=0, le=Decimal("0.36"))
    method: MethodName
    start: dt.date
    repayment_day_rule: Annotated[str, StringConstraints(max_length=32)] = "loan_date"
    purpose: FreeText = ""
    payee_name: FreeText = ""
    payee_account: Annotated[str, StringConstraints(max_length=34, pattern=r"^[0-9]*$")] = ""
    source_type: Annotated[str, StringConstraints(max_length=32)] | None = None
    source_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class LineContractIn(Strict):
    """A credit-line (授信) contract: the limit, the rate terms and the validity."""

    customer: Party
    product_id: int = Field(ge=1)
    limit_fen: int = Field(ge=1, le=10**13)
    annual_rate: RateStr = Field(ge=0, le=Decimal("0.36"))
    months: int = Field(ge=1, le=360, description="validity of the line in months")
    start: dt.date
    revolving: bool = False
    source_type: Annotated[str, StringConstraints(max_length=32)] | None = None
    source_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class SmsRequestIn(Strict):
    pass


class SignIn(Strict):
    signature_png_base64: Annotated[str, StringConstraints(min_length=20, max_length=1_400_000)]
    sms_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
