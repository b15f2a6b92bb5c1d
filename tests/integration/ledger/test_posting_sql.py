"""The Core posting path keeps the audit chain linear and the ORM session truthful."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.integration.ledger.helpers import funded_account, system
from zhanye.core import audit
from zhanye.core.models import AuditRecord
from zhanye.ledger import service as ledger
from zhanye.ledger.check import check_ledger
from zhanye.ledger.errors import AccountFrozen
from zhanye.ledger.models import Account, JournalEntry, JournalLine


def test_audit_chain_stays_linear_when_postings_mix_with_other_records(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b = funded_account(s, funds=9_000), funded_account(s)
        for amount in (100, 200):
            ledger.transfer(s, actor=actor, from_account_id=a.id, to_account_id=b.id, amount_fen=amount)
            ledger.set_freeze(s, actor=actor, account_id=b.id, freeze="none", reason="")  # an ORM audit append
        ledger.post_entry(s, actor=actor, institution_id=a.institution_id,
                          lines=[ledger.debit(50, account_id=a.id), ledger.credit(50, gl="1001")],
                          source_type="test.cash_out")
        ids = (a.id, b.id)
    with demo_db.unit_of_work() as s:
        ledger.transfer(s, actor=system(s), from_account_id=ids[0], to_account_id=ids[1], amount_fen=7)
    with demo_db.unit_of_work(write=False) as s:
        res = audit.verify(s)
        assert res.ok, res.reason
        posts = s.execute(select(func.count()).select_from(AuditRecord)
                          .where(AuditRecord.action == "ledger.entry.post")).scalar_one()
        assert posts == s.execute(select(func.count()).select_from(JournalEntry)).scalar_one()
        assert check_ledger(s).ok


def test_session_objects_see_new_balances_and_entry(demo_db) -> None:
    with demo_db.unit_of_work() as s:
        a, b = funded_account(s, funds=1_000), funded_account(s)
        a.freeze = "debit"  # a pending ORM change is flushed before the rules read the row
        with pytest.raises(AccountFrozen):
            ledger.transfer(s, actor=system(s), from_account_id=a.id, to_account_id=b.id, amount_fen=900)
        a.freeze = "none"
        entry = ledger.transfer(s, actor=system(s), from_account_id=a.id, to_account_id=b.id, amount_fen=900)
        assert (a.balance_fen, b.balance_fen, a.freeze) == (100, 900, "none")
        assert s.get(JournalEntry, entry.id) is entry and entry.serial_no and entry.created_at is not None
        lines = s.execute(select(JournalLine.account_id, JournalLine.balance_after_fen)
                          .where(JournalLine.entry_id == entry.id).order_by(JournalLine.id)).all()
        assert [tuple(r) for r in lines] == [(a.id, 100), (b.id, 900)]
        ids = (a.id, b.id)
    with demo_db.unit_of_work(write=False) as s:
        assert [s.get(Account, i).balance_fen for i in ids] == [100, 900]


def test_records_buffered_before_a_posting_keep_their_order(demo_db) -> None:
    """The posting chains the transaction's earlier (buffered) records before its own, in one
    statement, and later ones follow at commit."""
    with demo_db.unit_of_work() as s:
        actor = system(s)
        a, b = funded_account(s, funds=1_000), funded_account(s)
        audit.record(s, action="test.before", object_type="thing", object_id=1, actor=actor)
        entry = ledger.transfer(s, actor=actor, from_account_id=a.id, to_account_id=b.id, amount_fen=10)
        audit.record(s, action="test.after", object_type="thing", object_id=2, actor=actor)
    with demo_db.unit_of_work(write=False) as s:
        assert audit.verify(s).ok
        rows = s.execute(select(AuditRecord.id, AuditRecord.action, AuditRecord.object_id)
                         .order_by(AuditRecord.at.desc(), AuditRecord.id.desc()).limit(3)).all()
    tail = [(r.action, r.object_id) for r in reversed(rows)]
    assert tail == [("test.before", "1"), ("ledger.entry.post", str(entry.id)), ("test.after", "2")]
    ids = sorted(r.id for r in rows)
    assert ids == list(range(ids[0], ids[0] + 3))  # one transaction: together in one lane
