"""The audit chain on PostgreSQL when a process's expectation of the head is wrong: another
process wrote, or the previous writer rolled back after its statement. The guard must catch it
and the records must be chained after the real head (on SQLite the same calls run the plain way)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from tests.integration.ledger.helpers import funded_account, system
from zhanye.core import audit
from zhanye.core.db import Database
from zhanye.core.errors import IdempotencyConflict
from zhanye.core.models import AuditRecord
from zhanye.ledger import service as ledger
from zhanye.ledger.models import Account, JournalEntry


def _tail(db: Database, n: int) -> list[tuple[str, str]]:
    with db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        assert res.ok, res.reason
        rows = s.execute(select(AuditRecord.action, AuditRecord.object_id)
                         .order_by(AuditRecord.at.desc(), AuditRecord.id.desc()).limit(n)).all()
    return [tuple(r) for r in reversed(rows)]


def test_records_of_another_process_in_between_are_chained_after(demo_db) -> None:
    other = Database(demo_db.url, pool_size=2)  # its own pool: another process's turns
    try:
        with demo_db.unit_of_work() as s:
            actor = system(s)
            a, b = funded_account(s, funds=1_000).id, funded_account(s).id
        with demo_db.unit_of_work() as s:  # this process now expects the head it left
            ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=1)
        for k in range(2):
            with other.unit_of_work() as s:
                audit.record(s, action="test.other", object_type="t", object_id=k, actor=actor)
        with demo_db.unit_of_work() as s:  # a posting whose expectation is stale
            e1 = ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=2)
        with other.unit_of_work() as s:
            audit.record(s, action="test.other", object_type="t", object_id=2, actor=actor)
        with demo_db.unit_of_work() as s:  # a plain record whose expectation is stale
            audit.record(s, action="test.mine", object_type="t", object_id=3, actor=actor)
        assert _tail(demo_db, 5) == [("test.other", "0"), ("test.other", "1"), ("ledger.entry.post", str(e1.id)),
                                     ("test.other", "2"), ("test.mine", "3")]
        with demo_db.unit_of_work(write=False) as s:
            assert s.get(Account, b).balance_fen == 3
    finally:
        other.dispose()


def test_a_writer_rolled_back_after_its_statement_leaves_a_stale_expectation(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b = funded_account(s, funds=1_000).id, funded_account(s).id
    with pytest.raises(RuntimeError), demo_db.unit_of_work() as s:
        ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=5)  # head written...
        raise RuntimeError("the use case fails later")  # ...and rolled back
    with demo_db.unit_of_work() as s:
        e = ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=7)
        audit.record(s, action="test.after", object_type="t", object_id=e.id, actor=actor)
    assert _tail(demo_db, 2) == [("ledger.entry.post", str(e.id)), ("test.after", str(e.id))]
    with demo_db.unit_of_work(write=False) as s:
        assert (s.get(Account, a).balance_fen, s.get(Account, b).balance_fen) == (993, 7)


def test_a_posting_losing_the_race_for_its_key_writes_nothing(demo_db) -> None:
    """Two postings under the same key on other accounts: the second one's lookup runs before the
    first commits, its insert waits for that commit and then writes nothing (409)."""
    if demo_db.is_sqlite:
        pytest.skip("SQLite serializes writers: the second posting sees the first one's key")
    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b, c, d = (funded_account(s, funds=1_000).id for _ in range(4))
    key = f"race-{a}"
    posted = threading.Event()
    first: list[int] = []

    def go_first() -> None:
        with demo_db.unit_of_work() as s:
            first.append(ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=10,
                                         external_id=key).id)
            posted.set()
            time.sleep(0.5)  # the second posting is waiting on the key meanwhile

    t = threading.Thread(target=go_first)
    t.start()
    assert posted.wait(10)
    with pytest.raises(IdempotencyConflict), demo_db.unit_of_work() as s:
        ledger.transfer(s, actor=actor, from_account_id=c, to_account_id=d, amount_fen=20, external_id=key)
    t.join()
    with demo_db.unit_of_work(write=False) as s:
        assert [s.get(Account, i).balance_fen for i in (a, b, c, d)] == [990, 1_010, 1_000, 1_000]
        assert s.execute(select(JournalEntry.id).where(JournalEntry.external_id == key)).scalars().all() == first
    assert _tail(demo_db, 1) == [("ledger.entry.post", str(first[0]))]


def test_over_long_values_are_cut_to_their_columns_before_the_hash(demo_db) -> None:
    """Every database stores exactly what the hash covers (PostgreSQL would otherwise cut a value
    on its cast silently, or refuse it, depending on the path that writes the record)."""
    with demo_db.unit_of_work() as s:
        actor = system(s)
        audit.record(s, action="test.warmup", object_type="t", object_id=1, actor=actor)  # a turn to follow
    with demo_db.unit_of_work() as s:
        audit.record(s, action="test.long", object_type="t", object_id="x" * 80, actor=actor)
    with demo_db.unit_of_work() as s:  # the held path: after a posting in the same transaction
        a, b = funded_account(s, funds=10).id, funded_account(s).id
        ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=1)
        audit.record(s, action="test.long", object_type="t", object_id="y" * 80, actor=actor)
    rows = _tail(demo_db, 20)  # (verifies the chain)
    assert ("test.long", "x" * 64) in rows and ("test.long", "y" * 64) in rows


def _audit_statements(monkeypatch: pytest.MonkeyPatch, fn: object) -> list[str]:
    calls: list[str] = []
    real = audit.pg_execute

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(str(args[1]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "pg_execute", counting)
    try:
        fn()  # type: ignore[operator]
    finally:
        monkeypatch.setattr(audit, "pg_execute", real)
    return calls


def test_records_after_a_posting_leave_the_turn_at_the_new_head(demo_db, monkeypatch) -> None:
    """A use case recording after its posting moves the head under the lock it already holds;
    the next posting of the process still expects the right head (no second audit statement)."""
    if demo_db.is_sqlite:
        pytest.skip("PostgreSQL: the turns")
    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b = funded_account(s, funds=1_000).id, funded_account(s).id

    def post(extra: bool) -> object:
        def go() -> None:
            with demo_db.unit_of_work() as s:
                ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=1)
                if extra:
                    audit.record(s, action="test.after", object_type="t", object_id=1, actor=actor)
        return go

    post(True)()
    assert _audit_statements(monkeypatch, post(False)) == []  # all in the posting's own statement
    post(True)()
    assert _audit_statements(monkeypatch, post(True)) == [audit._pg_write_sql(1)]  # the record at commit
    _tail(demo_db, 1)


def test_a_head_taken_in_a_released_savepoint_is_the_transactions(demo_db, monkeypatch) -> None:
    """PostgreSQL keeps the savepoint's lock when it is released: the next chaining in the
    transaction writes under it, without queueing for a turn (whose predecessor could be waiting
    for this very lock)."""
    if demo_db.is_sqlite:
        pytest.skip("PostgreSQL: the turns")
    turns: list[int] = []
    real = audit._in_turn
    monkeypatch.setattr(audit, "_in_turn", lambda *a: turns.append(1) or real(*a))
    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b = funded_account(s, funds=1_000).id, funded_account(s).id
    with demo_db.unit_of_work() as s:
        with s.begin_nested():
            ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=1)
        taken = len(turns)
        e = ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=2)
        with s.begin_nested():
            audit.record(s, action="test.inner", object_type="t", object_id=e.id, actor=actor)
        assert len(turns) == taken  # neither the posting nor the savepoint's record queued
    assert _tail(demo_db, 2) == [("ledger.entry.post", str(e.id)), ("test.inner", str(e.id))]


def test_a_rolled_back_savepoint_gives_its_head_lock_back(demo_db) -> None:
    """A head locked in a savepoint that rolls back is not the transaction's any more: the next
    record reads it again (and the chain stays whole)."""
    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b = funded_account(s, funds=1_000).id, funded_account(s).id
    with demo_db.unit_of_work() as s:
        with pytest.raises(RuntimeError), s.begin_nested():
            ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=1)
            raise RuntimeError("the savepoint fails")
        e = ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=3)
    assert _tail(demo_db, 1) == [("ledger.entry.post", str(e.id))]
    with demo_db.unit_of_work(write=False) as s:
        assert s.get(Account, b).balance_fen == 3


def test_integers_of_any_size_share_one_prepared_statement(demo_db) -> None:
    if demo_db.is_sqlite:
        pytest.skip("PostgreSQL: prepared statements")
    from sqlalchemy import text

    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b = funded_account(s, funds=10_000_000_000).id, funded_account(s).id
    shapes_sql = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'WITH zy_e AS%'")
    with demo_db.unit_of_work() as s:  # (the connection may have prepared this shape for an earlier test)
        before = s.execute(shapes_sql).scalar_one()
        for amount in (1, 40_000, 3_000_000_000, 2, 50_000, 7):
            ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=amount)
        shapes = s.execute(shapes_sql).scalar_one()
    assert shapes - before <= 1
