"""Input shapes of the ledger API (holds and freezes)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from zhanye.core.money import MAX_AMOUNT_FEN
from zhanye.core.text import FreeText


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: StrictInt = Field(gt=0, le=MAX_AMOUNT_FEN)
    reason: FreeText = Field(min_length=1, max_length=200)
    expires_on: dt.date | None = None


class FreezeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    freeze: Literal["none", "debit", "credit", "full"]
    reason: FreeText = Field(default="", max_length=200)
