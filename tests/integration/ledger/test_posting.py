"""Posting, reversal, idempotency, holds, freezes and the refusals that change nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.ledger.helpers import funded_account, snapshot, staff_principal, system
from zhanye.core.errors import DomainError, IdempotencyConflict, NotFound, ValidationFailed
from zhanye.ledger import service as ledger
from zhanye.ledger.check import check_ledger
from zhanye.ledger.errors import (
    AccountClosed,
    AccountDormant,
    AccountFrozen,
    AlreadyReversed,
    BalanceCapExceeded,
    InsufficientFunds,
    UnbalancedEntry,
)
from zhanye.ledger.models import Account


def test_transfer_moves_money_and_keeps_invariants(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        a, b = funded_account(s, funds=10_000), funded_account(s)
        entry = ledger.transfer(s, actor=system(s), from_account_id=a.id, to_account_id=b.id, amount_fen=2_550)
        assert entry.total_fen == 2_550
        ids = (a.id, b.id)
    with demo_db.unit_of_work(write=False) as s:
        assert [s.get(Account, i).balance_fen for i in ids] == [7_450, 2_550]
        res = check_ledger(s)
        assert res.ok, res.breaches


def test_reversal_restores_and_cannot_repeat(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        a, b = funded_account(s, funds=5_000), funded_account(s)
        e = ledger.transfer(s, actor=system(s), from_account_id=a.id, to_account_id=b.id, amount_fen=1_000)
        rev = ledger.reverse_entry(s, actor=system(s), entry_id=e.id, reason="录入错误")
        assert rev.reversal_of_id == e.id
        assert (a.balance_fen, b.balance_fen) == (5_000, 0)
        with pytest.raises(AlreadyReversed):
            ledger.reverse_entry(s, actor=system(s), entry_id=e.id, reason="again")


def test_idempotent_external_id(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        a, b = funded_account(s, funds=5_000), funded_account(s)
        key = f"t-{a.id}"
        e1 = ledger.transfer(s, actor=system(s), from_account_id=a.id, to_account_id=b.id, amount_fen=700,
                             external_id=key)
        e2 = ledger.transfer(s, actor=system(s), from_account_id=a.id, to_account_id=b.id, amount_fen=700,
                             external_id=key)
        assert e1.id == e2.id and a.balance_fen == 4_300
        with pytest.raises(IdempotencyConflict):
            ledger.transfer(s, actor=system(s), from_account_id=a.id, to_account_id=b.id, amount_fen=701,
                            external_id=key)


def _refused(db, setup, action, error) -> None:  # type: ignore[no-untyped-def]
    """Run ``action`` in its own transaction; it must raise ``error`` and change nothing."""
    with db.unit_of_work() as s:
        ids = setup(s)
    with db.unit_of_work(write=False) as s:
        before = snapshot(s, ids)
    with pytest.raises(error), db.unit_of_work() as s:
        action(s, ids)
    with db.unit_of_work(write=False) as s:
        assert snapshot(s, ids) == before


def _pair(funds: int = 10_000, **kw):  # type: ignore[no-untyped-def]
    def setup(s):  # type: ignore[no-untyped-def]
        return [funded_account(s, funds=funds, **kw).id, funded_account(s).id]
    return setup


def _move(amount):  # type: ignore[no-untyped-def]
    return lambda s, ids: ledger.transfer(s, actor=system(s), from_account_id=ids[0], to_account_id=ids[1],
                                          amount_fen=amount)


@pytest.mark.parametrize("amount", [0, -1, 10**15 + 1, 1.5, "100", True])
def test_bad_amounts_refused(demo_db, amount) -> None:
    _refused(demo_db, _pair(), _move(amount), ValidationFailed)


def test_insufficient_funds(demo_db) -> None:
    _refused(demo_db, _pair(1_000), _move(1_001), InsufficientFunds)


def test_overdraft_allowed_up_to_limit(demo_db) -> None:
    _refused(demo_db, _pair(1_000, overdraft=500), _move(1_501), InsufficientFunds)
    with demo_db.unit_of_work() as s:
        ids = _pair(1_000, overdraft=500)(s)
        _move(1_500)(s, ids)
        assert s.get(Account, ids[0]).balance_fen == -500


def test_hold_reduces_available(demo_db) -> None:
    def setup(s):  # type: ignore[no-untyped-def]
        ids = _pair(1_000)(s)
        ledger.place_hold(s, actor=system(s), account_id=ids[0], amount_fen=600, reason="司法冻结")
        return ids
    _refused(demo_db, setup, _move(401), InsufficientFunds)
    _refused(demo_db, _pair(1_000), lambda s, ids: ledger.place_hold(
        s, actor=system(s), account_id=ids[0], amount_fen=1_001, reason="x"), InsufficientFunds)


@pytest.mark.parametrize("freeze,direction", [("debit", "out"), ("full", "out"), ("credit", "in"), ("full", "in")])
def test_frozen_accounts(demo_db, freeze, direction) -> None:
    def setup(s):  # type: ignore[no-untyped-def]
        ids = _pair(1_000)(s)
        target = ids[0] if direction == "out" else ids[1]
        ledger.set_freeze(s, actor=system(s), account_id=target, freeze=freeze, reason="止付通知书")
        return ids
    _refused(demo_db, setup, _move(100), AccountFrozen)


def test_debit_freeze_still_receives(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        ids = _pair(1_000)(s)
        ledger.set_freeze(s, actor=system(s), account_id=ids[1], freeze="debit", reason="止付")
        _move(100)(s, ids)


def test_closed_account(demo_db) -> None:
    def setup(s):  # type: ignore[no-untyped-def]
        ids = _pair(1_000)(s)
        ledger.close_account(s, actor=system(s), account_id=ids[1])
        return ids
    _refused(demo_db, setup, _move(100), AccountClosed)
    _refused(demo_db, _pair(1_000), lambda s, ids: ledger.close_account(s, actor=system(s), account_id=ids[0]),
             DomainError)


def test_dormant_refuses_customer_outflow(demo_db) -> None:
    def setup(s):  # type: ignore[no-untyped-def]
        ids = _pair(1_000)(s)
        acc = s.get(Account, ids[0])
        acc.last_activity_on = acc.last_activity_on - dt.timedelta(days=400)
        assert ledger.mark_dormant(s, acc.opened_on, days=365) >= 1
        return ids
    _refused(demo_db, setup, _move(100), AccountDormant)


def test_balance_cap(demo_db) -> None:
    def setup(s):  # type: ignore[no-untyped-def]
        return [funded_account(s, funds=100_000).id, funded_account(s, funds=150_000, cap=200_000).id]
    _refused(demo_db, setup, _move(50_001), BalanceCapExceeded)


def test_unbalanced_and_control_lines_refused(demo_db) -> None:
    def setup(s):  # type: ignore[no-untyped-def]
        return [funded_account(s, funds=1_000).id]
    _refused(demo_db, setup, lambda s, ids: ledger.post_entry(
        s, actor=system(s), institution_id=s.get(Account, ids[0]).institution_id,
        lines=[ledger.debit(100, account_id=ids[0]), ledger.credit(99, gl="1001")], source_type="t"), UnbalancedEntry)
    _refused(demo_db, setup, lambda s, ids: ledger.post_entry(
        s, actor=system(s), institution_id=s.get(Account, ids[0]).institution_id,
        lines=[ledger.debit(100, gl="1001"), ledger.credit(100, gl="2011")], source_type="t"), ValidationFailed)
    _refused(demo_db, setup, lambda s, ids: ledger.post_entry(
        s, actor=system(s), institution_id=s.get(Account, ids[0]).institution_id,
        lines=[ledger.debit(100, gl="1001")], source_type="t"), UnbalancedEntry)


def test_out_of_scope_is_not_found(demo_db) -> None:
    def setup(s):  # type: ignore[no-untyped-def]
        return [funded_account(s, funds=1_000, code="201").id, funded_account(s, code="101").id]
    _refused(demo_db, setup, lambda s, ids: ledger.transfer(
        s, actor=staff_principal(s, "101"), from_account_id=ids[0], to_account_id=ids[1], amount_fen=10), NotFound)


def test_hold_expiry_and_release(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        acc = funded_account(s, funds=1_000)
        h1 = ledger.place_hold(s, actor=system(s), account_id=acc.id, amount_fen=300, reason="a",
                               expires_on=acc.opened_on)
        h2 = ledger.place_hold(s, actor=system(s), account_id=acc.id, amount_fen=200, reason="b")
        assert acc.available_fen == 500
        assert ledger.expire_holds(s, acc.opened_on) >= 1
        s.refresh(acc)
        assert acc.held_fen == 200 and s.get(type(h1), h1.id).status == "expired"
        ledger.release_hold(s, actor=system(s), hold_id=h2.id)
        assert acc.held_fen == 0
        res = check_ledger(s)
        assert res.ok, res.breaches
