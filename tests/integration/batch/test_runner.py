"""The EOD runner: steps run in order once per date, a failed step resumes, and a SIGKILL in the
middle of a step leaves nothing done twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bench.eod_deposits import seed_deposits
from sqlalchemy import func, select, text

from zhanye.batch import service as batch
from zhanye.batch.models import StepRun
from zhanye.core import audit
from zhanye.core.calendar import get_business_date
from zhanye.core.models import AuditRecord
from zhanye.deposits.models import TermDeposit
from zhanye.deposits.products import product_by_code
from zhanye.ledger.check import check_ledger
from zhanye.ledger.models import JournalLine

ROOT = Path(__file__).resolve().parents[3]


def test_failed_step_resumes_without_redoing_finished_steps(bank) -> None:
    db, _ids = bank
    calls: list[str] = []

    def flaky(session, business_date, progress):  # type: ignore[no-untyped-def]
        calls.append("flaky")
        if calls.count("flaky") == 1:
            raise RuntimeError("disk full")
        return 1

    batch.register_step("test.flaky", 205, flaky, chunked=False)
    try:
        with pytest.raises(RuntimeError):
            batch.run(db)
        with db.unit_of_work(write=False) as s:
            report = batch.status(s)
            states = {st.name: st.status for st in report.steps}
            assert states["test.flaky"] == "failed" and states["deposits.demand_accrual"] == "done"
            assert states["business_date.roll"] == "pending"
            bdate = get_business_date(s)
        report = batch.run(db)
        assert report.done and calls == ["flaky", "flaky"]
        assert [s.attempts for s in report.steps if s.name == "test.flaky"] == [2]
        assert [s.attempts for s in report.steps if s.name == "deposits.demand_accrual"] == [1]
        with db.unit_of_work(write=False) as s:
            assert get_business_date(s) == bdate + dt.timedelta(days=1)
            # the roll seals the audit lanes' ends as of the close
            latest = s.execute(select(AuditRecord).where(AuditRecord.action.in_(
                ["eod.business_date.roll", audit.SEAL_ACTION])).order_by(AuditRecord.at.desc(),
                                                                       AuditRecord.id.desc()).limit(2)).scalars().all()
            assert [r.action for r in latest] == [audit.SEAL_ACTION, "eod.business_date.roll"]
            assert '"main":[' in latest[0].changes
            assert audit.verify(s).ok
    finally:
        batch.unregister_step("test.flaky")


def test_future_date_refused(bank) -> None:
    db, _ = bank
    with db.unit_of_work(write=False) as s:
        bdate = get_business_date(s)
    with pytest.raises(Exception, match="EOD"):
        batch.run(db, business_date=bdate + dt.timedelta(days=3))


def test_sigkill_mid_step_then_rerun_posts_interest_once(bank) -> None:
    db, ids = bank
    n = 3000
    with db.unit_of_work() as s:
        bdate = get_business_date(s)
        pid = product_by_code(s, "JHC3M").id
    seed_deposits(db, book_id=ids["000"], institution_id=ids["101"], demand=n, terms=n,
                  start=bdate - dt.timedelta(days=90), maturity=bdate, product_id=pid)
    env = os.environ | {"ZHANYE_EOD_CHUNK": "100", "ZHANYE_LOG_LEVEL": "WARNING"}
    runner = ("from tests.integration.ledger.helpers import keep_only_my_steps; keep_only_my_steps(); "
              "from zhanye.cli import app; import sys; app(sys.argv[1:])")
    proc = subprocess.Popen([sys.executable, "-c", runner, "eod", "run", "--database-url", db.url],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed_mid = False
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        with db.unit_of_work(write=False) as s:
            rec = s.get(StepRun, (bdate, "deposits.term_maturity"))
            if rec is not None and rec.cursor and rec.status == "running":
                os.kill(proc.pid, signal.SIGKILL)
                killed_mid = True
                break
        time.sleep(0.01)
    proc.wait(timeout=30)
    assert killed_mid, f"the EOD finished before it could be killed: {(proc.stderr.read() if proc.stderr else b'')[-2000:]!r}"
    with db.unit_of_work(write=False) as s:
        processed = s.execute(select(func.count()).select_from(TermDeposit).where(
            TermDeposit.maturity_date > bdate)).scalar_one() + s.execute(select(func.count()).select_from(
                TermDeposit).where(TermDeposit.status == "closed")).scalar_one()
        assert 0 < processed < n, "the kill should land in the middle of the maturity step"
        assert check_ledger(s).ok  # committed chunks are whole
    report = batch.run(db)
    assert report.done
    with db.unit_of_work(write=False) as s:
        rec = s.get(StepRun, (bdate, "deposits.term_maturity"))
        assert rec.status == "done" and rec.attempts == 2
        # every deposit matured exactly once: one interest/principal credit per deposit, no more
        per_deposit = s.execute(text("""
            SELECT t.id, count(l.id) FROM deposit_term t LEFT JOIN ledger_line l
              ON l.business_date = :d AND l.memo IN ('定期到期本息', '定期到期利息')
             AND l.account_id = CASE WHEN t.instruction = 'renew_all' THEN t.account_id ELSE t.eaccount_id END
            GROUP BY t.id""").bindparams(d=bdate.isoformat() if db.is_sqlite else bdate)).all()
        assert len(per_deposit) == n and {c for _, c in per_deposit} == {1}
        expense = s.execute(select(func.sum(JournalLine.debit_fen)).where(
            JournalLine.business_date == bdate, JournalLine.memo == "利息支出")).scalar_one()
        paid = s.execute(select(func.sum(TermDeposit.interest_paid_fen))).scalar_one()
        assert expense == paid > 0
        assert s.execute(select(func.count()).select_from(TermDeposit).where(
            TermDeposit.status == "active", TermDeposit.maturity_date <= bdate)).scalar_one() == 0
        res = check_ledger(s)
        assert res.ok, res.breaches


def test_one_run_at_a_time(bank) -> None:
    db, _ = bank
    with batch.exclusive_run(db), pytest.raises(batch.EodAlreadyRunning):
        batch.run(db)
    assert batch.run(db).done  # the lock is released afterwards
