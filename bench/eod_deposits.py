"""EOD demand accrual + term maturity for N deposit accounts (default 1,000,000): wall time, peak memory.

Usage: python -m bench eod_deposits [--accounts N] [--term-share 0.2] [--pg URL|--sqlite]

Seeds N deposit accounts set-based (INSERT ... SELECT from a recursive series): (1 - share)·N
demand e-accounts and share·N term deposits that all mature on the business date, funded by one
balanced entry; then runs the deposit EOD steps (accrual, settlement, maturity) through the
batch runner and reports wall time per step and the process's peak RSS. Baseline in the same
run: a bare ``UPDATE`` of every demand row (the floor a set-based accrual can reach).
"""

# ruff: noqa: S608  -- SQL is built from a generated hex tag and fixed fragments, never from input
from __future__ import annotations

import datetime as dt
import resource
import secrets
import sys
import time
from typing import Any

from sqlalchemy import Date, bindparam, text


def _t(sql: str) -> Any:
    """text() with the date parameters it names typed as Date (ISO text on SQLite, date on PostgreSQL)."""
    return text(sql).bindparams(*[bindparam(n, type_=Date) for n in ("d0", "mat") if f":{n}" in sql])


SERIES = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "


def seed_deposits(db: Any, *, book_id: int, institution_id: int, demand: int, terms: int, start: dt.date,
                  maturity: dt.date, product_id: int, tag: str | None = None) -> str:
    """Insert ``demand`` e-accounts (with accrual rows) and ``terms`` term deposits maturing on
    ``maturity`` (each linked to demand account i, so terms ≤ demand), funded by one entry."""
    assert terms <= demand
    tag = tag or secrets.token_hex(3).upper()
    from zhanye.core.db import utcnow

    p = {"inst": institution_id, "book": book_id, "d0": start, "now": utcnow().replace(tzinfo=None),
         "mat": maturity, "pid": product_id}
    with db.unit_of_work() as s:
        gl = dict(s.execute(_t("SELECT code, id FROM ledger_gl_account WHERE institution_id = :b"),
                            {"b": book_id}).all())
        p.update(g2011=gl["2011"], g2013=gl["2013"])
        for kind, n, glk, pref, bal in (("eaccount_ii", demand, "g2011", "D", "(i % 1000) * 100 + 100"),
                                        ("term", terms, "g2013", "T", "1000000 + (i % 100) * 100")):
            if not n:
                continue
            s.execute(_t(SERIES + f"""
                INSERT INTO ledger_account (number, institution_id, customer_id, gl_account_id, kind, name,
                    debit_normal, balance_fen, held_fen, overdraft_limit_fen, status, "freeze", freeze_reason,
                    opened_on, last_activity_on, created_at)
                SELECT 'S{tag}{pref}' || i, :inst, 5000000 + i, :{glk}, '{kind}', '', FALSE, {bal}, 0, 0,
                    'active', 'none', '', :d0, :d0, :now FROM s"""), p | {"n": n})
        s.execute(_t(f"""
            INSERT INTO deposit_demand (account_id, annual_rate, accrual_base_fen, accrued_through,
                settled_interest_fen)
            SELECT id, 0.001, 0, :d0, 0 FROM ledger_account WHERE number LIKE 'S{tag}D%'"""), p)
        s.execute(_t(f"""
            INSERT INTO deposit_term (account_id, eaccount_id, institution_id, customer_id, product_id,
                principal_fen, annual_rate, start_date, maturity_date, instruction, status, partial_done,
                interest_paid_fen, renewals, created_at)
            SELECT t.id, e.id, :inst, t.customer_id, :pid, t.balance_fen, 0.0115, :d0, :mat,
                CASE WHEN t.id % 3 = 0 THEN 'return' WHEN t.id % 3 = 1 THEN 'renew_principal' ELSE 'renew_all' END,
                'active', FALSE, 0, 0, :now
            FROM ledger_account t JOIN ledger_account e ON e.number = 'S{tag}D' || substr(t.number, {len(tag) + 3})
            WHERE t.number LIKE 'S{tag}T%'"""), p)
        total = int(s.execute(_t(f"SELECT coalesce(sum(balance_fen), 0) FROM ledger_account "
                                   f"WHERE number LIKE 'S{tag}%'")).scalar_one())
        eid = s.execute(_t("""
            INSERT INTO ledger_entry (serial_no, institution_id, business_date, description, source_type,
                source_id, total_fen, created_at) VALUES (:sn, :book, :d0, 'synthetic funding', 'bench.seed', :tag,
                :total, :now) RETURNING id"""), p | {"sn": f"SEED{tag}", "tag": tag,
                                                                        "total": total}).scalar_one()
        s.execute(_t(f"""
            INSERT INTO ledger_line (entry_id, gl_account_id, account_id, business_date, debit_fen, credit_fen,
                balance_after_fen, memo)
            SELECT :e, gl_account_id, id, :d0, 0, balance_fen, balance_fen, 'seed' FROM ledger_account
            WHERE number LIKE 'S{tag}%'"""), p | {"e": eid})
        s.execute(_t("""INSERT INTO ledger_line (entry_id, gl_account_id, account_id, business_date, debit_fen,
                credit_fen, memo) VALUES (:e, :cash, NULL, :d0, :total, 0, 'seed')"""),
                  p | {"e": eid, "cash": gl["1001"], "total": total})
    return tag


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_one(url: str, accounts: int, share: float) -> list[str]:
    from tests.conftest import create_pg_database, drop_pg_database  # fresh database per backend
    from tests.integration.ledger.helpers import make_bank

    from zhanye.batch import service as batch
    from zhanye.cli import upgrade_database
    from zhanye.core.calendar import get_business_date
    from zhanye.core.db import Database
    from zhanye.deposits.products import product_by_code

    made_pg = False
    if url == "pg":
        url, made_pg = create_pg_database(), True
    upgrade_database(url)
    db = Database(url)
    try:
        ids = make_bank(db)
        with db.unit_of_work() as s:
            bdate = get_business_date(s)
            pid = product_by_code(s, "JHC3M").id
        terms = int(accounts * share)
        t0 = time.perf_counter()
        seed_deposits(db, book_id=ids["000"], institution_id=ids["101"], demand=accounts - terms, terms=terms,
                      start=bdate - dt.timedelta(days=90), maturity=bdate, product_id=pid)
        seed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with db.unit_of_work() as s:
            s.execute(_t("UPDATE deposit_demand SET settled_interest_fen = settled_interest_fen + 0"))
        baseline = time.perf_counter() - t0
        timings: dict[str, float] = {}
        started: dict[str, float] = {}

        def on_step(step):  # type: ignore[no-untyped-def]
            started[step.name] = time.perf_counter()
            return lambda n, t: None

        def on_done(step, st):  # type: ignore[no-untyped-def]
            timings[step.name] = time.perf_counter() - started[step.name]

        import os

        load0, c0, t0 = os.getloadavg()[0], time.process_time(), time.perf_counter()
        batch.run(db, on_step=on_step, on_done=on_done)
        wall, cpu, load1 = time.perf_counter() - t0, time.process_time() - c0, os.getloadavg()[0]
        from zhanye.ledger.check import check_ledger

        with db.unit_of_work(write=False) as s:
            ok = check_ledger(s).ok
        dialect = db.dialect
        rows = [f"| {dialect} | {accounts:,} ({accounts - terms:,} demand + {terms:,} maturing term) | "
                f"{timings.get('deposits.demand_accrual', 0):.2f} s | {timings.get('deposits.term_maturity', 0):.2f} s"
                f" | {wall:.1f} s | {baseline:.1f} s ({timings.get('deposits.demand_accrual', 0) / baseline:.1f}×) | "
                f"{_peak_rss_mb():.0f} MB | {seed_s:.0f} s | {'pass' if ok else 'FAIL'} | {cpu:.1f} s | "
                f"{load0:.1f} / {load1:.1f} |"]
        return rows
    finally:
        db.dispose()
        if made_pg:
            drop_pg_database(url)


def main(argv: list[str]) -> str:
    import os
    import tempfile

    from bench.common import header

    accounts, share = 1_000_000, 0.2
    backends: list[str] = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--accounts":
            accounts = int(args.pop(0))
        elif a == "--term-share":
            share = float(args.pop(0))
        elif a == "--sqlite":
            backends.append("sqlite")
        elif a == "--pg":
            backends.append("pg")
    if not backends:
        backends = ["pg"] if os.environ.get("ZHANYE_TEST_PG_URL") else ["sqlite"]
    out = [header("EOD deposits: demand accrual + term maturity"),
           "| db | accounts | accrual | maturity | whole EOD | baseline bare UPDATE (accrual ÷ baseline) | "
           "peak RSS | seeding | ledger check | our process CPU | load average start / end |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for b in backends:
        url = "pg" if b == "pg" else f"sqlite:///{tempfile.mkdtemp()}/eod.db"
        out += _run_one(url, accounts, share)
        print(out[-1], file=sys.stderr)
    out.append("\nTarget: under 60 s on PostgreSQL for 1,000,000 accounts, memory flat in the number of accounts "
               "(chunks of 50,000 accounts for accrual; maturity on PostgreSQL is set-based SQL per 50,000 deposits, "
               "on SQLite Decimal per 5,000). The work is done by the database server: our process's CPU time is "
               "small, and the load average is the machine's (2 cores, shared with other work).")
    return "\n".join(out)
