"""Pure rules of the posting API: amounts, leg shape, balance."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhanye.core.errors import ValidationFailed
from zhanye.ledger import service as ledger
from zhanye.ledger.errors import UnbalancedEntry


@pytest.mark.parametrize("bad", [0, -5, 10**15 + 1, 1.0, "1", None, True])
def test_check_amount_refuses(bad) -> None:
    with pytest.raises(ValidationFailed):
        ledger.check_amount(bad)


def test_check_amount_accepts_bounds() -> None:
    assert ledger.check_amount(1) == 1
    assert ledger.check_amount(10**15) == 10**15


@given(st.lists(st.integers(min_value=1, max_value=10**12), min_size=1, max_size=8))
def test_balanced_split_validates(amounts: list[int]) -> None:
    legs = [ledger.debit(sum(amounts), gl="1001")] + [ledger.credit(a, account_id=i + 1) for i, a in enumerate(amounts)]
    ledger._validate_legs(legs)


@given(st.integers(min_value=1, max_value=10**12), st.integers(min_value=1, max_value=10**6))
def test_unbalanced_refused(amount: int, diff: int) -> None:
    with pytest.raises(UnbalancedEntry):
        ledger._validate_legs([ledger.debit(amount, gl="1001"), ledger.credit(amount + diff, account_id=1)])


def test_leg_needs_exactly_one_target_and_side() -> None:
    with pytest.raises(ValidationFailed):
        ledger._validate_legs([ledger.Leg(debit_fen=1, account_id=1, gl="1001"), ledger.credit(1, gl="1001")])
    with pytest.raises(ValidationFailed):
        ledger._validate_legs([ledger.Leg(debit_fen=1, credit_fen=1, gl="1001"), ledger.credit(1, gl="1001")])


def test_account_numbers_pass_luhn() -> None:
    from stdnum import luhn

    for _ in range(50):
        n = ledger.new_account_number()
        assert len(n) == 19 and luhn.is_valid(n)
