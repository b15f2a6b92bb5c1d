"""Roster row validation, header aliases and coverage rates (no database)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from zhanye.core.errors import ValidationFailed
from zhanye.customers.validators import make_resident_id
from zhanye.villages import roster
from zhanye.villages.coverage import rate

HAMLETS = {"一组": 1, "2201220010101": 1, "二组": 2}


def test_valid_row_and_stable_hash() -> None:
    row = {"household_no": "001", "hamlet": "一组", "head_name": "王国庆",
           "head_id_number": make_resident_id("220122", dt.date(1966, 3, 1), 101), "phone": "13812345678",
           "member_count": "4"}
    a = roster._validate(2, row, HAMLETS)
    b = roster._validate(9, dict(row), HAMLETS)
    assert not isinstance(a, str) and not isinstance(b, str)
    assert a.hamlet_id == 1 and a.member_count == 4 and a.row_hash == b.row_hash
    changed = roster._validate(2, {**row, "member_count": "5"}, HAMLETS)
    assert not isinstance(changed, str) and changed.row_hash != a.row_hash


@pytest.mark.parametrize(("patch", "needle"), [
    ({"household_no": ""}, "户号"),
    ({"household_no": "a b"}, "户号"),
    ({"hamlet": "九组"}, "九组"),
    ({"head_name": "<b>"}, "户主姓名"),
    ({"head_id_number": "220122196603011011"}, "校验位"),
    ({"phone": "123"}, "手机号"),
    ({"member_count": "0"}, "家庭人数"),
    ({"member_count": "31"}, "家庭人数"),
])
def test_invalid_rows_have_a_reason(patch: dict[str, str], needle: str) -> None:
    row = {"household_no": "001", "hamlet": "一组", "head_name": "王国庆", **patch}
    reason = roster._validate(2, row, HAMLETS)
    assert isinstance(reason, str) and needle in reason


def test_header_aliases_and_missing_columns() -> None:
    rows = list(roster.read_csv(io.BytesIO("户号,屯,户主\nA1,一组,张三\n\n".encode("utf-8-sig"))))
    assert rows == [(2, {"household_no": "A1", "hamlet": "一组", "head_name": "张三"})]
    with pytest.raises(ValidationFailed):
        list(roster.read_csv(io.BytesIO(b"name,phone\nx,y\n")))
    with pytest.raises(ValidationFailed):
        list(roster.read_csv(io.BytesIO(b"")))


def test_rates_round_half_up_and_zero_division() -> None:
    assert rate(1, 3) == Decimal("0.3333")
    assert rate(2, 3) == Decimal("0.6667")
    assert rate(1, 8) == Decimal("0.1250")
    assert rate(5, 0) == Decimal("0.0000")
