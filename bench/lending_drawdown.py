"""Drawdowns per second end to end through the origination service on PostgreSQL, against a same-run bare ledger.transfer rate.

Usage: python -m bench lending_drawdown [--pg URL] [--lines 60] [--seconds 8] [--threads 1,4] [--processes 1,2]

Set-up (not timed): a fresh database with the demo bank; ``--lines`` verified customers with
a class II e-account, each with an application submitted (bureau sandbox, admission, rating and
pricing decisions), a granted revolving line and its contract signed (PDF, SM3, SM2).

Timed: each client thread repeatedly calls ``origination.service.create_drawdown`` in its own
unit of work on its own lines — line lock, product terms, the admission re-check decision
(recorded), servicing's ``open_loan`` (schedule, installments, disbursement posting in the
ledger), the limit change and the audit records — as self payment into the e-account and as
entrusted payment (clearing sandbox). Baseline in the same run on the same database: bare
``ledger.service.transfer`` between the same e-accounts (one two-line posting with its audit).

``--processes N`` (N > 1) runs the clients in N worker processes, as a server runs N workers,
each with ``--threads`` threads on its own share of the lines; each process warms up (its own
statements prepared, decisions compiled) before a common start. Rates are the sum over processes.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from typing import Any

os.environ.setdefault("ZHANYE_ARGON2_PROFILE", "fast")
os.environ.setdefault("ZHANYE_LOG_LEVEL", "WARNING")

DEFAULT_PG = os.environ.get("ZHANYE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PAYEE = "6222020000000015"


def _args(argv: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"pg": DEFAULT_PG, "lines": 60, "seconds": 8.0, "threads": [1, 4], "processes": [1, 2]}
    if "-h" in argv or "--help" in argv:  # print the usage and leave docs/benchmarks.md alone
        print(__doc__)
        raise SystemExit(0)
    it = iter(argv)
    for a in it:
        if a == "--pg":
            out["pg"] = next(it)
        elif a == "--lines":
            out["lines"] = int(next(it))
        elif a == "--seconds":
            out["seconds"] = float(next(it))
        elif a == "--threads":
            out["threads"] = [int(x) for x in next(it).split(",")]
        elif a == "--processes":
            out["processes"] = [int(x) for x in next(it).split(",")]
    return out


def _prepare(url: str, n_lines: int) -> tuple[Any, list[dict[str, Any]]]:
    import tempfile
    from pathlib import Path

    from tests.integration.origination.helpers import (
        last_sms_code,
        principal,
        signature_png,
        verified_customer,
    )

    from zhanye.cli import upgrade_database
    from zhanye.core.db import Database
    from zhanye.demo import ensure_demo
    from zhanye.lending import contracts
    from zhanye.lending.origination import service

    contracts.STORAGE_OVERRIDE = Path(tempfile.mkdtemp(prefix="zhanye-bench-contracts-"))
    upgrade_database(url)
    db = Database(url, pool_size=16)
    ensure_demo(db, password="Bench#2026pass")
    lines = []
    for _ in range(n_lines):
        with db.unit_of_work() as s:
            actor = principal(s, "manager1")
            cust = verified_customer(s, actor)
            app = service.create_application(s, actor=actor, customer_id=cust["customer_id"], product_code="NHXYD",
                                             amount_fen=20_000_000, term_months=12, method="interest_first",
                                             guarantee="credit", purpose="压测")
            service.submit(s, actor=actor, application_id=app.id)
            assert app.state == "credit_granted", app.reasons
            cust["line_id"] = app.line_id
            service.request_signing_code(s, actor=actor, line_id=app.line_id)
        with db.unit_of_work() as s:
            res = service.sign(s, actor=principal(s, "manager1"), line_id=cust["line_id"],
                               signature_png=signature_png(), sms_code=last_sms_code(cust["mobile"]))
            assert res.ok, res.error
        lines.append(cust)
    return db, lines


def _restore_limits(db: Any, lines: list[dict[str, Any]]) -> None:
    """Before each measurement (not timed): the lines' use back to nothing, so that no measurement
    runs short of limit whatever the ones before it drew (the loans and postings stay)."""
    from sqlalchemy import bindparam, text

    with db.engine.begin() as conn:
        conn.execute(text("UPDATE origination_line SET used_fen = 0 WHERE id IN :ids")
                     .bindparams(bindparam("ids", expanding=True)), {"ids": [x["line_id"] for x in lines]})


def draw_self(s: Any, actor: Any, item: dict[str, Any], i: int) -> None:
    from zhanye.lending.origination import service

    service.create_drawdown(s, actor=actor, line_id=item["line_id"], amount_fen=100_000, term_months=6,
                            method="interest_first", request_key=f"bench:{uuid.uuid4().hex}")


def draw_entrusted(s: Any, actor: Any, item: dict[str, Any], i: int) -> None:
    from zhanye.lending.origination import service

    service.create_drawdown(s, actor=actor, line_id=item["line_id"], amount_fen=100_000, term_months=6,
                            method="equal_installment", request_key=f"bench:{uuid.uuid4().hex}",
                            payee_name="长春农资有限公司", payee_account=PAYEE)


def transfer(s: Any, actor: Any, item: dict[str, Any], i: int) -> None:
    from zhanye.ledger import service as ledger

    ledger.transfer(s, actor=actor, from_account_id=item["a"], to_account_id=item["b"], amount_fen=100,
                    customer_initiated=False)


OPS = {"drawdown, self payment": draw_self, "drawdown, entrusted payment": draw_entrusted,
       "baseline: ledger.transfer": transfer}


def _run(db: Any, lines: list[dict[str, Any]], threads: int, seconds: float, op: Any,
         start: Any = None) -> tuple[float, list[float], Counter[str]]:
    """Run ``op(session, actor, item, i)`` in ``threads`` threads for ``seconds``; each thread owns a
    slice of ``lines``. ``start`` (optional) is waited on by the threads before they begin.
    Returns (done per second, latencies in ms, errors by kind and message)."""
    from tests.integration.origination.helpers import principal

    with db.unit_of_work(write=False) as s:
        actor = principal(s, "manager1")
    done, errors, lat = [0], Counter[str](), []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)
    stop = [0.0]

    def worker(k: int) -> None:
        mine = lines[k::threads]
        i, local, bad, times = 0, 0, Counter[str](), []
        barrier.wait()
        while time.perf_counter() < stop[0]:
            item = mine[i % len(mine)]
            t0 = time.perf_counter()
            try:
                with db.unit_of_work() as s:
                    op(s, actor, item, i)
                local += 1
                times.append((time.perf_counter() - t0) * 1000)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                bad[f"{type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"] += 1
            i += 1
        with lock:
            done[0] += local
            errors.update(bad)
            lat.extend(times)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    if start is not None:
        start.wait(timeout=300)  # every process warmed up (a broken barrier raises in all of them)
    started = time.perf_counter()
    stop[0] = started + seconds
    barrier.wait()
    for t in ts:
        t.join()
    elapsed = time.perf_counter() - started
    return done[0] / elapsed, lat, errors


def _child(url: str, items: list[dict[str, Any]], threads: int, seconds: float, label: str, start: Any,
           out: Any) -> None:
    """One worker process: its own pool, a warm-up on its own items, then the timed run."""
    os.environ["ZHANYE_LOG_LEVEL"] = "WARNING"
    from zhanye.core.db import Database

    db = Database(url, pool_size=threads + 2)
    try:
        _run(db, items, threads, 1.0, OPS[label])  # warm-up: statements prepared, decisions compiled
        out.put(_run(db, items, threads, seconds, OPS[label], start))
    except BaseException as exc:  # reported to the parent; the others stop waiting for this one
        start.abort()
        out.put(exc)
        raise
    finally:
        db.dispose()


def _backend_cpu_s(pids: list[int]) -> float | None:
    """CPU seconds used so far by these PostgreSQL backends (None when /proc cannot tell)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            return None
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu_per_op(db: Any, items: list[dict[str, Any]], seconds: float, op: Any) -> tuple[float, float | None]:
    """One thread: this process's CPU ms and its database backends' CPU ms per operation (the
    backends of this database only: other clients of the server do not count)."""
    from sqlalchemy import text

    _run(db, items, 1, 0.5, op)  # the pool's connection is open before the backends are listed
    with db.engine.connect() as conn:
        pids = [int(p) for p in conn.execute(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )).scalars()] + [int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())]
    pg0, cpu0 = _backend_cpu_s(pids), time.process_time()
    rate, _lat, _errs = _run(db, items, 1, seconds, op)
    cpu, pg1 = time.process_time() - cpu0, _backend_cpu_s(pids)
    done = max(1.0, rate * seconds)
    return 1000 * cpu / done, (1000 * (pg1 - pg0) / done if pg0 is not None and pg1 is not None else None)


def _run_processes(url: str, items: list[dict[str, Any]], processes: int, threads: int, seconds: float,
                   label: str) -> tuple[float, list[float], Counter[str]]:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")  # no connection of this process crosses a fork
    start, out = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_child, args=(url, items[k::processes], threads, seconds, label, start, out),
                         daemon=True) for k in range(processes)]
    for p in procs:
        p.start()
    try:
        results = [out.get(timeout=seconds + 600) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.terminate()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return sum(r[0] for r in results), [x for r in results for x in r[1]], sum((r[2] for r in results), Counter())


def main(argv: list[str]) -> str:
    args = _args(argv)
    os.environ["ZHANYE_TEST_PG_URL"] = args["pg"]  # read by tests.conftest at import
    import tests.conftest as test_conf
    from tests.conftest import create_pg_database, drop_pg_database

    from bench.common import header, median, percentile
    test_conf.PG_URL = args["pg"]  # in case it was imported before the variable was set

    url = create_pg_database()
    db = None
    try:
        t0 = time.perf_counter()
        db, lines = _prepare(url, args["lines"])
        setup_s = time.perf_counter() - t0

        pairs = [{"a": lines[k]["account_id"], "b": lines[(k + 1) % len(lines)]["account_id"]}
                 for k in range(len(lines))]

        budget = {label: _cpu_per_op(db, pairs if label.startswith("baseline") else lines, args["seconds"],
                                     OPS[label]) for label in OPS}
        rows, failures = [], Counter[str]()
        for procs in args["processes"]:
            for threads in args["threads"]:
                for label in OPS:
                    items = pairs if label.startswith("baseline") else lines
                    _restore_limits(db, lines)
                    if procs == 1:
                        rate, lat, errs = _run(db, items, threads, args["seconds"], OPS[label])
                    else:
                        rate, lat, errs = _run_processes(url, items, procs, threads, args["seconds"], label)
                    rows.append((label, procs, threads, int(rate), median(lat), percentile(lat, 95),
                                 sum(errs.values())))
                    failures.update(errs)
        from zhanye.core import audit
        from zhanye.ledger.check import check_ledger

        with db.unit_of_work(write=False) as s:
            ok = check_ledger(s).ok
            chain = audit.verify(s)
    finally:
        if db is not None:
            db.dispose()
        drop_pg_database(url)
    base = {(p, t): r for (label, p, t, r, *_rest) in rows if label.startswith("baseline")}
    out = [header("Lending drawdowns (origination service, PostgreSQL)"),
           f"{args['lines']} signed revolving lines of 200,000 yuan (set-up {setup_s:.0f} s: customers, e-accounts, "
           f"applications with bureau + 3 decisions, line contracts signed; their use reset before each measurement). Each drawdown: 1,000 yuan, its own transaction: "
           f"line lock, admission re-check decision (recorded), servicing.open_loan (schedule, installments, "
           f"disbursement entry), limit change, audit. {args['seconds']:g} s per measurement. Target 200/s.\n",
           "| operation | processes | threads each | per second | p50 ms | p95 ms | errors | vs baseline |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for label, procs, threads, rate, p50, p95, errs in rows:
        b = base.get((procs, threads))
        ratio = f"{rate / b:.0%}" if b and not label.startswith("baseline") else ""
        out.append(f"| {label} | {procs} | {threads} | {rate} | {p50:.1f} | {p95:.1f} | {errs} | {ratio} |")
    if failures:
        out.append("\nErrors: " + "; ".join(f"{n} x {kind}" for kind, n in failures.most_common(5)) + ".")
    cores = os.cpu_count() or 1
    out.append("\nCPU per operation (one thread, measured apart): this process (Python) and its PostgreSQL "
               "backends, and the rate their sum allows on all of this machine's cores:\n")
    out.append(f"| operation | Python CPU ms | PostgreSQL CPU ms | ceiling on {cores} cores, per second |")
    out.append("|---|---:|---:|---:|")
    for label, (py_ms, pg_ms) in budget.items():
        total = py_ms + (pg_ms or 0.0)
        out.append(f"| {label} | {py_ms:.1f} | {'' if pg_ms is None else f'{pg_ms:.1f}'} | "
                   f"{int(1000 * cores / total) if total else ''} |")
    out.append(f"\nLedger check after the run: {'passes' if ok else 'FAILS'}. Audit chain (`zhanye audit verify`): "
               + (f"intact, {chain.checked:,} records." if chain.ok
                  else f"BROKEN at record {chain.broken_id}: {chain.reason}."))
    return "\n".join(out) + "\n"
