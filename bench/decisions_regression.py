"""Batch regression of a candidate decision version against N recorded decisions (default 1,000,000): wall time and peak memory.

Usage: ``python -m bench decisions_regression [N] [--workers W] [--database-url URL]``. Builds a fresh
SQLite database with the demo bank, bulk-inserts N recorded ``loan.admission`` decisions (inputs
varied from the demo household data set; rows written straight to the table, since regression
reads only the inputs), then runs ``regression.execute`` of the demo candidate (DTI refer threshold
45% instead of 50%) against the active version, streaming keyset pages of 4,000 inputs to a
process pool. Memory is sampled every half second to show it stays flat.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import tempfile
import threading
import time
from pathlib import Path

from bench.common import header


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _children_rss_mb() -> float:
    total = 0.0
    me = str(os.getpid())
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
                if fh.read().split(") ", 1)[1].split()[1] != me:
                    continue
            with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except (OSError, IndexError):
            continue
    return total


def main(argv: list[str]) -> str:
    from sqlalchemy import select

    from zhanye.cli import upgrade_database
    from zhanye.core.db import Database, utcnow
    from zhanye.decisions import dataset, recording, regression, resolve
    from zhanye.decisions.demo import analyst_principal
    from zhanye.decisions.models import Decision, DecisionVersion
    from zhanye.demo import ensure_demo
    from zhanye.org.models import Staff

    n = int(next((a for a in argv if a.isdigit()), "1000000"))
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else (os.cpu_count() or 2)
    url = argv[argv.index("--database-url") + 1] if "--database-url" in argv else \
        f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-regression.db'}"
    upgrade_database(url)
    db = Database(url)
    ensure_demo(db)
    with db.unit_of_work(write=False) as s:
        meta = resolve.meta(s, "loan.admission")
        active = resolve.active(s, meta, None).version_id
        candidate = s.execute(select(DecisionVersion.id).join(Decision).where(
            Decision.key == "loan.admission", DecisionVersion.status == "draft")).scalar_one()
        head = resolve.head_office_id(s)

    rows = dataset.load()
    t = time.perf_counter()
    batch: list[dict] = []
    at = utcnow() - dt.timedelta(days=1)
    engine = db.engine
    for i in range(n):
        r = rows[i % len(rows)]
        income = int(r["annual_income_fen"]) // 12
        facts = {"age": 18 + (int(r["age"]) + i) % 48, "term_months": 12 + 12 * (i % 3), "blacklisted": i % 211 == 0,
                 "identity_verified": i % 53 != 0, "current_overdue_days": 0 if i % 41 else 15,
                 "monthly_income_fen": income, "monthly_debt_payment_fen": int(income * ((i % 90) / 100)),
                 "customer_id": 1_000_000 + i}
        batch.append({"decision_key": "loan.admission", "version_id": active, "institution_id": head,
                      "role": "champion", "at": at, "caller": None, "input": facts,
                      "output": {"decision": "approve"}, "trace": None, "latency_us": 0, "champion_output": None})
        if len(batch) == 20_000:
            recording._bulk_insert(engine, batch)
            batch = []
    if batch:
        recording._bulk_insert(engine, batch)
    load_s = time.perf_counter() - t

    with db.unit_of_work() as s:
        staff = s.execute(select(Staff).where(Staff.username == "analyst")).scalar_one()
        actor = analyst_principal(s, staff.id, "analyst", staff.institution_id)
        run_id = regression.start(s, actor, version_id=candidate, source="records").id

    samples: list[tuple[float, float, float]] = []
    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            samples.append((time.perf_counter(), _rss_mb(), _children_rss_mb()))
            stop.wait(0.5)

    rss_before = _rss_mb()
    thread = threading.Thread(target=sampler, daemon=True)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    thread.start()
    report = regression.execute(db, run_id, limit=n, workers=workers)
    wall = time.perf_counter() - t
    cpu1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum((b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime) for a, b in zip(cpu0, cpu1, strict=True))
    load1 = os.getloadavg()[0]
    stop.set()
    thread.join()
    db.dispose()
    peak_parent = max(s[1] for s in samples)
    peak_children = max(s[2] for s in samples)
    quarter = [samples[min(len(samples) - 1, int(len(samples) * q))] for q in (0.25, 0.5, 0.75)]
    maxrss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    confusion = {(c["baseline"], c["candidate"]): c["count"] for c in report["confusion"]}
    lines = [header("Batch regression (candidate vs active on recorded decisions)"),
             f"{report['total']:,} recorded `loan.admission` decisions (SQLite, loaded in {load_s:.0f} s), candidate "
             f"version {candidate} vs active {active}, {workers} worker processes, keyset pages of "
             f"{regression.CHUNK:,}.\n",
             "| figure | value | target |", "|---|---:|---|",
             f"| wall time | {wall:.1f} s | < 120 s |",
             f"| throughput | {report['total'] / wall:,.0f} inputs/s (2 evaluations each) | |",
             f"| CPU time (parent + workers) | {cpu:.0f} s, i.e. {cpu / (os.cpu_count() or 1):.0f} s of wall time "
             f"on {os.cpu_count()} idle cores | < 120 s |",
             f"| machine load average at start / end | {load0:.1f} / {load1:.1f} | |",
             f"| parent RSS before / peak | {rss_before:.0f} / {peak_parent:.0f} MiB | flat |",
             "| parent RSS at 25% / 50% / 75% of the run | "
             + " / ".join(f"{q[1]:.0f}" for q in quarter) + " MiB | flat |",
             f"| workers' RSS peak (sum) | {peak_children:.0f} MiB (max per worker {maxrss_children:.0f} MiB) | flat |",
             f"| changed outcomes | {report['changed']:,} ({report['changed_rate']:.2%}) | |",
             f"| approve → refer | {confusion.get(('approve', 'refer'), 0):,} | |"]
    return "\n".join(lines) + "\n"
