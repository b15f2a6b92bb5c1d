"""The audit chain head is locked once per transaction and reused by later records in it; a
savepoint (committed or rolled back) and a new transaction look it up again. The chain verifies."""

from sqlalchemy import func, select

from zhanye.core import audit
from zhanye.core.context import SYSTEM
from zhanye.core.models import AuditChainHead, AuditRecord


def _rec(s, n: int) -> AuditRecord:  # type: ignore[no-untyped-def]
    return audit.record(s, action="test.head", object_type="thing", object_id=n, changes={"n": n}, actor=SYSTEM)


def test_records_across_savepoints_keep_the_chain(empty_db) -> None:
    with empty_db.unit_of_work() as s:
        _rec(s, 1)
        _rec(s, 2)
        with s.begin_nested():
            _rec(s, 3)
        sp = s.begin_nested()
        _rec(s, 99)  # rolled back with its savepoint
        sp.rollback()
        _rec(s, 4)
        with s.begin_nested():
            _rec(s, 5)
            _rec(s, 6)
        _rec(s, 7)
    with empty_db.unit_of_work() as s:  # a new transaction on a new session
        _rec(s, 8)
    with empty_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        ids = [n for (n,) in s.execute(select(AuditRecord.object_id).order_by(AuditRecord.id))]
        head = s.get(AuditChainHead, "main")
        count = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert res.ok and res.checked == 8, res
    assert ids == [str(n) for n in range(1, 9)]
    assert head is not None and head.last_id == count == 8


def test_one_session_many_transactions(empty_db) -> None:
    with empty_db.session(write=True) as s:
        for n in range(1, 4):
            with s.begin():
                _rec(s, n)
                _rec(s, n * 10)
        with s.begin():
            _rec(s, 99)
            s.rollback()
        with s.begin():
            _rec(s, 4)
    with empty_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
    assert res.ok and res.checked == 7, res


def test_a_transaction_reads_its_own_buffered_records(empty_db) -> None:
    with empty_db.unit_of_work() as s:
        _rec(s, 1)
        _rec(s, 2)
        assert s.execute(select(func.count()).select_from(AuditRecord)).scalar_one() == 2
        head = s.get(AuditChainHead, "main")
        assert head is not None and head.last_id == 2
        _rec(s, 3)  # chained at commit, after the head already held: no second look-up needed
    with empty_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        assert s.get(AuditChainHead, "main").last_id == 3  # type: ignore[union-attr]
    assert res.ok and res.checked == 3, res


def test_outer_records_written_in_a_rolled_back_savepoint_are_kept(empty_db) -> None:
    """Records of the enclosing transaction that a read inside a savepoint wrote are buffered
    again when that savepoint rolls back; the savepoint's own are discarded."""
    with empty_db.unit_of_work() as s:
        _rec(s, 1)
        sp = s.begin_nested()
        _rec(s, 98)
        assert s.execute(select(func.count()).select_from(AuditRecord)).scalar_one() == 2
        _rec(s, 99)
        sp.rollback()
        _rec(s, 2)
        with s.begin_nested():
            _rec(s, 3)
        _rec(s, 4)
        inner = s.begin_nested()
        _rec(s, 100)
        inner.commit()  # released: its record is the enclosing transaction's now
    with empty_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        ids = [n for (n,) in s.execute(select(AuditRecord.object_id).order_by(AuditRecord.id))]
    assert res.ok and res.checked == 5, res
    assert ids == ["1", "2", "3", "4", "100"]


def test_a_rolled_back_transaction_leaves_no_record(empty_db) -> None:
    with empty_db.session(write=True) as s:
        with s.begin():
            _rec(s, 1)
        try:
            with s.begin():
                _rec(s, 2)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        with s.begin():
            _rec(s, 3)
    with empty_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        ids = [n for (n,) in s.execute(select(AuditRecord.object_id).order_by(AuditRecord.id))]
    assert res.ok and ids == ["1", "3"], (res, ids)


def test_a_flush_failure_inside_a_savepoint_rolls_its_records_back_and_keeps_the_others(empty_db) -> None:
    """The failed flush reports only its own sub-transaction; the savepoint is gone all the same:
    its record is dropped, the enclosing transaction's record written inside it is kept."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    with empty_db.unit_of_work() as s:
        _rec(s, 1)
        with pytest.raises(IntegrityError), s.begin_nested():
            _rec(s, 98)
            s.execute(select(func.count()).select_from(AuditRecord))  # writes 1 and 98 in the savepoint
            s.add(AuditChainHead(name="main", last_id=0, last_hash="x"))  # duplicate key: the flush fails
            s.flush()
        _rec(s, 2)
    with empty_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        ids = [n for (n,) in s.execute(select(AuditRecord.object_id).order_by(AuditRecord.id))]
    assert res.ok and ids == ["1", "2"], (res, ids)


def test_a_record_before_any_statement_is_rolled_back_with_the_transaction(empty_db) -> None:
    s = empty_db.session(write=True)
    try:
        _rec(s, 1)  # the session had not begun: recording begins it
        s.rollback()
        with s.begin():
            _rec(s, 2)
    finally:
        s.close()
    with empty_db.unit_of_work(write=False) as s:
        ids = [n for (n,) in s.execute(select(AuditRecord.object_id).order_by(AuditRecord.id))]
    assert ids == ["2"], ids
