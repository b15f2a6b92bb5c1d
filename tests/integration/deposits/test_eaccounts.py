"""E-accounts: opening rules, bound-card clearing (confirm / fail reverses), class limits."""

from __future__ import annotations

import pytest

from tests.integration.deposits.helpers import CARD, CARD_DOWN, CARD_FAILS, CARD_MISMATCH, eaccount
from tests.integration.ledger.helpers import snapshot, system
from zhanye.core.crypto import field_cipher
from zhanye.core.errors import InvalidTransition, ProviderUnavailable, ValidationFailed
from zhanye.deposits import eaccounts
from zhanye.deposits.errors import CardBindingRefused, CustomerNotVerified, LimitExceeded
from zhanye.deposits.models import ClearingOrder, EAccount
from zhanye.ledger.check import check_ledger
from zhanye.ledger.errors import BalanceCapExceeded
from zhanye.ledger.models import Account


def _count(s, model) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    return s.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.mark.parametrize("kw,error", [
    ({"customer_verified": False}, CustomerNotVerified),
    ({"bound_card": "6222020200112233445"}, ValidationFailed),  # Luhn fails
    ({"bound_card": "62220202"}, ValidationFailed),
    ({"bound_card": CARD_MISMATCH}, CardBindingRefused),
    ({"eclass": "I"}, ValidationFailed),
])
def test_open_refusals_write_nothing(bank, kw, error) -> None:
    db, ids = bank
    args = {"institution_id": ids["101"], "customer_id": 1, "eclass": "II", "bound_card": CARD,
            "customer_verified": True} | kw
    with db.unit_of_work(write=False) as s:
        before = (_count(s, EAccount), _count(s, Account))
    with pytest.raises(error), db.unit_of_work() as s:
        eaccounts.open_eaccount(s, actor=system(s), **args)
    with db.unit_of_work(write=False) as s:
        assert (_count(s, EAccount), _count(s, Account)) == before


def test_provider_down_is_typed_and_writes_nothing(bank) -> None:
    db, ids = bank
    card = CARD_DOWN
    with pytest.raises(ProviderUnavailable), db.unit_of_work() as s:
        eaccounts.open_eaccount(s, actor=system(s), institution_id=ids["101"], customer_id=5, eclass="II",
                                bound_card=card, customer_verified=True)
    with db.unit_of_work(write=False) as s:
        assert _count(s, EAccount) == 0


def test_one_class_per_customer(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        eaccounts.open_eaccount(s, actor=system(s), institution_id=ids["101"], customer_id=42, eclass="II",
                                bound_card=CARD, customer_verified=True)
    with pytest.raises(InvalidTransition), db.unit_of_work() as s:
        eaccounts.open_eaccount(s, actor=system(s), institution_id=ids["101"], customer_id=42, eclass="II",
                                bound_card=CARD, customer_verified=True)


def test_bound_card_in_holds_until_confirmed_and_out_failure_reverses(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        a = eaccount(s, system(s), ids["101"], funds=500_000, card=CARD_FAILS)  # funding confirmation fails
        acc = s.get(Account, a)
        assert acc.balance_fen == 0 and acc.held_fen == 0
        b = eaccount(s, system(s), ids["101"])
        order = eaccounts.start_clearing(s, actor=system(s), account_id=b, direction="in", amount_fen=300_000,
                                         order_key="k1")
        acc_b = s.get(Account, b)
        assert acc_b.balance_fen == 300_000 and acc_b.available_fen == 0  # pending: held
        eaccounts.finish_clearing(s, actor=system(s), order_id=order.id)
        assert acc_b.available_fen == 300_000 and order.status == "confirmed"
    with db.unit_of_work() as s:
        # bound-card transfers are not limited: 30,000 yuan out of a class II account in one day
        c = eaccount(s, system(s), ids["101"], funds=5_000_000, card=CARD)
        out = eaccounts.start_clearing(s, actor=system(s), account_id=c, direction="out", amount_fen=3_000_000,
                                       order_key="k2")
        assert s.get(Account, c).balance_fen == 2_000_000
        eaccounts.finish_clearing(s, actor=system(s), order_id=out.id)
        assert out.status == "confirmed"
        res = check_ledger(s)
        assert res.ok, res.breaches


def test_failed_out_confirmation_reverses(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        a = eaccount(s, system(s), ids["101"])
        # fund through an internal source: a second account with a good card, then move in
        src = eaccount(s, system(s), ids["101"], funds=100_000)
        eaccounts.internal_transfer(s, actor=system(s), from_account_id=src, to_account_id=a, amount_fen=50_000)
        s.get(EAccount, a).bound_card_cipher = field_cipher().encrypt(CARD_FAILS)  # the card's bank now refuses
        out = eaccounts.start_clearing(s, actor=system(s), account_id=a, direction="out", amount_fen=20_000,
                                       order_key="k3")
        assert s.get(Account, a).balance_fen == 30_000
        eaccounts.finish_clearing(s, actor=system(s), order_id=out.id)
        assert out.status == "failed" and out.reversal_entry_id
        assert s.get(Account, a).balance_fen == 50_000
        assert s.get(ClearingOrder, out.id).status == "failed"


def test_class_ii_daily_limit(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        a = eaccount(s, system(s), ids["101"], funds=3_000_000)
        b = eaccount(s, system(s), ids["101"])
        eaccounts.internal_transfer(s, actor=system(s), from_account_id=a, to_account_id=b, amount_fen=1_000_000)
    with db.unit_of_work(write=False) as s:
        before = snapshot(s, [a, b])
    with pytest.raises(LimitExceeded), db.unit_of_work() as s:
        eaccounts.internal_transfer(s, actor=system(s), from_account_id=a, to_account_id=b, amount_fen=1)
    with db.unit_of_work(write=False) as s:
        assert snapshot(s, [a, b]) == before


def test_class_iii_cap_and_out_limit(bank) -> None:
    db, ids = bank
    with db.unit_of_work() as s:
        src = eaccount(s, system(s), ids["101"], funds=1_000_000)
        c3 = eaccount(s, system(s), ids["101"], eclass="III")
        eaccounts.internal_transfer(s, actor=system(s), from_account_id=src, to_account_id=c3, amount_fen=150_000)
    for amount, error in ((50_001, BalanceCapExceeded),):
        with db.unit_of_work(write=False) as s:
            before = snapshot(s, [src, c3])
        with pytest.raises(error), db.unit_of_work() as s:
            eaccounts.internal_transfer(s, actor=system(s), from_account_id=src, to_account_id=c3, amount_fen=amount)
        with db.unit_of_work(write=False) as s:
            assert snapshot(s, [src, c3]) == before
    with db.unit_of_work() as s:
        eaccounts.internal_transfer(s, actor=system(s), from_account_id=c3, to_account_id=src, amount_fen=150_000)
        eaccounts.internal_transfer(s, actor=system(s), from_account_id=src, to_account_id=c3, amount_fen=100_000)
    with db.unit_of_work(write=False) as s:
        before = snapshot(s, [src, c3])
    with pytest.raises(LimitExceeded), db.unit_of_work() as s:  # 1,500 already out today; limit 2,000
        eaccounts.internal_transfer(s, actor=system(s), from_account_id=c3, to_account_id=src, amount_fen=50_001)
    with db.unit_of_work(write=False) as s:
        assert snapshot(s, [src, c3]) == before
