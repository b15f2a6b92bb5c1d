"""Property-based, stateful: random sequences of opens, transfers, holds, freezes, purchases, early
withdrawals, bound-card transfers and EOD days never break a ledger invariant, refused operations
change nothing, and money is conserved (customer balances = money in − money out + interest)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from tests.integration.deposits.helpers import CARD, CARD_FAILS, eaccount
from tests.integration.ledger.helpers import snapshot, system
from zhanye.batch import service as batch
from zhanye.core.errors import DomainError
from zhanye.deposits import eaccounts, products, term
from zhanye.deposits.models import TermDeposit
from zhanye.ledger import service as ledger
from zhanye.ledger.check import check_ledger
from zhanye.ledger.models import Account, GLAccount, JournalLine

amounts = st.integers(min_value=1, max_value=3_000_000)


def test_random_operations_keep_invariants(bank) -> None:
    db, ids = bank

    class Bank(RuleBasedStateMachine):
        @initialize()
        def start(self) -> None:
            self.accounts: list[int] = []
            self.deposits: list[int] = []
            self.holds: list[int] = []
            self.money_in = 0
            self.interest0 = self._interest()
            self.base = self._balances()

        def _interest(self) -> int:
            with db.unit_of_work(write=False) as s:
                return int(s.execute(select(func.coalesce(func.sum(JournalLine.debit_fen - JournalLine.credit_fen), 0))
                                     .join(GLAccount, GLAccount.id == JournalLine.gl_account_id)
                                     .where(GLAccount.code == "6411")).scalar_one())

        def _balances(self) -> int:
            with db.unit_of_work(write=False) as s:
                return int(s.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))).scalar_one())

        def _try(self, fn, touched: list[int]) -> bool:  # type: ignore[no-untyped-def]
            with db.unit_of_work(write=False) as s:
                before = snapshot(s, touched)
            try:
                with db.unit_of_work() as s:
                    fn(s)
                return True
            except DomainError:
                with db.unit_of_work(write=False) as s:
                    assert snapshot(s, touched) == before, "a refused operation changed something"
                return False

        @rule(funds=amounts, eclass=st.sampled_from(["II", "II", "III"]))
        def open_account(self, funds: int, eclass: str) -> None:
            if eclass == "III":
                funds = min(funds, 200_000)
            with db.unit_of_work() as s:
                self.accounts.append(eaccount(s, system(s), ids["101"], eclass=eclass, funds=funds))
            self.money_in += funds

        @precondition(lambda self: len(self.accounts) >= 2)
        @rule(data=st.data(), amount=amounts)
        def transfer(self, data, amount: int) -> None:  # type: ignore[no-untyped-def]
            a, b = data.draw(st.permutations(self.accounts))[:2]
            self._try(lambda s: eaccounts.internal_transfer(s, actor=system(s), from_account_id=a, to_account_id=b,
                                                            amount_fen=amount), [a, b])

        @precondition(lambda self: self.accounts)
        @rule(data=st.data(), amount=amounts, fails=st.booleans())
        def bound_out(self, data, amount: int, fails: bool) -> None:  # type: ignore[no-untyped-def]
            a = data.draw(st.sampled_from(self.accounts))

            def go(s):  # type: ignore[no-untyped-def]
                from zhanye.core.crypto import field_cipher
                from zhanye.deposits.models import EAccount

                s.get(EAccount, a).bound_card_cipher = field_cipher().encrypt(CARD_FAILS if fails else CARD)
                order = eaccounts.start_clearing(s, actor=system(s), account_id=a, direction="out", amount_fen=amount,
                                                 order_key=f"o{a}-{amount}")
                eaccounts.finish_clearing(s, actor=system(s), order_id=order.id)
                if order.status == "confirmed":
                    self.money_in -= amount
            self._try(go, [a])

        @precondition(lambda self: self.accounts)
        @rule(data=st.data(), amount=amounts)
        def hold(self, data, amount: int) -> None:  # type: ignore[no-untyped-def]
            a = data.draw(st.sampled_from(self.accounts))

            def go(s):  # type: ignore[no-untyped-def]
                self.holds.append(ledger.place_hold(s, actor=system(s), account_id=a, amount_fen=amount,
                                                    reason="测试").id)
            self._try(go, [a])

        @precondition(lambda self: self.holds)
        @rule(data=st.data())
        def release(self, data) -> None:  # type: ignore[no-untyped-def]
            h = data.draw(st.sampled_from(self.holds))
            self._try(lambda s: ledger.release_hold(s, actor=system(s), hold_id=h), self.accounts)

        @precondition(lambda self: self.accounts)
        @rule(data=st.data(), freeze=st.sampled_from(["none", "none", "debit", "credit", "full"]))
        def freeze(self, data, freeze: str) -> None:  # type: ignore[no-untyped-def]
            a = data.draw(st.sampled_from(self.accounts))
            self._try(lambda s: ledger.set_freeze(s, actor=system(s), account_id=a, freeze=freeze, reason="测试"), [a])

        @precondition(lambda self: self.accounts)
        @rule(data=st.data(), hundreds=st.integers(min_value=50, max_value=20_000),
              code=st.sampled_from(["JHC3M", "JHC6M", "JHC1Y"]))
        def purchase(self, data, hundreds: int, code: str) -> None:  # type: ignore[no-untyped-def]
            a = data.draw(st.sampled_from(self.accounts))

            def go(s):  # type: ignore[no-untyped-def]
                pid = products.product_by_code(s, code).id
                self.deposits.append(term.purchase(s, actor=system(s), eaccount_id=a, product_id=pid,
                                                   amount_fen=hundreds * 100).id)
            self._try(go, [a])

        @precondition(lambda self: self.deposits)
        @rule(data=st.data(), part=st.integers(min_value=0, max_value=100_000))
        def withdraw(self, data, part: int) -> None:  # type: ignore[no-untyped-def]
            d = data.draw(st.sampled_from(self.deposits))
            with db.unit_of_work(write=False) as s:
                dep = s.get(TermDeposit, d)
                touched = [dep.account_id, dep.eaccount_id]
            self._try(lambda s: term.withdraw(s, actor=system(s), deposit_id=d, amount_fen=part or None), touched)

        @rule()
        def eod_day(self) -> None:
            assert batch.run(db).done

        @invariant()
        def ledger_holds(self) -> None:
            with db.unit_of_work(write=False) as s:
                res = check_ledger(s)
            assert res.ok, res.breaches

        @invariant()
        def money_conserved(self) -> None:
            interest = self._interest() - self.interest0
            assert self._balances() - self.base == self.money_in + interest

    run_state_machine_as_test(Bank, settings=settings(max_examples=12, stateful_step_count=25, deadline=None,
                                                      suppress_health_check=list(HealthCheck)))
