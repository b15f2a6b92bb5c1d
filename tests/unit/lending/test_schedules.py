"""Repayment calculator: known figures, the odd first period rule, and money invariants."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhanye.core.errors import ValidationFailed
from zhanye.core.money import Rounding
from zhanye.lending.schedules import (
    DayRule,
    Method,
    _round_ratio,
    add_months,
    build_schedule,
    due_dates,
    installment_amount,
    schedule_as_dict,
)

START = dt.date(2026, 1, 1)


@pytest.mark.parametrize(("amount_yuan", "rate", "months", "expected_yuan"), [
    (1_000_000, "0.049", 360, "5307.27"),   # the house's reference figure
    (1_000_000, "0.0588", 360, "5918.57"),  # 2015 benchmark mortgage rate × 1.2
    (100_000, "0.0435", 12, "8530.99"),     # one-year loan at the old 1y benchmark
    (1_000_000, "0.049", 240, "6544.44"),  # 20 years at 4.9%
    (120_000, "0", 12, "10000.00"),         # interest free: equal parts
])
def test_equal_installment_known_figures(amount_yuan: int, rate: str, months: int, expected_yuan: str) -> None:
    s = build_schedule(amount_fen=amount_yuan * 100, months=months, annual_rate=Decimal(rate),
                       method=Method.EQUAL_INSTALLMENT, start=START)
    expected = int(Decimal(expected_yuan) * 100)
    assert installment_amount(amount_yuan * 100, months, Decimal(rate)) == expected
    assert all(i.total_fen == expected for i in s.installments[:-1])
    assert abs(s.installments[-1].total_fen - expected) <= months  # the last one carries the remainder


def test_equal_principal_reference() -> None:
    s = build_schedule(amount_fen=100_000_000, months=360, annual_rate=Decimal("0.049"),
                       method=Method.EQUAL_PRINCIPAL, start=START)
    totals = [i.total_fen for i in s.installments]
    assert totals[0] == 686_111  # 6,861.11
    steps = {a - b for a, b in zip(totals[:-2], totals[1:-1], strict=True)}
    assert steps <= {1134, 1133, 1135}  # falls by 11.34 a month (fen rounding wobbles by one)
    assert totals[0] - totals[1] == 1134
    assert s.installments[-1].principal_fen == 100_000_000 - 359 * 277_778


def test_interest_first_and_bullet() -> None:
    s = build_schedule(amount_fen=5_000_000, months=12, annual_rate=Decimal("0.06"),
                       method=Method.INTEREST_FIRST, start=START)
    assert [i.interest_fen for i in s.installments] == [25_000] * 12
    assert [i.principal_fen for i in s.installments] == [0] * 11 + [5_000_000]
    b = build_schedule(amount_fen=5_000_000, months=12, annual_rate=Decimal("0.06"), method="bullet",
                       start=START)
    assert len(b.installments) == 1
    assert b.installments[0].due_date == dt.date(2027, 1, 1)
    assert b.installments[0].interest_fen == 300_000 and b.total_fen == 5_300_000


def test_month_end_start_is_regular_and_clamped() -> None:
    dates = due_dates(dt.date(2026, 1, 31), 4, DayRule())
    assert list(dates) == [dt.date(2026, 2, 28), dt.date(2026, 3, 31), dt.date(2026, 4, 30), dt.date(2026, 5, 31)]
    s = build_schedule(amount_fen=1_000_000, months=4, annual_rate=Decimal("0.06"), method="equal_principal",
                       start=dt.date(2026, 1, 31))
    assert all(i.regular for i in s.installments)
    assert s.installments[0].interest_fen == 5_000  # monthly rate although February has 28 days


def test_fixed_day_odd_first_period_uses_actual_days() -> None:
    rule = DayRule.parse("fixed_day:20")
    s = build_schedule(amount_fen=10_000_000, months=12, annual_rate=Decimal("0.0435"),
                       method="equal_installment", start=dt.date(2026, 1, 5), day_rule=rule)
    first, second = s.installments[0], s.installments[1]
    assert first.due_date == dt.date(2026, 1, 20) and first.days == 15 and not first.regular
    # 100,000 yuan × 4.35% / 360 × 15 days = 181.25 yuan
    assert first.interest_fen == 18_125
    # the principal part is that of a regular first period; later installments are the regular amount
    m = installment_amount(10_000_000, 12, Decimal("0.0435"))
    assert first.principal_fen == m - 36_250
    assert second.total_fen == m and second.regular
    assert [i.due_date.day for i in s.installments] == [20] * 12


def test_fixed_day_short_first_period_moves_a_month() -> None:
    dates = due_dates(dt.date(2026, 1, 15), 2, DayRule.parse("fixed_day:20"))
    assert list(dates) == [dt.date(2026, 2, 20), dt.date(2026, 3, 20)]


def test_fixed_day_exactly_one_month_is_regular() -> None:
    s = build_schedule(amount_fen=1_200_000, months=3, annual_rate=Decimal("0.12"), method="equal_principal",
                       start=dt.date(2026, 1, 20), day_rule=DayRule.parse("fixed_day:20"))
    assert s.installments[0].regular and s.installments[0].interest_fen == 12_000


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"amount_fen": 0}, "amount_fen"),
    ({"amount_fen": -5}, "amount_fen"),
    ({"months": 0}, "months"),
    ({"months": 601}, "months"),
    ({"annual_rate": Decimal("-0.01")}, "annual_rate"),
    ({"annual_rate": Decimal("0.5")}, "annual_rate"),
    ({"annual_rate": Decimal("NaN")}, "annual_rate"),
    ({"method": "balloon"}, "method"),
])
def test_bad_inputs_are_refused_with_the_field(kwargs: dict, field: str) -> None:
    base = {"amount_fen": 1_000_000, "months": 12, "annual_rate": Decimal("0.05"), "method": "equal_installment",
            "start": START}
    with pytest.raises(ValidationFailed) as err:
        build_schedule(**{**base, **kwargs})
    assert field in [".".join(map(str, e.loc)) for e in err.value.errors]


@pytest.mark.parametrize("text", ["fixed_day:29", "fixed_day:0", "fixed_day:x", "monthly", ""])
def test_bad_day_rules(text: str) -> None:
    with pytest.raises(ValidationFailed):
        DayRule.parse(text)


def test_add_months_leap_year() -> None:
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)


def test_json_shape_has_fen_and_yuan() -> None:
    d = schedule_as_dict(build_schedule(amount_fen=100_000_000, months=360, annual_rate=Decimal("0.049"),
                                        method="equal_installment", start=START))
    assert d["annual_rate"] == "0.049" and d["installments"][0]["total_fen"] == 530_727
    assert d["total_fen"] == d["amount_fen"] + d["total_interest_fen"]
    assert d["maturity"] == "2056-01-01"


# --- properties ----------------------------------------------------------------------------------

rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.36"), places=6, allow_nan=False)
day_rules = st.one_of(st.just(DayRule()), st.integers(1, 28).map(lambda d: DayRule.parse(f"fixed_day:{d}")))


@settings(max_examples=300, deadline=None)
@given(amount=st.integers(1, 10**12), months=st.integers(1, 480), rate=rates,
       method=st.sampled_from(list(Method)), start=st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)),
       rule=day_rules, mode=st.sampled_from(list(Rounding)))
def test_schedule_invariants(amount: int, months: int, rate: Decimal, method: Method, start: dt.date,
                             rule: DayRule, mode: Rounding) -> None:
    s = build_schedule(amount_fen=amount, months=months, annual_rate=rate, method=method, start=start,
                       day_rule=rule, mode=mode)
    inst = s.installments
    assert len(inst) == (1 if method == Method.BULLET else months)
    # principal sums exactly to the amount; interest total is the sum over the periods
    assert sum(i.principal_fen for i in inst) == amount
    assert sum(i.interest_fen for i in inst) == s.total_interest_fen
    assert s.total_fen == amount + s.total_interest_fen
    for n, i in enumerate(inst, start=1):
        assert i.number == n
        for v in (i.principal_fen, i.interest_fen, i.total_fen, i.remaining_fen):
            assert type(v) is int  # whole fen
        assert i.principal_fen >= 0 and i.interest_fen >= 0 and i.remaining_fen >= 0
        assert i.total_fen == i.principal_fen + i.interest_fen
        assert i.days > 0
    assert inst[-1].remaining_fen == 0
    remaining = [i.remaining_fen for i in inst]
    assert remaining == sorted(remaining, reverse=True)
    assert [i.due_date for i in inst] == sorted({i.due_date for i in inst})
    assert inst[0].due_date > start


@settings(max_examples=100, deadline=None)
@given(amount=st.integers(1, 10**11), months=st.integers(1, 360), rate=rates, method=st.sampled_from(list(Method)),
       rule=day_rules)
def test_fast_path_equals_the_general_step(amount: int, months: int, rate: Decimal, method: Method,
                                           rule: DayRule) -> None:
    """HALF_UP schedules take an inlined loop for the middle installments; every whole-month
    interest must equal the general exact rounding _round_ratio(outstanding × rate / 12, HALF_UP)."""
    s = build_schedule(amount_fen=amount, months=months, annual_rate=rate, method=method, start=START,
                       day_rule=rule)
    num, den = rate.as_integer_ratio()
    outstanding = amount
    for i in s.installments:
        if i.regular and method != Method.BULLET:
            assert i.interest_fen == _round_ratio(outstanding * num, den * 12, Rounding.HALF_UP)
        outstanding = i.remaining_fen


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(100, 10**11), months=st.integers(2, 360), rate=rates.filter(lambda r: r > 0))
def test_equal_installment_is_level_until_the_last(amount: int, months: int, rate: Decimal) -> None:
    s = build_schedule(amount_fen=amount, months=months, annual_rate=rate, method="equal_installment",
                       start=START)
    m = installment_amount(amount, months, rate)
    paid_off_early = any(i.remaining_fen == 0 for i in s.installments[:-1])
    if not paid_off_early:
        assert all(i.total_fen == m for i in s.installments[:-1])
    # interest is the monthly rate on the outstanding principal, rounded half up
    outstanding = amount
    for i in s.installments:
        expected = (Decimal(outstanding) * rate / 12).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        assert i.interest_fen == int(expected)
        outstanding = i.remaining_fen


@settings(max_examples=500, deadline=None)
@given(numer=st.integers(0, 10**20), denom=st.integers(1, 10**12),
       mode=st.sampled_from(list(Rounding)))
def test_round_ratio_matches_decimal_quantize(numer: int, denom: int, mode: Rounding) -> None:
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 60
        expected = int((Decimal(numer) / Decimal(denom)).quantize(Decimal(1), rounding=str(mode)))
    assert _round_ratio(numer, denom, mode) == expected
