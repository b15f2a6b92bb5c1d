"""Property-based: random repayment sequences (amounts, channels, a full prepayment at a random
point) on loans with overdue installments, penalty and compound interest never make principal
negative, never lose a fen (what is tendered = what is applied + what goes back to the
e-account; allocations sum to the repayments), and the loan closes exactly when everything is
paid. The ledger check and the reconciliation pass after every sequence."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import drop_pg_database, fresh_database_url, migrated_database
from tests.integration.servicing.helpers import (
    balance,
    fund,
    ledger_ok,
    make_bank,
    make_product,
    open_test_loan,
    run_until,
    system,
)
from zhanye.core.errors import DomainError
from zhanye.lending.servicing import repayments, service
from zhanye.lending.servicing.models import Allocation, Loan, Repayment

POOL = 30


@pytest.fixture(scope="module")
def pool(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, list[int]]]:
    url = fresh_database_url(backend, tmp_path_factory.mktemp(f"prop-{backend}"))
    db = migrated_database(url)
    make_bank(db)
    ids = []
    with db.unit_of_work() as s:
        pid = make_product(s, grace_days=0)
        for k in range(POOL):
            loan = open_test_loan(s, product_id=pid, principal=100_000 * (k + 1), months=6 + k % 7,
                                  method=("equal_installment", "equal_principal", "interest_first")[k % 3])
            ids.append(loan.id)
    run_until(db, dt.date(2026, 4, 20))  # three installments due, two overdue with penalty and compound
    yield db, ids
    db.dispose()
    if backend == "postgresql":
        drop_pg_database(url)


_used: set[tuple[int, int]] = set()

op = st.one_of(
    st.tuples(st.just("repay"), st.integers(1, 400_000), st.sampled_from(["eaccount", "cash", "transfer", "field"])),
    st.tuples(st.just("full"), st.just(0), st.sampled_from(["cash", "eaccount"])),
)


@settings(max_examples=POOL, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(ops=st.lists(op, min_size=1, max_size=8))
def test_random_repayment_sequences(pool, ops) -> None:  # type: ignore[no-untyped-def]
    db, ids = pool
    free = [i for i in ids if (id(db), i) not in _used]
    if not free:
        return
    loan_id = free[0]
    _used.add((id(db), loan_id))
    with db.unit_of_work() as s:
        acc = s.get(Loan, loan_id).repay_account_id
        fund(s, acc, 10**8)
        start_balance = balance(s, acc)
    tendered_from_account = 0
    excess_to_account = 0
    for kind, amount, channel in ops:
        try:
            with db.unit_of_work() as s:
                if kind == "repay":
                    rep = repayments.repay(s, actor=system(s), loan_id=loan_id, amount_fen=amount, channel=channel,
                                           external_id=uuid.uuid4().hex)
                else:
                    q = repayments.quote_prepayment(s, actor=system(s), loan_id=loan_id, kind="full")
                    rep = repayments.prepay(s, actor=system(s), loan_id=loan_id, kind="full", channel=channel,
                                            external_id=uuid.uuid4().hex, expected_total_fen=q.total_fen)
                if rep.channel == "eaccount":
                    tendered_from_account += rep.amount_fen
                else:
                    excess_to_account += rep.tendered_fen - rep.amount_fen
        except DomainError as exc:
            assert exc.code in ("nothing_due", "loan_closed", "prepayment_refused"), exc
        with db.unit_of_work(write=False) as s:
            loan = s.get(Loan, loan_id)
            insts = service.installments(s, loan_id)
            assert loan.outstanding_principal_fen >= 0
            assert loan.outstanding_principal_fen == sum(i.principal_fen - i.principal_paid_fen for i in insts)
            assert all(0 <= i.principal_paid_fen <= i.principal_fen and 0 <= i.interest_paid_fen <= i.interest_fen
                       and i.penalty_paid_fen <= i.penalty_fen and i.compound_paid_fen <= i.compound_fen
                       for i in insts)
            everything_paid = (all(i.settled for i in insts) and loan.outstanding_principal_fen == 0
                               and loan.interest_receivable_fen == 0 and loan.penalty_receivable_fen == 0
                               and loan.compound_receivable_fen == 0)
            assert (loan.status == "closed") == everything_paid
    with db.unit_of_work(write=False) as s:
        reps = list(s.execute(select(Repayment).where(Repayment.loan_id == loan_id)).scalars())
        for rep in reps:
            alloc = s.execute(select(func.coalesce(func.sum(Allocation.amount_fen), 0))
                              .where(Allocation.repayment_id == rep.id)).scalar_one()
            assert alloc == rep.amount_fen - rep.fee_fen
            assert rep.principal_fen + rep.interest_fen + rep.penalty_fen + rep.compound_fen == alloc
        assert balance(s, acc) == start_balance - tendered_from_account + excess_to_account
    ledger_ok(db)
