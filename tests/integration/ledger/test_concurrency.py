"""Concurrency: 24 threads transfer at random among a few hot accounts. Final balances equal the
serial sum of the transfers that succeeded, no available balance goes negative, and the only
refusals are typed ones (no deadlock or lost update escapes as an error)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest

from tests.integration.ledger.helpers import funded_account, system
from zhanye.ledger import service as ledger
from zhanye.ledger.check import check_ledger
from zhanye.ledger.errors import InsufficientFunds
from zhanye.ledger.models import Account

THREADS = 24
PER_THREAD = 25


def test_hot_accounts_under_threads(demo_db) -> None:
    if demo_db.is_sqlite:
        threads, per = 8, 10  # SQLite serializes writers; still proves correctness, more cheaply
    else:
        threads, per = THREADS, PER_THREAD
    with demo_db.unit_of_work() as s:
        ids = [funded_account(s, funds=50_000).id for _ in range(4)]
        actor = system(s)
    start = {i: 50_000 for i in ids}
    done: list[tuple[int, int, int]] = []
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        for _ in range(per):
            a, b = rnd.sample(ids, 2)
            amount = rnd.randint(1, 20_000)
            try:
                with demo_db.unit_of_work() as s:
                    ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=amount)
                with lock:
                    done.append((a, b, amount))
                    outcomes["ok"] += 1
            except InsufficientFunds:
                with lock:
                    outcomes["insufficient"] += 1
            except Exception as exc:  # noqa: BLE001 - any other failure is the bug this test looks for
                with lock:
                    outcomes[f"error:{type(exc).__name__}:{exc}"[:200]] += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    errors = {k: v for k, v in outcomes.items() if k.startswith("error")}
    assert not errors, errors
    assert outcomes["ok"] > 0
    expected = dict(start)
    for a, b, amount in done:
        expected[a] -= amount
        expected[b] += amount
    with demo_db.unit_of_work(write=False) as s:
        actual = {i: s.get(Account, i).balance_fen for i in ids}
        assert actual == expected
        assert all(v >= 0 for v in actual.values())
        assert sum(actual.values()) == sum(start.values())
        res = check_ledger(s)
        assert res.ok, res.breaches


@pytest.mark.parametrize("n", [1])
def test_same_external_id_concurrently_posts_once(demo_db, n) -> None:
    with demo_db.unit_of_work() as s:
        a, b = funded_account(s, funds=10_000).id, funded_account(s).id
        actor = system(s)
    results: list[object] = []

    def go() -> None:
        try:
            with demo_db.unit_of_work() as s:
                e = ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=1_000,
                                    external_id=f"dup-{a}")
                results.append(e.id)
        except Exception as exc:  # noqa: BLE001
            results.append(type(exc).__name__)

    pool = [threading.Thread(target=go) for _ in range(6)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    with demo_db.unit_of_work(write=False) as s:
        assert s.get(Account, b).balance_fen == 1_000  # exactly once
    assert all(isinstance(r, int) or r == "IntegrityError" for r in results), results


def test_audit_chain_stays_linear_under_threads(demo_db) -> None:
    """Records buffered before and after a posting, from many threads: each transaction's records
    land together and in call order in one lane, each lane verifies (no fork, no gap), and on
    PostgreSQL the threads spread over more than one lane."""
    from sqlalchemy import func, select

    from zhanye.core import audit
    from zhanye.core.models import AuditRecord

    threads, per = (4, 5) if demo_db.is_sqlite else (12, 8)
    lane = (AuditRecord.id / audit.LANE_SPAN) if demo_db.is_sqlite else func.div(AuditRecord.id, audit.LANE_SPAN)
    with demo_db.unit_of_work() as s:
        ids = [funded_account(s, funds=10_000_000).id for _ in range(3)]
        actor = system(s)
        before = dict(s.execute(select(lane, func.max(AuditRecord.id)).group_by(lane)).all())
    failures: list[str] = []

    def worker(n: int) -> None:
        for k in range(per):
            try:
                with demo_db.unit_of_work() as s:
                    audit.record(s, action="test.before", object_type="t", object_id=f"{n}:{k}", actor=actor)
                    ledger.transfer(s, actor=actor, from_account_id=ids[n % 3], to_account_id=ids[(n + 1) % 3],
                                    amount_fen=1)
                    audit.record(s, action="test.after", object_type="t", object_id=f"{n}:{k}", actor=actor)
            except Exception as exc:  # noqa: BLE001 - reported below
                failures.append(f"{type(exc).__name__}: {exc}"[:200])

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not failures, failures
    by_lane: dict[int, list] = {}
    with demo_db.unit_of_work(write=False) as s:
        assert audit.verify(s).ok
        for k in range(audit.MAX_LANES):
            start = before.get(k, k * audit.LANE_SPAN)
            rows = s.execute(select(AuditRecord.id, AuditRecord.action, AuditRecord.object_id)
                             .where(AuditRecord.id > start, AuditRecord.id < (k + 1) * audit.LANE_SPAN)
                             .order_by(AuditRecord.id)).all()
            if rows:
                assert [r.id for r in rows] == list(range(start + 1, start + 1 + len(rows)))  # no gap
                by_lane[k] = rows
    if not demo_db.is_sqlite:
        assert len(by_lane) > 1, by_lane.keys()  # concurrent writers do not all queue for one head
    assert sum(1 for rows in by_lane.values() for r in rows if r.action == "test.before") == threads * per
    for rows in by_lane.values():
        mine = [r for r in rows if r.action.startswith("test.") or r.action == "ledger.entry.post"]
        for i, r in enumerate(mine):  # before, posting, after: consecutive for each transaction
            if r.action == "test.before":
                assert mine[i + 1].action == "ledger.entry.post" and mine[i + 2].action == "test.after"
                assert mine[i + 2].object_id == r.object_id
