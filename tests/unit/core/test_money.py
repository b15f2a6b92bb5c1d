from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhanye.core.money import (
    Rounding,
    format_yuan,
    interest_fen,
    round_fen,
    split_fen,
    to_chinese_upper,
    yuan_to_fen,
)


@pytest.mark.parametrize("fen,text", [
    (1250000, "¥12,500.00"), (0, "¥0.00"), (1, "¥0.01"), (-1250, "-¥12.50"), (123456789012, "¥1,234,567,890.12"),
])
def test_format_yuan(fen: int, text: str) -> None:
    assert format_yuan(fen) == text


@pytest.mark.parametrize("fen,text", [
    (1250000, "壹万贰仟伍佰元整"),
    (100, "壹元整"),
    (1, "壹分"),
    (101, "壹元零壹分"),
    (1000100, "壹万零壹元整"),
    (100000000, "壹佰万元整"),
    (30000000, "叁拾万元整"),
    (10000000001, "壹亿元零壹分"),
    (123456789012, "壹拾贰亿叁仟肆佰伍拾陆万柒仟捌佰玖拾元壹角贰分"),
    (0, "零元整"),
    (50, "伍角整"),
    (1005, "壹拾元零伍分"),
    (100500000, "壹佰万伍仟元整"), (100050000, "壹佰万零伍佰元整"),
])
def test_chinese_upper(fen: int, text: str) -> None:
    assert to_chinese_upper(fen) == text


def test_round_fen_names_mode() -> None:
    assert round_fen(Decimal("2.5"), Rounding.HALF_UP) == 3
    assert round_fen(Decimal("2.5"), Rounding.HALF_EVEN) == 2
    assert round_fen(Decimal("2.9"), Rounding.DOWN) == 2
    assert round_fen(Decimal("-2.5"), Rounding.HALF_UP) == -3


def test_yuan_to_fen_refuses_float() -> None:
    assert yuan_to_fen("12,500.00") == 1250000
    assert yuan_to_fen(Decimal("0.005")) == 1  # half up
    with pytest.raises(TypeError):
        yuan_to_fen(0.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        yuan_to_fen("abc")


def test_interest_actual_360() -> None:
    # 1,000,000.00 yuan at 3.65% for 30 days = 3,041.666.. yuan -> 304166.67 fen -> 304167
    assert interest_fen(100_000_000, Decimal("0.0365"), 30, Rounding.HALF_UP) == 304167


@given(st.integers(min_value=0, max_value=10**15), st.integers(min_value=1, max_value=480))
def test_split_conserves_every_fen(total: int, parts: int) -> None:
    pieces = split_fen(total, parts)
    assert sum(pieces) == total
    assert len(pieces) == parts
    assert all(p == pieces[0] for p in pieces[:-1])


@given(st.integers(min_value=0, max_value=10**17))
def test_upper_case_round_trips_digits(fen: int) -> None:
    text = to_chinese_upper(fen)
    assert text.endswith(("整", "分"))
    digits = "零壹贰叁肆伍陆柒捌玖"
    assert all(c in digits + "拾佰仟万亿元角分整" for c in text)
