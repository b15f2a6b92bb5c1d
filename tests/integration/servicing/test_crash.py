"""Crash: SIGKILL the end of day in the middle of the accrual step on a database with many loans,
run it again: every loan is accrued exactly once for that day, the ledger check and the
servicing reconciliation pass. (20,000 loans on SQLite; 100,000 on PostgreSQL.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqlalchemy import func, select, text

from tests.integration.servicing.helpers import inst_id, ledger_ok, make_product, system
from zhanye.batch import service as batch
from zhanye.core.calendar import get_business_date
from zhanye.lending.servicing import portfolio
from zhanye.lending.servicing.models import Loan, LoanTxn

CHILD = """
import sys
from zhanye.core.db import Database
from zhanye.batch import service
service.run(Database(sys.argv[1]))
"""


def test_sigkill_mid_accrual_then_rerun(fresh_bank, backend) -> None:  # type: ignore[no-untyped-def]
    db = fresh_bank
    n = 100_000 if backend == "postgresql" else 20_000
    with db.unit_of_work() as s:
        pid = make_product(s, grace_days=3)
        insts = [inst_id(s, c) for c in ("101", "102", "201", "202")]
        actor = system(s)
        bdate = get_business_date(s)
    portfolio.generate(db, actor=actor, n=n, institution_ids=insts, product_id=pid, seed=11)
    day = bdate.toordinal()
    with db.unit_of_work(write=False) as s:
        accruing = s.execute(select(func.count()).select_from(Loan).where(
            Loan.status == "active", Loan.period_due_day.is_not(None))).scalar_one()
        want = dict(s.execute(select(Loan.id, Loan.accrued_interest_fen)).all())
    env = {**os.environ, "ZHANYE_SERVICING_EOD_CHUNK": "1000"}
    child = subprocess.Popen([sys.executable, "-c", CHILD, db.url], env=env)
    killed_at = None
    deadline = time.time() + 600
    try:
        while time.time() < deadline and child.poll() is None:
            with db.engine.connect() as conn:
                cursor = conn.execute(text("SELECT cursor FROM batch_step_run WHERE step = 'servicing.accrual' "
                                           "AND status = 'running'")).scalar_one_or_none()
            if cursor and int(cursor) >= 3_000:
                os.kill(child.pid, signal.SIGKILL)
                killed_at = int(cursor)
                break
            time.sleep(0.005)
    finally:
        if child.poll() is None:
            child.wait(timeout=60)
    assert killed_at is not None, "the end of day finished before it could be killed"
    with db.unit_of_work(write=False) as s:
        done_before = s.execute(select(func.count()).select_from(LoanTxn).where(
            LoanTxn.kind == "accrual", LoanTxn.business_date == bdate)).scalar_one()
    assert 0 < done_before < accruing  # killed in the middle of the step
    db.engine.dispose()
    batch.run(db)  # resume
    with db.unit_of_work(write=False) as s:
        per_loan = s.execute(select(LoanTxn.loan_id, func.count()).where(
            LoanTxn.kind == "accrual", LoanTxn.business_date == bdate).group_by(LoanTxn.loan_id)).all()
        assert len(per_loan) == accruing
        assert all(c == 1 for _, c in per_loan)
        not_marked = s.execute(select(func.count()).select_from(Loan).where(
            Loan.status == "active", Loan.period_due_day.is_not(None), Loan.accrued_day < day)).scalar_one()
        assert not_marked == 0
        # the accrued interest moved by exactly the one accrual row of each loan
        rows = dict(s.execute(select(LoanTxn.loan_id, LoanTxn.interest_fen).where(
            LoanTxn.kind == "accrual", LoanTxn.business_date == bdate)).all())
        rolled = 0
        for loan_id, accrued in s.execute(select(Loan.id, Loan.accrued_interest_fen)).all():
            if loan_id in rows and accrued != want[loan_id] + rows[loan_id]:
                rolled += 1  # a period ended today: its accrual was moved to interest due
                assert accrued == 0
    ledger_ok(db)
    assert rolled < accruing
