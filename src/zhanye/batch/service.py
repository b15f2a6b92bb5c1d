"""The end-of-day runner. Features register ordered, named steps; a run executes the steps of
one business date in order, records each step's completion, and a rerun skips finished steps
(a killed run resumes where it stopped, doing nothing twice).

Registering a step (at import of the feature's ``batch_steps`` / ``service`` module)::

    from zhanye.batch.service import register_step

    def accrue(ctx: StepContext) -> int:          # returns rows processed
        while True:
            with ctx.unit() as session:           # one committed chunk = one transaction
                n = session.execute(<set-based UPDATE ... WHERE done_through < :d LIMIT chunk>)
            ctx.advance(n)
            if n == 0:
                return ctx.rows

    register_step("deposits.demand_accrual", 200, accrue, title="Demand interest accrual")

Exactly-once rule for step authors: every chunk's effect must carry its own "done" mark in the
same transaction (``accrued_through = :date``, a status change, or ``ctx.set_cursor(session, ..)``),
so that rerunning a chunk after a crash finds nothing left to do. Simple steps can pass
``chunked=False``: then ``fn(session, business_date, progress)`` runs in ONE transaction that
also records the step as done.

Orders: 100s ledger housekeeping, 200s deposits, 300-700 lending and others, 900 workflow SLA,
``10_000`` the business-date roll (always last, registered here).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from zhanye.batch.models import StepRun
from zhanye.core import audit
from zhanye.core.calendar import get_business_date, set_business_date
from zhanye.core.context import SYSTEM, Principal
from zhanye.core.db import Database, utcnow
from zhanye.core.errors import Conflict, ValidationFailed

ROLL_ORDER = 10_000

Progress = Callable[[int, int | None], None]  # (advance, total or None)


@dataclass
class StepContext:
    db: Database
    business_date: dt.date
    step: str
    progress: Progress
    actor: Principal = SYSTEM
    rows: int = 0

    @contextmanager
    def unit(self) -> Iterator[Session]:
        with self.db.unit_of_work() as session:
            yield session

    def advance(self, n: int, total: int | None = None) -> None:
        self.rows += n
        self.progress(n, total)

    def total(self, total: int) -> None:
        self.progress(0, total)

    def get_cursor(self, session: Session) -> str:
        rec = session.get(StepRun, (self.business_date, self.step))
        return rec.cursor if rec else ""

    def set_cursor(self, session: Session, value: str) -> None:
        rec = session.get(StepRun, (self.business_date, self.step))
        if rec is not None:
            rec.cursor = value[:200]
            session.flush()


@dataclass(frozen=True)
class Step:
    name: str
    order: int
    fn: Callable[..., Any]
    title: str = ""
    chunked: bool = True


_steps: dict[str, Step] = {}


def register_step(name: str, order: int, fn: Callable[..., Any], *, title: str = "", chunked: bool = True) -> None:
    """Register (or replace) an EOD step. ``chunked=True``: ``fn(ctx: StepContext) -> rows``;
    ``chunked=False``: ``fn(session, business_date, progress) -> rows`` in one transaction."""
    _steps[name] = Step(name=name, order=order, fn=fn, title=title or name, chunked=chunked)


def unregister_step(name: str) -> None:
    _steps.pop(name, None)


def load_feature_steps() -> None:
    """Import every feature's ``batch_steps`` module so its steps are registered."""
    from zhanye.features import import_all_models, modules

    import_all_models()  # steps touch many tables; the mappers need every table's metadata
    modules("batch_steps")


def steps() -> list[Step]:
    load_feature_steps()
    return sorted(_steps.values(), key=lambda s: (s.order, s.name))


def _roll(session: Session, business_date: dt.date, progress: Progress) -> int:
    set_business_date(session, business_date + dt.timedelta(days=1))
    audit.record(session, action="eod.business_date.roll", object_type="business_date", object_id="default",
                 changes={"from": business_date, "to": business_date + dt.timedelta(days=1)})
    audit.seal(session)  # the audit lanes' ends as of the day's close (``audit.verify`` checks them)
    progress(1, 1)
    return 1


register_step("business_date.roll", ROLL_ORDER, _roll, title="Business-date roll", chunked=False)


@dataclass
class StepStatus:
    name: str
    title: str
    order: int
    status: str  # pending | running | done | failed
    rows: int = 0
    seconds: float | None = None
    attempts: int = 0
    error: str = ""


@dataclass
class RunReport:
    business_date: dt.date
    steps: list[StepStatus] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return all(s.status == "done" for s in self.steps)


def status(session: Session, business_date: dt.date | None = None) -> RunReport:
    bdate = business_date or get_business_date(session)
    recs = {r.step: r for r in session.execute(select(StepRun).where(StepRun.business_date == bdate)).scalars()}
    report = RunReport(business_date=bdate)
    for st in steps():
        rec = recs.get(st.name)
        if rec is None:
            report.steps.append(StepStatus(st.name, st.title, st.order, "pending"))
        else:
            secs = (rec.finished_at - rec.started_at).total_seconds() if rec.finished_at else None
            report.steps.append(StepStatus(st.name, st.title, st.order, rec.status, rec.rows, secs,
                                           rec.attempts, rec.error))
    return report


def last_dates(session: Session, limit: int = 10) -> list[dt.date]:
    return list(session.execute(select(StepRun.business_date).distinct()
                                .order_by(StepRun.business_date.desc()).limit(limit)).scalars())




EOD_LOCK_KEY = 7_711_220  # PostgreSQL advisory lock id of the EOD run


class EodAlreadyRunning(Conflict):
    code = "eod_already_running"
    title_zh = "日终正在运行"
    title_en = "End-of-day is already running"


@contextmanager
def exclusive_run(db: Database) -> Iterator[None]:
    """One EOD run at a time: a PostgreSQL advisory lock (or a file lock beside a SQLite file),
    released by the operating system or the server if the process dies."""
    if db.dialect == "postgresql":
        conn = db.engine.connect()
        try:
            if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": EOD_LOCK_KEY}).scalar():
                raise EodAlreadyRunning("另一日终进程正在运行", "Another end-of-day run is in progress")
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": EOD_LOCK_KEY})
        finally:
            conn.close()
        return
    path = db.url.split("///", 1)[-1] if db.url.startswith("sqlite:///") else ""
    if not path or path == ":memory:":
        yield
        return
    with open(f"{path}.eod.lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise EodAlreadyRunning("另一日终进程正在运行", "Another end-of-day run is in progress") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run(db: Database, *, business_date: dt.date | None = None, actor: Principal = SYSTEM,
        on_step: Callable[[Step], Progress] | None = None,
        on_done: Callable[[Step, StepStatus], None] | None = None) -> RunReport:
    """Run (or resume) the EOD of ``business_date`` (default: the current business date).

    Steps already done for the date are skipped. A step that fails is recorded as failed and the
    run stops there (the error is raised); rerunning resumes at that step. Only one run at a time.
    """
    with exclusive_run(db):
        return _run(db, business_date=business_date, actor=actor, on_step=on_step, on_done=on_done)


def _run(db: Database, *, business_date: dt.date | None, actor: Principal,
         on_step: Callable[[Step], Progress] | None,
         on_done: Callable[[Step, StepStatus], None] | None) -> RunReport:
    with db.unit_of_work(write=False) as session:
        current = get_business_date(session)
    bdate = business_date or current
    if bdate > current:
        raise ValidationFailed.field(["date"], f"不能对未来日期 {bdate} 执行日终（当前会计日期 {current}）",
                                     f"Cannot run EOD for {bdate}, the business date is {current}")
    with db.unit_of_work(write=False) as session:
        done = {r.step for r in session.execute(select(StepRun).where(
            StepRun.business_date == bdate, StepRun.status == "done")).scalars()}
    if bdate < current and "business_date.roll" not in done:
        raise Conflict(f"{bdate} 早于当前会计日期 {current}", f"{bdate} is before the business date {current}")
    for st in steps():
        if st.name in done:
            continue
        progress = on_step(st) if on_step else (lambda n, t: None)
        with db.unit_of_work() as session:
            rec = session.get(StepRun, (bdate, st.name))
            if rec is None:
                session.add(StepRun(business_date=bdate, step=st.name, order=st.order, status="running",
                                    started_at=utcnow(), rows=0, attempts=1))
            else:
                rec.status, rec.attempts, rec.error, rec.finished_at = "running", rec.attempts + 1, "", None
        started = time.perf_counter()
        try:
            if st.chunked:
                ctx = StepContext(db=db, business_date=bdate, step=st.name, progress=progress, actor=actor)
                rows = int(st.fn(ctx) or 0)
                with db.unit_of_work() as session:
                    _finish(session, bdate, st, rows)
            else:
                with db.unit_of_work() as session:
                    rows = int(st.fn(session, bdate, progress) or 0)
                    _finish(session, bdate, st, rows)
        except Exception as exc:
            with db.unit_of_work() as session:
                rec = session.get(StepRun, (bdate, st.name))
                if rec is not None:
                    rec.status, rec.error, rec.finished_at = "failed", f"{type(exc).__name__}: {exc}"[:2000], utcnow()
            raise
        if on_done:
            on_done(st, StepStatus(st.name, st.title, st.order, "done", rows, time.perf_counter() - started))
    with db.unit_of_work(write=False) as session:
        return status(session, bdate)


def _finish(session: Session, bdate: dt.date, st: Step, rows: int) -> None:
    rec = session.get(StepRun, (bdate, st.name))
    assert rec is not None
    rec.status, rec.finished_at, rec.rows = "done", utcnow(), rec.rows + rows
    audit.record(session, action="eod.step.done", object_type="batch_step", object_id=f"{bdate}:{st.name}",
                 changes={"rows": rows})
