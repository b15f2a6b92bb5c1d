import pytest
from sqlalchemy import select, text, update

from zhanye.core import audit, idempotency
from zhanye.core.errors import IdempotencyConflict
from zhanye.core.models import AuditRecord


def test_audit_chain_verifies_and_names_tampered_row(empty_db) -> None:
    from zhanye.core.context import SYSTEM

    with empty_db.unit_of_work() as s:
        for i in range(5):
            audit.record(s, action="test.action", object_type="thing", object_id=i, changes={"n": i}, actor=SYSTEM)
    with empty_db.unit_of_work(write=False) as s:
        ok = audit.verify(s)
    assert ok.ok and ok.checked == 5
    with empty_db.unit_of_work() as s:  # an intruder edits row 3 directly in the database
        s.execute(update(AuditRecord).where(AuditRecord.id == 3).values(changes='{"n":99}'))
    with empty_db.unit_of_work(write=False) as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.broken_id == 3 and bad.checked == 2


def test_audit_chain_detects_deleted_row(empty_db) -> None:
    from zhanye.core.context import SYSTEM

    with empty_db.unit_of_work() as s:
        for i in range(4):
            audit.record(s, action="test.action", object_type="thing", object_id=i, actor=SYSTEM)
    with empty_db.unit_of_work() as s:
        s.execute(text("DELETE FROM kernel_audit WHERE id = 2"))
    with empty_db.unit_of_work(write=False) as s:
        bad = audit.verify(s)
    assert not bad.ok and bad.broken_id == 2


def test_cli_audit_verify_exit_codes(empty_db) -> None:
    from typer.testing import CliRunner

    from zhanye.cli import app
    from zhanye.core.context import SYSTEM

    with empty_db.unit_of_work() as s:
        audit.record(s, action="a", object_type="t", object_id=1, actor=SYSTEM)
        audit.record(s, action="b", object_type="t", object_id=2, actor=SYSTEM)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--database-url", empty_db.url])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    with empty_db.unit_of_work() as s:
        s.execute(update(AuditRecord).where(AuditRecord.id == 2).values(action="forged"))
    bad = runner.invoke(app, ["audit", "verify", "--database-url", empty_db.url])
    assert bad.exit_code == 1
    assert "record 2" in bad.output


def test_idempotency_same_transaction(empty_db) -> None:
    fp = idempotency.request_fingerprint("POST /x", {"a": 1})
    with empty_db.unit_of_work() as s:
        assert idempotency.lookup(s, scope="staff:1", key="k1", endpoint="POST /x", fingerprint=fp) is None
        idempotency.store(s, scope="staff:1", key="k1", endpoint="POST /x", fingerprint=fp, status_code=201,
                          body={"id": 7})
    with empty_db.unit_of_work() as s:
        stored = idempotency.lookup(s, scope="staff:1", key="k1", endpoint="POST /x", fingerprint=fp)
        assert stored.body == {"id": 7} and stored.status_code == 201
        with pytest.raises(IdempotencyConflict):
            idempotency.lookup(s, scope="staff:1", key="k1", endpoint="POST /x",
                               fingerprint=idempotency.request_fingerprint("POST /x", {"a": 2}))
    # a rolled-back effect leaves no key behind
    with pytest.raises(RuntimeError), empty_db.unit_of_work() as s:
        idempotency.store(s, scope="staff:1", key="k2", endpoint="POST /x", fingerprint=fp, status_code=201,
                          body={})
        raise RuntimeError("effect failed")
    with empty_db.unit_of_work(write=False) as s:
        assert idempotency.lookup(s, scope="staff:1", key="k2", endpoint="POST /x", fingerprint=fp) is None


def test_business_date_and_calendar(empty_db) -> None:
    import datetime as dt

    from zhanye.core.calendar import (
        DEFAULT_CALENDAR_FILE,
        get_business_date,
        import_calendar_file,
        load_calendar,
        set_business_date,
    )

    with empty_db.unit_of_work() as s:
        set_business_date(s, dt.date(2026, 9, 30))
        n = import_calendar_file(s, DEFAULT_CALENDAR_FILE)
        assert n > 40
        assert import_calendar_file(s, DEFAULT_CALENDAR_FILE) == n  # re-import updates, no duplicates
    with empty_db.unit_of_work(write=False) as s:
        assert get_business_date(s) == dt.date(2026, 9, 30)
        cal = load_calendar(s)
        assert cal.next_working_day(get_business_date(s)) == dt.date(2026, 10, 8)
        assert len(s.execute(select(text("day")).select_from(text("kernel_calendar_day"))).all()) == n


def test_working_periods_are_configuration(empty_db) -> None:
    import datetime as dt
    from decimal import Decimal

    from zhanye.core.calendar import BANK_TZ, load_calendar, set_work_periods

    with empty_db.unit_of_work() as s:
        set_work_periods(s, "09:00-12:00,14:00-17:00")
    with empty_db.unit_of_work(write=False) as s:
        cal = load_calendar(s)
    assert cal.hours_per_day == Decimal(6)
    start = dt.datetime(2026, 11, 20, 11, 0, tzinfo=BANK_TZ)
    assert cal.add_working_hours(start, 2) == dt.datetime(2026, 11, 20, 15, 0, tzinfo=BANK_TZ)
