"""Customer search by ID number, mobile or full name among N customers (blind indexes), p50/p99 through the API.

Usage: python -m bench customers_search [--customers 1000000] [--queries 300] [--db postgresql|sqlite]
       [--keep] [--reuse DBNAME]

Builds a fresh database (PostgreSQL from ZHANYE_BENCH_PG_URL, default the local server), the demo
bank, and N customers spread over the four sub-branches, each with an SM4-encrypted name, ID
number and mobile and their keyed SM3 blind indexes (bulk COPY on PostgreSQL). Then it calls
``GET /api/v1/customers?q=...`` in-process (ASGI, the full middleware, auth, scope filter,
decryption and masking) as a head-office user, and compares with ``GET /api/v1/me`` measured in
the same run (the cost of an authenticated request that does no search).
Target (issue): p99 under 20 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid

from bench.common import header, percentile

PG_ADMIN = os.environ.get("ZHANYE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建国德福春燕长海玉梅志强国庆"
REGIONS = ["220122", "220102", "220182", "220183", "220203", "220204", "110101", "360426"]


def person(i: int) -> tuple[str, str, str]:
    from zhanye.customers.validators import make_resident_id

    birth = dt.date(1950, 1, 1) + dt.timedelta(days=(i // 1000) % 20000)
    region = REGIONS[(i // 20_000_000) % len(REGIONS)]  # (birth day, sequence) is unique below 20 M
    number = make_resident_id(region, birth, i % 1000)
    rnd = random.Random(i)
    name = SURNAMES[rnd.randrange(len(SURNAMES))] + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
    mobile = f"13{i % 7 + 3}{i:08d}"[-11:]
    return number, name, mobile


def _make_db(kind: str) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/bench.db", None
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(PG_ADMIN)
    name = f"zhanye_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False), name


def _drop(name: object) -> None:
    if not name:
        return
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(make_url(PG_ADMIN).set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


CHUNK = 20_000


def _chunk(job: tuple[int, int, list[int], list[int], int, bool, str]) -> list[tuple] | bytes:  # type: ignore[type-arg]
    """Rows ``lo..hi`` (encrypted, indexed): tuples for SQLite, COPY text for PostgreSQL (all values are
    ASCII without tabs or backslashes: base64, hex, digits). Runs in a worker process."""
    from zhanye.customers import pii

    lo, hi, institutions, managers, start_id, sqlite, now = job
    rows = []
    for i in range(lo, hi):
        number, name, mobile = person(i)
        k = i % len(institutions)
        cid = start_id + i
        rows.append((cid, f"C{cid:010d}", "individual", "ric", pii.enc(number), pii.id_bidx(number), pii.enc(name),
                     pii.name_bidx(name), pii.enc(mobile), pii.mobile_bidx(mobile),
                     "M" if int(number[16]) % 2 else "F", f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
                     number[:6], institutions[k], managers[k], "active", True, False, False, False, "done", now, now))
    if sqlite:
        return rows
    text_rows = ("\t".join("t" if v is True else "f" if v is False else str(v) for v in row) for row in rows)
    return ("\n".join(text_rows) + "\n").encode("ascii")


def _chunks(n: int, institutions: list[int], managers: list[int], start_id: int,  # type: ignore[no-untyped-def]
            sqlite: bool):
    """Encrypted rows in chunks, made by one worker process per core (encryption is the cost)."""
    from concurrent.futures import ProcessPoolExecutor

    stamp = dt.datetime.now(dt.UTC)
    now = str(stamp.replace(tzinfo=None)) if sqlite else stamp.isoformat()
    jobs = [(lo, min(lo + CHUNK, n), institutions, managers, start_id, sqlite, now) for lo in range(0, n, CHUNK)]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        yield from pool.map(_chunk, jobs)


COLUMNS = ("id, customer_no, kind, id_type, id_number_enc, id_number_bidx, name_enc, name_bidx, mobile_enc, "
           "mobile_bidx, gender, birth_date, region_code, institution_id, manager_id, status, identity_verified, "
           "mobile_verified, face_verified, card_verified, wizard_step, created_at, updated_at")


def _pg_secondary(cur) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """Drop the table's unique constraints and indexes other than the primary key (a sorted build
    after COPY is much cheaper than a million random inserts into them); return the DDL to restore."""
    cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'customers_customer'::regclass AND contype = 'u'")
    constraints = cur.fetchall()
    cur.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'customers_customer' "
                "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = 'customers_customer'::regclass)")
    indexes = cur.fetchall()
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE customers_customer DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    return ([f'ALTER TABLE customers_customer ADD CONSTRAINT "{n}" {d}' for n, d in constraints],
            [d for _, d in indexes])


def _proc_cpu_s(pid: int | None) -> float | None:
    """CPU seconds of a local process (the PostgreSQL backend), or None when it is not readable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def load(db, n: int, progress) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    """Load ``n`` customers; return the wall seconds and where the CPU went."""
    import resource

    from sqlalchemy import select, text

    from zhanye.org.models import Institution, Staff

    with db.unit_of_work(write=False) as s:
        subs = {i.code: i.id for i in s.execute(select(Institution)).scalars()}
        staff = {st.username: st.id for st in s.execute(select(Staff)).scalars()}
        start_id = int(s.execute(text("SELECT coalesce(max(id), 0) FROM customers_customer")).scalar_one()) + 1
    institutions = [subs[c] for c in ("101", "102", "201", "202")]
    managers = [staff[u] for u in ("manager1", "manager2", "manager3", "manager4")]
    t0 = time.perf_counter()
    own0 = resource.getrusage(resource.RUSAGE_SELF)
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    backend, backend0 = None, None
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if not db.is_sqlite:
            cur.execute("SELECT pg_backend_pid()")
            backend = cur.fetchone()[0]
            backend0 = _proc_cpu_s(backend)
        if db.is_sqlite:
            placeholders = ",".join("?" * len(COLUMNS.split(",")))
            insert = f"INSERT INTO customers_customer ({COLUMNS}) VALUES ({placeholders})"  # noqa: S608 - constants
            cur.execute("BEGIN")
            for rows in _chunks(n, institutions, managers, start_id, True):
                cur.executemany(insert, rows)
                progress(len(rows))
            cur.execute("COMMIT")
            cur.execute("ANALYZE")
        else:
            # one process builds the indexes, so the backend's CPU below counts all of it
            cur.execute("SET maintenance_work_mem = '256MB'; SET max_parallel_maintenance_workers = 0")
            constraints, indexes = _pg_secondary(cur)
            with cur.copy(f"COPY customers_customer ({COLUMNS}) FROM STDIN") as copy:
                for data in _chunks(n, institutions, managers, start_id, False):
                    copy.write(data)
                    progress(data.count(b"\n"))
            for ddl in constraints + indexes:
                cur.execute(ddl)
            cur.execute("SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), "
                        "(SELECT max(id) FROM customers_customer))")
            raw.commit()
            # what autovacuum does after a large insert: statistics and the visibility map
            raw.driver_connection.autocommit = True
            try:
                cur.execute("VACUUM (ANALYZE) customers_customer")
            finally:
                raw.driver_connection.autocommit = False
        backend1 = _proc_cpu_s(backend) if backend else None
    finally:
        raw.close()
    wall = time.perf_counter() - t0
    own1, kids1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    own = own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime
    kids = kids1.ru_utime + kids1.ru_stime - kids0.ru_utime - kids0.ru_stime
    cpu = f"CPU: {kids:.0f} s in the encrypting workers, {own:.0f} s in the loader"
    if backend0 is not None and backend1 is not None:
        cpu += f", {backend1 - backend0:.0f} s in the PostgreSQL backend (COPY, index builds, VACUUM)"
    return wall, cpu


def _service_timings(db, n: int, queries: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """The same searches without HTTP and authentication: one read transaction, the service search and
    the masked views of the rows returned."""
    from zhanye.customers import service
    from zhanye.org.service import system_principal

    with db.unit_of_work(write=False) as s:
        actor = system_principal(s)
    rnd = random.Random(7)
    out: dict[str, list[float]] = {"id number": [], "mobile": [], "name": []}
    for _ in range(queries):
        number, name, mobile = person(rnd.randrange(n))
        for label, q in (("id number", number), ("mobile", mobile), ("name", name)):
            t = time.perf_counter()
            with db.unit_of_work(write=False) as s:
                service.search_views(s, actor=actor, q=q, page_size=20)
            out[label].append((time.perf_counter() - t) * 1000)
    return out


def _db_timings(db, n: int, queries: int) -> dict[str, list[float]]:  # type: ignore[no-untyped-def]
    """Execution time inside PostgreSQL (EXPLAIN ANALYZE) of the statement each search sends."""
    from sqlalchemy import event

    from zhanye.customers import service
    from zhanye.org.service import system_principal

    with db.unit_of_work(write=False) as s:
        actor = system_principal(s)
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "customers_customer" in statement:
            captured.append((statement, parameters))

    rnd = random.Random(11)
    out: dict[str, list[float]] = {"id number": [], "mobile": [], "name": []}
    for _ in range(queries):
        number, name, mobile = person(rnd.randrange(n))
        for label, q in (("id number", number), ("mobile", mobile), ("name", name)):
            captured.clear()
            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                with db.unit_of_work(write=False) as s:
                    service.search_views(s, actor=actor, q=q, page_size=20)
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
            total = 0.0
            with db.engine.connect() as conn:
                for statement, params in captured:
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params).scalar_one()
                    total += plan[0]["Execution Time"]
            out[label].append(total)
    return out


def main(argv: list[str]) -> str:
    ap = argparse.ArgumentParser(prog="customers_search")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--db", default="postgresql", choices=("postgresql", "sqlite"))
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database (for EXPLAIN, --reuse)")
    ap.add_argument("--reuse", metavar="DBNAME", help="search a kept PostgreSQL database of --customers rows "
                    "(migrated to the current heads; no load)")
    args = ap.parse_args(argv)
    os.environ.setdefault("ZHANYE_ARGON2_PROFILE", "fast")
    os.environ.setdefault("ZHANYE_LOG_LEVEL", "WARNING")
    os.environ.setdefault("ZHANYE_WORKFLOW_SLA_SCAN_SECONDS", "0")  # no background scanner in a benchmark
    from fastapi.testclient import TestClient
    from rich.progress import Progress
    from sqlalchemy.engine import make_url

    from zhanye.cli import upgrade_database
    from zhanye.core.config import load_settings
    from zhanye.core.db import Database
    from zhanye.demo import ensure_demo
    from zhanye.web.app import create_app

    if args.reuse:
        url, dbname = make_url(PG_ADMIN).set(database=args.reuse).render_as_string(hide_password=False), None
    else:
        url, dbname = _make_db(args.db)
    try:
        upgrade_database(url)
        db = Database(url)
        load_s, load_cpu = None, ""
        if not args.reuse:
            ensure_demo(db, password="Zhanye#2026")
            with Progress() as bar:
                task = bar.add_task(f"loading {args.customers:,} customers", total=args.customers)
                load_s, load_cpu = load(db, args.customers, lambda k: bar.advance(task, k))
            print(f"loaded {args.customers:,} customers in {load_s:.0f} s into {dbname}; {load_cpu}", file=sys.stderr)
        app = create_app(load_settings(), database=db)
        rnd = random.Random(42)
        cpu0 = time.process_time()
        with TestClient(app) as client:
            token = client.post("/api/v1/auth/login", json={"username": "risk", "password": "Zhanye#2026"}).json()
            h = {"Authorization": f"Bearer {token['access_token']}"}
            for _ in range(30):  # warm up
                client.get("/api/v1/me", headers=h)
                client.get("/api/v1/customers", params={"q": person(rnd.randrange(args.customers))[0]}, headers=h)
            results: dict[str, list[float]] = {"me (baseline)": [], "id number": [], "mobile": [], "name": []}
            found = {"id number": 0, "mobile": 0, "name": 0}
            for _ in range(args.queries):
                i = rnd.randrange(args.customers)
                number, name, mobile = person(i)
                t = time.perf_counter()
                client.get("/api/v1/me", headers=h)
                results["me (baseline)"].append((time.perf_counter() - t) * 1000)
                for label, q in (("id number", number), ("mobile", mobile), ("name", name)):
                    t = time.perf_counter()
                    r = client.get("/api/v1/customers", params={"q": q, "page_size": 20}, headers=h)
                    results[label].append((time.perf_counter() - t) * 1000)
                    found[label] += bool(r.json()["items"])
        api_cpu = time.process_time() - cpu0
        service_ms = _service_timings(db, args.customers, args.queries)
        db_ms = _db_timings(db, args.customers, min(args.queries, 100)) if not db.is_sqlite else {}
        with open("/proc/loadavg", encoding="ascii") as fh:
            load_avg = fh.read().split()[0]
        base = percentile(results["me (baseline)"], 50)
        loaded = (f"loaded in {load_s:.0f} s ({args.customers / load_s:,.0f} rows/s incl. SM4 encryption and SM3 "
                  f"indexes, {os.cpu_count()} worker processes, COPY, indexes built after; {load_cpu}). "
                  ) if load_s else ""
        lines = [header("Customer search (blind index) through the API"),
                 f"{args.customers:,} customers on {args.db}; {loaded}"
                 f"{args.queries} queries of each kind, sequential, in-process ASGI client, head-office user. "
                 f"Load average {load_avg} on {os.cpu_count()} cores at the end; the API loop used "
                 f"{api_cpu:.1f} CPU-s in this process ({api_cpu * 1000 / (4 * args.queries):.1f} ms per request)."
                 "\n",
                 "| query | API p50 ms | API p99 ms | p50 vs /me | service p50 ms | service p99 ms "
                 "| in PostgreSQL p50 ms | in PostgreSQL p99 ms | hits |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for label, samples in results.items():
            hits = f"{found[label]}/{args.queries}" if label in found else "-"
            svc = service_ms.get(label)
            svc_cols = f"{percentile(svc, 50):.2f} | {percentile(svc, 99):.2f}" if svc else "- | -"
            in_db = db_ms.get(label)
            svc_cols += f" | {percentile(in_db, 50):.3f} | {percentile(in_db, 99):.3f}" if in_db else " | - | -"
            lines.append(f"| {label} | {percentile(samples, 50):.2f} | {percentile(samples, 99):.2f} | "
                         f"{percentile(samples, 50) / base:.2f}x | {svc_cols} | {hits} |")
        worst = max(percentile(results[k], 99) for k in found)
        lines.append(f"\nTarget p99 < 20 ms through the API: {'met' if worst < 20 else 'NOT met'} (worst p99 "
                     f"{worst:.2f} ms). Service = one read transaction, the search and the masked views of the rows "
                     "returned (no HTTP, no token check). In PostgreSQL = EXPLAIN ANALYZE execution time of the "
                     f"search's statements ({min(args.queries, 100)} of each kind). Name queries return up to 20 "
                     "people sharing the name "
                     "(common Chinese names repeat).")
        return "\n".join(lines)
    finally:
        try:
            db.dispose()  # type: ignore[possibly-undefined]
        except Exception:  # noqa: BLE001
            pass
        if args.keep and dbname:
            print(f"kept database {dbname}", file=sys.stderr)
        else:
            _drop(dbname)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
