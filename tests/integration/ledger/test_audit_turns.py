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
                         .order_by(AuditRecord.id.desc()).limit(n)).all()
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
