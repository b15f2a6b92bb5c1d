"""Audit lanes: on PostgreSQL a writer whose process already has a transaction holding a lane's
head takes the next lane instead of queueing; every lane is a chain of its own that ``verify``
walks (a tampered, a missing or a trailing deleted record is named in any lane)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from zhanye.core import audit
from zhanye.core.context import SYSTEM
from zhanye.core.models import AuditChainHead, AuditRecord


def _record(s, n: int) -> audit.Pending:  # type: ignore[no-untyped-def]
    return audit.record(s, action="test.lane", object_type="thing", object_id=n, changes={"n": n}, actor=SYSTEM)


def _two_lanes(db) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    """Records of a transaction holding a head (A) and of one that commits meanwhile (B)."""
    with db.unit_of_work() as a:
        held = [_record(a, k) for k in range(3)]
        audit.flush(a)  # A holds its lane's head until it commits
        with db.unit_of_work() as b:
            other = [_record(b, 10 + k) for k in range(2)]
    return [r.id for r in held], [r.id for r in other]  # type: ignore[misc]


def test_a_second_writer_takes_another_lane(empty_db) -> None:
    if empty_db.is_sqlite:
        pytest.skip("SQLite serializes its writers: one lane")
    held, other = _two_lanes(empty_db)
    assert held == [1, 2, 3]  # lane 0: the existing chain goes on
    assert other == [audit.LANE_SPAN + 1, audit.LANE_SPAN + 2]  # lane 1, from its genesis
    with empty_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        heads = {h.name: h.last_id for h in s.execute(select(AuditChainHead)).scalars()}
    assert res.ok and res.checked == 5, res
    assert heads["main"] == 3 and heads["lane1"] == audit.LANE_SPAN + 2
    with empty_db.unit_of_work() as s:  # the next transaction alone: lane 0 again
        rec = _record(s, 20)
    assert rec.id == 4


def test_verify_names_a_broken_record_in_any_lane(empty_db) -> None:
    if empty_db.is_sqlite:
        pytest.skip("SQLite serializes its writers: one lane")
    _held, other = _two_lanes(empty_db)
    with empty_db.unit_of_work() as s:
        s.execute(update(AuditRecord).where(AuditRecord.id == other[0]).values(changes='{"n":99}'))
    with empty_db.unit_of_work(write=False) as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.broken_id == other[0] and bad.reason == "content does not match its hash"


def test_verify_names_a_trailing_record_deleted_from_a_lane(empty_db) -> None:
    if empty_db.is_sqlite:
        pytest.skip("SQLite serializes its writers: one lane")
    _held, other = _two_lanes(empty_db)
    with empty_db.unit_of_work() as s:
        s.execute(text(f"DELETE FROM kernel_audit WHERE id = {other[-1]}"))  # noqa: S608 - an int
    with empty_db.unit_of_work(write=False) as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.broken_id == other[-1] and bad.reason == "records after the last one are missing"


def test_verify_names_a_record_outside_every_lane(empty_db) -> None:
    with empty_db.unit_of_work() as s:
        _record(s, 1)
    with empty_db.unit_of_work() as s:
        s.execute(text("UPDATE kernel_audit SET id = 0 WHERE id = 1"))
        s.execute(text("UPDATE kernel_audit_head SET last_id = 0, last_hash = :g WHERE name = 'main'"),
                  {"g": audit.GENESIS_HASH})
    with empty_db.unit_of_work(write=False) as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.broken_id == 0 and bad.reason == "record outside every lane"


def test_a_full_lane_refuses_more_records(empty_db) -> None:
    with empty_db.unit_of_work() as s:
        s.execute(text("UPDATE kernel_audit_head SET last_id = :last WHERE name = 'main'"),
                  {"last": audit.LANE_SPAN - 1})
    with pytest.raises(RuntimeError, match="lane 0 is full"), empty_db.unit_of_work() as s:
        _record(s, 1)
    with empty_db.unit_of_work(write=False) as s:
        assert s.execute(select(AuditRecord.id)).first() is None


def test_two_processes_writing_at_once_keep_every_lane_linear(demo_db) -> None:
    """Two pools (as two processes: their own turns) with threads each, postings and plain
    records: the guards catch each other's writes in every lane they share, nothing fails, and
    every lane verifies."""
    import threading

    from tests.integration.ledger.helpers import funded_account, system
    from zhanye.core.db import Database
    from zhanye.ledger import service as ledger

    other = Database(demo_db.url, pool_size=4)
    try:
        with demo_db.unit_of_work() as s:
            actor = system(s)
            ids = [funded_account(s, funds=1_000_000).id for _ in range(4)]
        failures: list[str] = []
        threads, per = (2, 4) if demo_db.is_sqlite else (4, 10)

        def worker(db, n: int) -> None:  # type: ignore[no-untyped-def]
            for k in range(per):
                try:
                    with db.unit_of_work() as s:
                        if k % 2:
                            ledger.transfer(s, actor=actor, from_account_id=ids[n % 4],
                                            to_account_id=ids[(n + 1) % 4], amount_fen=1)
                        else:
                            _record(s, n * 100 + k)
                except Exception as exc:  # noqa: BLE001 - reported below
                    failures.append(f"{type(exc).__name__}: {exc}"[:200])

        pool = [threading.Thread(target=worker, args=(db, n)) for db in (demo_db, other) for n in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert not failures, failures
        with demo_db.unit_of_work(write=False) as s:
            res = audit.verify(s)
        assert res.ok, res
    finally:
        other.dispose()


def _locked_heads(url: str) -> list[str]:
    """The heads another connection cannot lock right now."""
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    out = []
    with psycopg.connect(conninfo) as c:
        for name in [audit.head_name(k) for k in range(audit.MAX_LANES)]:
            try:
                c.execute("SELECT 1 FROM kernel_audit_head WHERE name = %s FOR UPDATE NOWAIT", (name,))
            except psycopg.errors.LockNotAvailable:
                out.append(name)
            c.rollback()
    return out


def test_a_rolled_back_savepoint_leaves_the_transaction_its_one_head(empty_db) -> None:
    """The outer transaction locked lane 0; a savepoint wrote under it and rolled back: the next
    records go to lane 0 after the head as it is again (not to a second lane: two heads a
    transaction could deadlock with another process's)."""
    if empty_db.is_sqlite:
        pytest.skip("SQLite serializes its writers: one lane")
    with empty_db.unit_of_work() as s:
        r1 = _record(s, 1)
        audit.flush(s)
        sp = s.begin_nested()
        _record(s, 2)
        audit.flush(s)
        sp.rollback()
        r3 = _record(s, 3)
        audit.flush(s)
        locked = _locked_heads(empty_db.url)
    assert (r1.id, r3.id, locked) == (1, 2, ["main"])
    with empty_db.unit_of_work(write=False) as s:
        assert audit.verify(s).ok


def test_no_deadlock_on_a_head_forgotten_in_a_savepoint(empty_db) -> None:
    """Process 1's transaction T holds lane 0 and a row R, and a savepoint that wrote the head
    rolled back; process 2's transaction U holds lane 1 and waits for R. T's next record stays
    in lane 0 (before the fix it took lane 1, held by U: a deadlock)."""
    import threading
    import time

    from zhanye.core.db import Database

    if empty_db.is_sqlite:
        pytest.skip("SQLite serializes its writers: one lane")
    other = Database(empty_db.url, pool_size=4)
    with empty_db.unit_of_work() as s:
        s.execute(text("CREATE TABLE zz_row (id int primary key, v int)"))
        s.execute(text("INSERT INTO zz_row VALUES (1, 0)"))
    errors: dict[str, str] = {}
    u_has_lane1, t_has_main = threading.Event(), threading.Event()

    def process_2() -> None:
        try:
            first = other.session(write=True)
            first.begin()
            _record(first, 50)
            audit.flush(first)  # lane 0 of process 2, in use...
            with other.unit_of_work() as u:
                _record(u, 60)
                audit.flush(u)  # ...so U takes lane 1
                first.commit()
                first.close()
                u_has_lane1.set()
                t_has_main.wait(10)
                u.execute(text("UPDATE zz_row SET v = v + 1 WHERE id = 1"))  # waits for T
        except Exception as exc:  # noqa: BLE001 - reported below
            errors["U"] = f"{type(exc).__name__}: {str(exc)[:160]}"

    worker = threading.Thread(target=process_2)
    worker.start()
    try:
        assert u_has_lane1.wait(10)
        with empty_db.unit_of_work() as t:
            _record(t, 1)
            audit.flush(t)  # lane 0
            t.execute(text("UPDATE zz_row SET v = v + 1 WHERE id = 1"))
            sp = t.begin_nested()
            _record(t, 2)
            audit.flush(t)
            sp.rollback()
            t_has_main.set()
            time.sleep(0.3)  # U is waiting for the row now
            _record(t, 3)
            audit.flush(t)
    except Exception as exc:  # noqa: BLE001 - reported below
        errors["T"] = f"{type(exc).__name__}: {str(exc)[:160]}"
    finally:
        worker.join(20)
        other.dispose()
    assert not errors, errors
    with empty_db.unit_of_work(write=False) as s:
        assert audit.verify(s).ok


def test_a_posting_whose_head_look_up_fails_frees_its_lane(empty_db) -> None:
    """The posting's head look-up times out (another process holds lane 0): the lane is free
    again once the transaction has rolled back, so the next writer alone uses lane 0."""
    from tests.integration.ledger.helpers import funded_account, system
    from zhanye.core.db import Database
    from zhanye.demo import ensure_demo
    from zhanye.ledger import service as ledger

    if empty_db.is_sqlite:
        pytest.skip("PostgreSQL: turns")
    ensure_demo(empty_db, password="Lanes#2026pass")
    db = Database(empty_db.url, pool_size=2)  # a pool of its own: turns of its own
    try:
        with db.unit_of_work() as s:
            actor = system(s)
            a, b = funded_account(s, funds=1_000).id, funded_account(s).id
        blocker = empty_db.session(write=True)
        blocker.execute(text("SELECT 1 FROM kernel_audit_head WHERE name = 'main' FOR UPDATE"))
        audit._TAILS.pop(db.engine.pool, None)  # noqa: SLF001 - no turn known: the posting looks the head up
        with pytest.raises(Exception, match="lock timeout"), db.unit_of_work() as s:  # noqa: PT011
            s.execute(text("SET LOCAL lock_timeout = '200ms'"))
            ledger.transfer(s, actor=actor, from_account_id=a, to_account_id=b, amount_fen=1)
        blocker.rollback()
        blocker.close()
        with db.unit_of_work() as s:
            rec = _record(s, 1)
        assert audit.lane_of(rec.id) == 0
    finally:
        db.dispose()


def test_a_lane_cut_behind_a_seal_is_named(empty_db) -> None:
    """Lane 1's records deleted and its head wound back to the genesis: each lane still walks,
    but a later seal (the business-date roll writes one every day) names the record it saw."""
    if empty_db.is_sqlite:
        pytest.skip("SQLite serializes its writers: one lane")
    _held, other = _two_lanes(empty_db)
    with empty_db.unit_of_work() as s:
        seal = audit.seal(s)
    with empty_db.unit_of_work(write=False) as s:
        assert audit.verify(s).ok
    assert audit.lane_of(seal.id) == 0 and f'"lane1":[{other[-1]},' in seal.changes
    with empty_db.unit_of_work() as s:
        s.execute(text("DELETE FROM kernel_audit WHERE id >= :lo AND id < :hi"),
                  {"lo": audit.LANE_SPAN, "hi": 2 * audit.LANE_SPAN})
        s.execute(text("UPDATE kernel_audit_head SET last_id = :g, last_hash = :h WHERE name = 'lane1'"),
                  {"g": audit.LANE_SPAN, "h": audit.GENESIS_HASH})
    with empty_db.unit_of_work(write=False) as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.broken_id == other[-1]
    assert bad.reason == f"record {other[-1]} (lane 1), sealed by record {seal.id}, is missing"
