"""Input and output shapes of the e-account, transfer and deposit API."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from zhanye.core.money import MAX_AMOUNT_FEN
from zhanye.core.text import FreeText, Name

AmountFen = StrictInt


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EAccountOpenIn(_In):
    customer_id: StrictInt = Field(gt=0)
    institution_id: StrictInt | None = Field(default=None, gt=0, description="used when the customers feature is absent")
    eclass: Literal["II", "III"]
    bound_card: str = Field(min_length=12, max_length=23, pattern=r"^[0-9 ]+$")
    customer_verified: bool = Field(default=False, description="used when the customers feature is absent")


class TransferIn(_In):
    from_account_id: StrictInt = Field(gt=0)
    to_account_id: StrictInt = Field(gt=0)
    amount_fen: AmountFen = Field(gt=0, le=MAX_AMOUNT_FEN)
    memo: FreeText = Field(default="行内转账", max_length=100)


class BoundTransferIn(_In):
    direction: Literal["in", "out"]
    amount_fen: AmountFen = Field(gt=0, le=MAX_AMOUNT_FEN)


class PurchaseIn(_In):
    product_id: StrictInt = Field(gt=0)
    amount_fen: AmountFen = Field(gt=0, le=MAX_AMOUNT_FEN)
    instruction: Literal["return", "renew_principal", "renew_all"] | None = None


class WithdrawIn(_In):
    amount_fen: AmountFen | None = Field(default=None, gt=0, le=MAX_AMOUNT_FEN)


class ProductIn(_In):
    code: str = Field(min_length=2, max_length=32, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: Name = Field(max_length=100)
    kind: Literal["demand", "term", "cd"]
    term_months: StrictInt = Field(ge=0, le=60)
    annual_rate: Decimal = Field(ge=0, le=Decimal("0.2"), max_digits=10, decimal_places=8)
    min_amount_fen: AmountFen = Field(default=0, ge=0, le=MAX_AMOUNT_FEN)
    increment_fen: AmountFen = Field(default=100, gt=0, le=MAX_AMOUNT_FEN)
    early_withdrawal: bool = True
    default_instruction: Literal["return", "renew_principal", "renew_all"] = "return"


class RateIn(_In):
    annual_rate: Decimal = Field(ge=0, le=Decimal("0.2"), max_digits=10, decimal_places=8)
