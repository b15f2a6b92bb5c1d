"""Resident ID and USCC validators with real-format numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from stdnum.cn import uscc as stdnum_uscc

from zhanye.customers.validators import (
    InvalidNumber,
    make_card,
    make_resident_id,
    uscc_check_digit,
    uscc_kind,
    validate_card,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)

TODAY = dt.date(2026, 11, 22)


def test_known_valid_resident_ids() -> None:
    # the stdnum doctest number and a GB 11643 example with an X check digit
    assert validate_resident_id("360426199101010071", today=TODAY).gender == "M"
    rid = validate_resident_id("11010519491231002X", today=TODAY)
    assert rid.birth_date == dt.date(1949, 12, 31)
    assert rid.gender == "F"
    assert rid.age_on(TODAY) == 76


def test_lowercase_x_and_spaces_are_normalized() -> None:
    assert validate_resident_id(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"


def test_region_created_after_birth_is_still_valid() -> None:
    # 农安县 (220122) exists since 1983; people born earlier hold 220122 numbers too
    number = make_resident_id("220122", dt.date(1975, 4, 12), 131)
    assert validate_resident_id(number, today=TODAY).region_code == "220122"


@pytest.mark.parametrize(("number", "reason"), [
    ("36042619910101007", "length"),
    ("3604261991010100711", "length"),
    ("36042619910101007A", "format"),
    ("3604261991010100X1", "format"),
    ("360426199101010072", "checksum"),
    ("11010519491231002Y", "format"),
])
def test_invalid_resident_ids(number: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as exc:
        validate_resident_id(number, today=TODAY)
    assert exc.value.reason == reason
    assert exc.value.message_zh and exc.value.message_en


def test_invalid_birth_dates() -> None:
    feb30 = "110101" + "19900230" + "123"
    from stdnum.cn import ric

    with pytest.raises(InvalidNumber) as exc:
        validate_resident_id(feb30 + ric.calc_check_digit(feb30 + "0"), today=TODAY)
    assert exc.value.reason == "birth_date"
    future = make_resident_id("110101", dt.date(2027, 1, 1), 1)
    with pytest.raises(InvalidNumber) as exc:
        validate_resident_id(future, today=TODAY)
    assert exc.value.reason == "birth_date"


def test_unknown_region() -> None:
    with pytest.raises(InvalidNumber) as exc:
        validate_resident_id(make_resident_id("999999", dt.date(1990, 1, 1), 5), today=TODAY)
    assert exc.value.reason == "region"


def test_real_enterprise_usccs() -> None:
    for code in ("91350100M000100Y43", "91110000600037341L", "91440300708461136T"):
        assert validate_uscc(code) == code
        assert stdnum_uscc.is_valid(code)
    assert uscc_kind("91350100M000100Y43") == "enterprise"


@pytest.mark.parametrize("prefix", ["N1", "N2", "N3"])
def test_letter_led_village_collective_codes(prefix: str) -> None:
    body = f"{prefix}220122MF0839291"
    code = body + uscc_check_digit(body)
    assert validate_uscc(code) == code
    assert not stdnum_uscc.is_valid(code)  # the reason this validator exists
    # our check digit agrees with the standard's weights as stdnum computes them
    assert uscc_check_digit(body) == stdnum_uscc.calc_check_digit(body)
    assert uscc_kind(code).startswith("collective")


@pytest.mark.parametrize(("code", "reason"), [
    ("91350100M000100Y4", "length"),
    ("91350100M000100Y44", "checksum"),
    ("91350100M000100I43", "format"),  # I is never used
    ("9135010OM000100Y43", "format"),
    ("Z1350100M000100Y43", "format"),
    ("B1350100M000100Y43", "authority"),
    ("97350100M000100Y43", "authority"),
])
def test_invalid_usccs(code: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as exc:
        validate_uscc(code)
    assert exc.value.reason == reason


def test_mobile_and_card() -> None:
    assert validate_mobile("+86 138 1234 0001") == "13812340001"
    for bad in ("12812340001", "1381234000", "138123400012", "abc"):
        with pytest.raises(InvalidNumber):
            validate_mobile(bad)
    card = make_card("622848001234567")
    assert validate_card(card) == card
    with pytest.raises(InvalidNumber):
        validate_card(card[:-1] + str((int(card[-1]) + 1) % 10))
