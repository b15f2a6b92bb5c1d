"""Allocation, interest arithmetic and classification rules (no database)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from zhanye.lending.servicing.allocation import DEFAULT_ORDER, Due, allocate, parse_order
from zhanye.lending.servicing.eod import class_by_dpd, target_class
from zhanye.lending.servicing.service import day_interest, penalty_rate, rate_e8


def test_default_order_oldest_first() -> None:
    dues = [Due(1, 1, penalty=10, compound=2, interest=100, principal=1000),
            Due(2, 2, penalty=5, compound=1, interest=90, principal=1000)]
    res = allocate(1200, dues)
    assert res.parts == [(1, "penalty", 10), (1, "compound", 2), (1, "interest", 100), (1, "principal", 1000),
                         (2, "penalty", 5), (2, "compound", 1), (2, "interest", 82)]
    assert res.remainder == 0 and res.applied == 1200


def test_custom_order_and_overpayment() -> None:
    dues = [Due(1, 1, penalty=10, compound=2, interest=100, principal=1000)]
    res = allocate(5000, dues, ("principal", "interest", "penalty", "compound"))
    assert res.parts[0] == (1, "principal", 1000) and res.remainder == 5000 - 1112


def test_parse_order_falls_back_to_default() -> None:
    assert parse_order("principal,interest,penalty,compound") == ("principal", "interest", "penalty", "compound")
    assert parse_order("principal,interest") == DEFAULT_ORDER


_due = st.builds(lambda k, a, b, c, d: Due(k, k, penalty=a, compound=b, interest=c, principal=d),
                 st.integers(1, 50), st.integers(0, 10**5), st.integers(0, 10**4), st.integers(0, 10**6),
                 st.integers(0, 10**8))


@given(st.integers(0, 10**9), st.lists(_due, max_size=8, unique_by=lambda d: d.key),
       st.permutations(list(DEFAULT_ORDER)))
def test_allocation_never_loses_a_fen(amount, dues, order) -> None:  # type: ignore[no-untyped-def]
    res = allocate(amount, dues, order)
    assert res.applied + res.remainder == amount
    by_key = {d.key: d for d in dues}
    taken: dict[tuple[int | None, str], int] = {}
    for key, comp, amt in res.parts:
        assert amt > 0
        taken[(key, comp)] = taken.get((key, comp), 0) + amt
    for (key, comp), amt in taken.items():
        assert amt <= by_key[key].owed(comp)  # never more than owed: nothing goes negative
    assert res.remainder == 0 or res.applied == sum(d.total for d in dues)


@given(st.integers(0, 10**10), st.decimals(min_value=Decimal("0"), max_value=Decimal("0.36"), places=6),
       st.integers(1, 31))
def test_integer_interest_equals_decimal_half_up(principal, rate, days) -> None:  # type: ignore[no-untyped-def]
    want = int((Decimal(principal) * rate * days / 360).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert day_interest(principal, rate_e8(rate), days) == want


def test_penalty_rate() -> None:
    assert penalty_rate(Decimal("0.0435"), Decimal("0.5")) == 6_525_000
    assert penalty_rate(Decimal("0.0435"), Decimal("0.3")) == 5_655_000


def test_classification_thresholds_and_no_automatic_npl_upgrade() -> None:
    assert [class_by_dpd(d) for d in (0, 1, 90, 91, 270, 271, 360, 361)] == [0, 1, 1, 2, 2, 3, 3, 4]
    assert target_class(1, 0, 0) == 0  # 关注 back to 正常 when cured
    assert target_class(2, 0, 0) == 2  # 次级 stays until a manual upgrade
    assert target_class(0, 1, 0) == 1  # a manual floor holds
    assert target_class(3, 0, 400) == 4  # worse is always applied
    assert class_by_dpd(45, (0, 30, 90, 180)) == 2
