"""Pydantic inputs of the online channel (unknown fields refused)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from zhanye.core.text import Code, FreeText, Name
from zhanye.lending.origination.schemas import AccountNo, Fen, MethodName, PositiveFen

IdNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=18, max_length=18,
                                            pattern=r"^[0-9]{17}[0-9Xx]$")]
Mobile = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^1[3-9][0-9]{9}$")]
SmsCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]
Months = Annotated[int, Field(ge=1, le=600)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeRequest(Strict):
    id_number: IdNumber
    mobile: Mobile


class LoginIn(Strict):
    id_number: IdNumber
    mobile: Mobile
    code: SmsCode


class ApplicationIn(Strict):
    product_code: Code
    amount_fen: PositiveFen
    term_months: Months
    method: MethodName
    purpose: Annotated[FreeText, StringConstraints(min_length=1, max_length=200)]
    annual_income_fen: Fen | None = None
    monthly_debt_payment_fen: Fen | None = None


class WithdrawIn(Strict):
    reason: Annotated[FreeText, StringConstraints(max_length=200)] = ""


class SignIn(Strict):
    sms_code: SmsCode
    signature_png_base64: Annotated[str, StringConstraints(min_length=16, max_length=1_400_000)]


class DrawdownIn(Strict):
    amount_fen: PositiveFen
    term_months: Months
    method: MethodName
    payee_name: Name | None = None
    payee_account: AccountNo | None = None
    payee_bank: Name | None = None
    purpose: Annotated[FreeText, StringConstraints(max_length=200)] = ""


class AmountIn(Strict):
    amount_fen: PositiveFen


class PrepaymentQuoteIn(Strict):
    kind: Literal["full", "partial"]
    principal_fen: PositiveFen | None = None
    option: Literal["shorten_term", "lower_installment"] | None = None


class PrepaymentIn(PrepaymentQuoteIn):
    expected_total_fen: PositiveFen


class DepositQuoteIn(Strict):
    product_code: Code
    amount_fen: PositiveFen


class DepositBuyIn(DepositQuoteIn):
    eaccount_id: Annotated[int, Field(ge=1)]
    instruction: Literal["return", "renew_principal", "renew_all"] | None = None


class WithdrawalIn(Strict):
    amount_fen: PositiveFen | None = None  # none: all of it
