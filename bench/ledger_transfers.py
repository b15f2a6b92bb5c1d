"""Transfers per second through ledger.service and through the HTTP API, with pgbench's tpcb-like as the ceiling.

Usage: python -m bench ledger_transfers [--seconds 8] [--accounts 1000] [--sqlite-only]

Each measurement runs for a fixed time with 1 and 10 concurrent clients (threads) doing random
transfers between funded accounts: at the service level (``ledger.service.transfer`` in its own
unit of work: row locks in id order, balance checks, two journal lines, an audit record) and
over HTTP (``POST /api/v1/transfers`` on a uvicorn server in this process, Idempotency-Key on
every call). On the same PostgreSQL server, ``pgbench -b tpcb-like`` (scale 1) at the same client
counts is the ceiling; our rate is reported as a percentage of it.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from typing import Any

os.environ.setdefault("ZHANYE_ARGON2_PROFILE", "fast")
os.environ.setdefault("ZHANYE_LOG_LEVEL", "WARNING")

PASSWORD = "Bench#2026pass"
ROUNDS = 3  # on PostgreSQL: ours and pgbench's alternate, medians compared


def _prepare(url: str, accounts: int) -> tuple[Any, list[int]]:
    import datetime as dt

    from sqlalchemy import text
    from tests.integration.ledger.helpers import make_bank

    from bench.eod_deposits import seed_deposits
    from zhanye.cli import upgrade_database
    from zhanye.core.db import Database
    from zhanye.org import service as org

    upgrade_database(url)
    db = Database(url, pool_size=16)
    ids = make_bank(db)
    tag = seed_deposits(db, book_id=ids["000"], institution_id=ids["101"], demand=accounts, terms=0,
                        start=dt.date(2026, 12, 1), maturity=dt.date(2027, 3, 1), product_id=1)
    with db.unit_of_work() as s:
        acc_ids = list(s.execute(text(f"SELECT id FROM ledger_account WHERE number LIKE 'S{tag}D%'")).scalars())  # noqa: S608
        s.execute(text(f"UPDATE ledger_account SET balance_fen = balance_fen + 100000000 "  # noqa: S608
                       f"WHERE number LIKE 'S{tag}D%'"))
        s.execute(text("UPDATE ledger_line SET credit_fen = credit_fen + 100000000, "
                       "balance_after_fen = balance_after_fen + 100000000 WHERE account_id IS NOT NULL"))
        s.execute(text("UPDATE ledger_line SET debit_fen = debit_fen + :x WHERE account_id IS NULL"),
                  {"x": 100_000_000 * accounts})
        s.execute(text("UPDATE ledger_entry SET total_fen = total_fen + :x"), {"x": 100_000_000 * accounts})
        org.create_staff(s, org.system_principal(s), username="benchmgr", display_name="压测", institution_id=ids["101"],
                         roles=["manager"], password=PASSWORD, must_change_password=False)
    return db, acc_ids


def _timed(clients: int, seconds: float, one: Any) -> tuple[float, int, int]:
    """Run ``one(rnd)`` in ``clients`` threads for ``seconds``; returns (tps, ok, refused)."""
    stop = time.perf_counter() + seconds
    counts = [0, 0]
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rnd = random.Random(seed)
        ok = bad = 0
        while time.perf_counter() < stop:
            if one(rnd):
                ok += 1
            else:
                bad += 1
        with lock:
            counts[0] += ok
            counts[1] += bad

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return counts[0] / (time.perf_counter() - t0), counts[0], counts[1]


def _service_rate(db: Any, acc_ids: list[int], clients: int, seconds: float) -> tuple[float, int, int]:
    from zhanye.core.context import SYSTEM
    from zhanye.core.errors import DomainError
    from zhanye.ledger import service

    def one(rnd: random.Random) -> bool:
        a, b = rnd.sample(acc_ids, 2)
        try:
            with db.unit_of_work() as s:
                service.transfer(s, actor=SYSTEM, from_account_id=a, to_account_id=b, amount_fen=rnd.randint(1, 100))
            return True
        except DomainError:
            return False
    return _timed(clients, seconds, one)


def _http_rate(db: Any, acc_ids: list[int], clients: int, seconds: float) -> tuple[float, int, int]:
    import httpx
    import uvicorn

    from zhanye.core.config import load_settings
    from zhanye.web.app import create_app

    app = create_app(load_settings(), database=db)
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    token = httpx.post(f"{base}/api/v1/auth/login", json={"username": "benchmgr", "password": PASSWORD}).json()[
        "access_token"]
    local = threading.local()

    def one(rnd: random.Random) -> bool:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        a, b = rnd.sample(acc_ids, 2)
        r = local.c.post("/api/v1/transfers", json={"from_account_id": a, "to_account_id": b,
                                                    "amount_fen": rnd.randint(1, 100)},
                         headers={"Idempotency-Key": uuid.uuid4().hex})
        if r.status_code >= 500:
            raise RuntimeError(r.text)
        return r.status_code == 201
    try:
        return _timed(clients, seconds, one)
    finally:
        server.should_exit = True
        th.join(timeout=10)


def _pgbench(pg_url: str, clients: int, seconds: int) -> float | None:
    if shutil.which("pgbench") is None:
        return None
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    env = os.environ | ({"PGPASSWORD": u.password} if u.password else {})
    args = ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]
    subprocess.run(["pgbench", "-i", "-s", "1", "-q", *args, u.database], env=env, check=True,
                   capture_output=True)
    out = subprocess.run(["pgbench", "-b", "tpcb-like", "-c", str(clients), "-j", str(clients), "-T", str(seconds),
                          *args, u.database], env=env, check=True, capture_output=True, text=True).stdout
    m = re.search(r"tps = ([0-9.]+)", out)
    return float(m.group(1)) if m else None


def main(argv: list[str]) -> str:
    from tests.conftest import create_pg_database, drop_pg_database

    from bench.common import header

    seconds, accounts, sqlite_only = 8.0, 1000, False
    load0 = os.getloadavg()[0]
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--seconds":
            seconds = float(args.pop(0))
        elif a == "--accounts":
            accounts = int(args.pop(0))
        elif a == "--sqlite-only":
            sqlite_only = True
    pg = None if sqlite_only else os.environ.get("ZHANYE_TEST_PG_URL")
    rows = []
    urls = [("sqlite", f"sqlite:///{tempfile.mkdtemp()}/bench.db")] + ([("postgresql", None)] if pg else [])
    for name, url in urls:
        url = url or create_pg_database()
        db, acc_ids = _prepare(url, accounts)
        try:
            for clients in (1, 10):
                # PostgreSQL: rounds of ours and pgbench's alternate (the 2-core machine is shared
                # and its speed drifts); the medians are compared
                rounds = ROUNDS if name == "postgresql" else 1
                svcs, cpus, pgs = [], [], []
                for _ in range(rounds):
                    c0 = time.process_time()
                    svc = _service_rate(db, acc_ids, clients, seconds)
                    svcs.append(svc)
                    cpus.append((time.process_time() - c0) / max(svc[1] + svc[2], 1) * 1000)
                    if name == "postgresql":
                        pgs.append(_pgbench(scratch := create_pg_database(), clients, int(seconds)))
                        drop_pg_database(scratch)
                svc = sorted(svcs)[len(svcs) // 2]
                cpu_ms = statistics.median(cpus)
                http = _http_rate(db, acc_ids, clients, seconds)
                ceiling = statistics.median(pgs) if pgs and None not in pgs else None
                pct = f"{svc[0] / ceiling * 100:.0f}%" if ceiling else "—"
                rows.append(f"| {name} | {clients} | {svc[0]:.0f} | {cpu_ms:.2f} | {http[0]:.0f} | "
                            f"{f'{ceiling:.0f}' if ceiling else '—'} | {pct} | {svc[2] + http[2]} |")
                print(rows[-1], flush=True)
            from zhanye.ledger.check import check_ledger

            with db.unit_of_work(write=False) as s:
                res = check_ledger(s)
            rows.append(f"| {name} | ledger check after the run | {'pass' if res.ok else 'FAIL'} | | | | | |")
        finally:
            db.dispose()
            if name == "postgresql":
                drop_pg_database(url)
    return "\n".join([header("Ledger transfers per second"),
                      f"{seconds:g} s per figure, {accounts} funded accounts, random pairs and amounts; on PostgreSQL "
                      f"{ROUNDS} rounds of the service and of pgbench alternate and the medians are shown (the "
                      f"machine's speed drifts); machine load average {load0:.1f} at the start and "
                      f"{os.getloadavg()[0]:.1f} at the end (2 cores, shared).\n",
                      "| db | clients | service tps | service CPU ms per transfer (this process) | HTTP API tps "
                      "| pgbench tpcb-like tps (same server, same clients) | service ÷ pgbench | refused |",
                      "|---|---|---|---|---|---|---|---|", *rows,
                      "\nTarget: service-level transfers at least 50% of pgbench's tps. On PostgreSQL a service "
                      "transfer is two prepared statements between BEGIN and COMMIT, sent through the session's "
                      "psycopg connection (lock both accounts in id order with the business date and the new "
                      "entry's id; one statement of data-modifying CTEs writing entry, lines, balances, the audit "
                      "record and the chain head, the head updated only if it still is the one the process's "
                      "previous writer left); pgbench's tpcb-like is five. The audit trail is "
                      "`ZHANYE_AUDIT_LANES` chains (default 4): a transfer takes the first lane none of the "
                      "process's transactions is using, and the threads of a lane take turns on its head, so a head "
                      "is held from that statement to the commit only and 10 clients do not all queue for one row "
                      "(pgbench's scale 1 has one hot branch row). At 10 clients the service is bound by its own "
                      "CPU (one interpreter, the CPU column)."])
