"""Deposit arithmetic: dates, quotes, settlement interest; the clearing sandbox."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhanye.deposits.interest import is_settlement_day, settlement_interest
from zhanye.deposits.models import DepositProduct
from zhanye.deposits.products import add_months, quote
from zhanye.integrations import clearing


def test_add_months_clamps_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 22), 3) == dt.date(2027, 2, 22)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)


def test_quote_one_year() -> None:
    p = DepositProduct(code="X", name="x", kind="term", term_months=12, annual_rate=Decimal("0.0145"))
    q = quote(p, 1_000_000, dt.date(2026, 11, 22))  # 10,000 yuan for 365 days
    assert q["days"] == 365
    assert q["interest_fen"] == 14_701  # 1,000,000 × 0.0145 × 365 / 360 = 14,701.39 → half-up 14,701


def test_settlement_half_up() -> None:
    # 积数 900,000 fen·days at 0.10%: 900000 × 0.001 / 360 = 2.5 → 3 (half-up)
    assert settlement_interest(900_000, Decimal("0.001")) == 3
    assert settlement_interest(0, Decimal("0.001")) == 0


@given(st.lists(st.integers(min_value=0, max_value=10**10), min_size=1, max_size=92),
       st.decimals(min_value=Decimal("0"), max_value=Decimal("0.05"), places=4))
def test_settlement_on_base_matches_daily_sum(balances: list[int], rate: Decimal) -> None:
    """The 积数 method is exact: interest on the summed base equals the exact daily sum, rounded once."""
    base = sum(balances)
    exact = sum(Decimal(b) * rate / 360 for b in balances)
    assert settlement_interest(base, rate) == int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert settlement_interest(base, rate) >= 0


def test_settlement_days() -> None:
    assert is_settlement_day(dt.date(2026, 12, 20))
    assert is_settlement_day(dt.date(2027, 3, 20))
    assert not is_settlement_day(dt.date(2026, 11, 20))
    assert not is_settlement_day(dt.date(2026, 12, 21))


@pytest.mark.parametrize("card,ok", [("6222020200112233446", True), ("6222020200112233445", False),
                                     ("12345", False), ("6222abc", False)])
def test_card_numbers(card: str, ok: bool) -> None:
    assert clearing.valid_card_number(card) is ok


def test_sandbox_is_deterministic() -> None:
    sbx = clearing.SandboxClearing()
    assert sbx.check_binding(card_number="6222020200112233446", holder_index="x").ok
    assert not sbx.check_binding(card_number="6222020200000000000", holder_index="x").ok
    with pytest.raises(ConnectionError):
        sbx.check_binding(card_number="6222020200011119999", holder_index="x")
    a = sbx.submit_transfer(card_number="6222020200112233446", direction="in", amount_fen=5, order_key="k")
    assert a == sbx.submit_transfer(card_number="6222020200112233446", direction="in", amount_fen=5, order_key="k")
    assert sbx.confirm(ref=a.ref, card_number="6222020200112233446").confirmed
    assert not sbx.confirm(ref=a.ref, card_number="6222020200011114444").confirmed
