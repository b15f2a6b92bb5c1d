"""Roster import of N households (streamed CSV): rows per second and peak memory, then a no-op re-import.

Usage: python -m bench villages_roster [--households 100000] [--db sqlite|postgresql]

Generates a CSV roster (2% bad rows) on disk, imports it into a fresh campaign through
``villages.roster.import_roster`` (validation, SM4 encryption of names and ID numbers, keyed
row hashes, chunked inserts) and measures rows/s and the peak of Python allocations
(peak RSS) during the import against the file size: a streamed import keeps memory flat
instead of growing with the file. Baseline in the same run: parsing the same file with
``csv.reader`` only (the floor for any import).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import tempfile
import time
import uuid

from bench.common import header

PG_ADMIN = os.environ.get("ZHANYE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def write_roster(path: str, n: int, hamlets: list[str]) -> int:
    from zhanye.customers.validators import make_resident_id

    bad = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["户号", "屯/组", "户主姓名", "户主身份证号", "联系电话", "家庭人数", "地址"])
        for i in range(n):
            idn = make_resident_id("220122", dt.date(1940, 1, 1) + dt.timedelta(days=(i // 1000) % 25000), i % 1000)
            hamlet = hamlets[i % len(hamlets)]
            if i % 50 == 49:
                hamlet, bad = "不存在的组", bad + 1
            w.writerow([f"H{i:07d}", hamlet, f"户主{i % 997}", idn, f"139{i:08d}"[-11:], 1 + i % 6, "吉林省农安县"])
    return bad


def main(argv: list[str]) -> str:
    ap = argparse.ArgumentParser(prog="villages_roster")
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"))
    args = ap.parse_args(argv)
    os.environ.setdefault("ZHANYE_ARGON2_PROFILE", "fast")
    from sqlalchemy import select

    from bench.customers_search import _drop, _make_db
    from zhanye.cli import upgrade_database
    from zhanye.core.db import Database
    from zhanye.customers.demo import actor_for
    from zhanye.demo import ensure_demo
    from zhanye.org import service as org_service
    from zhanye.villages import roster, service
    from zhanye.villages.models import Division

    url, dbname = _make_db(args.db)
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "roster.csv")
    try:
        upgrade_database(url)
        db = Database(url)
        ensure_demo(db, password="Zhanye#2026")
        with db.unit_of_work() as s:
            system = org_service.system_principal(s)
            town = s.execute(select(Division).where(Division.code == "220122101000")).scalar_one()
            inst = actor_for(s, "manager1").institution_id
            village = service.create_division(s, actor=system, code=f"B{uuid.uuid4().int % 10**8:08d}",
                                              name="基准村", level="village", parent_id=town.id, institution_id=inst)
            names = [f"{k}组" for k in range(1, 11)]
            for k, name in enumerate(names, 1):
                service.create_division(s, actor=system, code=f"{village.code}{k:02d}", name=name, level="hamlet",
                                        parent_id=village.id)
            camp_id = service.create_campaign(s, actor=actor_for(s, "manager1"), village_id=village.id,
                                              name="基准活动").id
        bad = write_roster(path, args.households, names)
        size_mb = os.path.getsize(path) / 1048576

        t = time.perf_counter()
        with open(path, encoding="utf-8-sig", newline="") as fh:
            parsed = sum(1 for _ in csv.reader(fh)) - 1
        parse_s = time.perf_counter() - t

        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        with db.unit_of_work() as s, open(path, "rb") as fh:
            rep = roster.import_roster(s, actor=actor_for(s, "manager1"), campaign_id=camp_id, stream=fh,
                                       filename="roster.csv")
        import_s = time.perf_counter() - t
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        t = time.perf_counter()
        with db.unit_of_work() as s, open(path, "rb") as fh:
            again = roster.import_roster(s, actor=actor_for(s, "manager1"), campaign_id=camp_id, stream=fh,
                                         filename="roster.csv")
        reimport_s = time.perf_counter() - t
        db.dispose()
        assert rep.accepted == args.households - bad and len(rep.refused) == bad and parsed == args.households
        assert again.accepted == 0 and again.updated == 0
        rate = args.households / import_s
        lines = [header("Roster import (streamed)"),
                 f"{args.households:,} households ({size_mb:.1f} MB CSV, {bad:,} bad rows) into a campaign on "
                 f"{args.db}.\n",
                 "| step | seconds | rows/s | vs csv.reader |", "|---|---:|---:|---:|",
                 f"| csv.reader only (baseline) | {parse_s:.2f} | {args.households / parse_s:,.0f} | 1.00x |",
                 f"| import (validate, encrypt, insert) | {import_s:.1f} | {rate:,.0f} | "
                 f"{(args.households / parse_s) / rate:.0f}x slower |",
                 f"| re-import of the same file (no-op) | {reimport_s:.1f} | {args.households / reimport_s:,.0f} | "
                 f"{(args.households / parse_s) / (args.households / reimport_s):.0f}x slower |",
                 f"\nPeak RSS of the process: {rss_before:.0f} MiB before the import, {rss_after:.0f} MiB after it "
                 f"({rss_after - rss_before:.0f} MiB growth for a {size_mb:.1f} MB file; chunks of {roster.CHUNK} "
                 "rows, written rows leave the session, only the refused-rows report grows).",
                 f"Report: accepted {rep.accepted:,}, refused {len(rep.refused):,}; re-import unchanged "
                 f"{again.unchanged:,}."]
        return "\n".join(lines)
    finally:
        _drop(dbname)


if __name__ == "__main__":
    import sys

    print(main(sys.argv[1:]))
