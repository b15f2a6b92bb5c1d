"""CPU per request inside the application (ASGI calls in-process): /me, staff list, a 404, vs a hello world.

Usage: python -m bench asgi_cost [--requests 4000] [--rounds 3] [--db sqlite,postgresql]

No server, no network, no load generator: each request is one call of the ASGI application with
a ready scope, in one process, and the figure is the process's CPU time per call (median of
rounds). That is the part of a request our code and the framework decide, measured without the
noise of a shared machine's scheduler, and the number to watch when changing the request path.
The HTTP benchmark (``http_shell``) adds uvicorn's parsing and writing: on this machine about
60-80 µs of CPU per request, to our endpoints and the ceiling alike.

Ceiling: the same bare FastAPI hello world as ``http_shell`` (``bench/hello_app.py``), called
the same way in the same process. PostgreSQL runs when ZHANYE_TEST_PG_URL (or ``--pg``) points at
a server: the token look-up is then awaited on a real connection, and its backend's CPU is not
counted here (see ``http_shell`` and docs/developing.md for whole-machine figures).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ZHANYE_ARGON2_PROFILE", "fast")
os.environ.setdefault("ZHANYE_LOG_LEVEL", "WARNING")
os.environ.setdefault("ZHANYE_DEMO_PASSWORD", "Bench#2026pass")  # read by tests.conftest at import

TARGETS = [("hello world (ceiling)", "hello", "/hello", b""), ("GET /api/v1/me", "app", "/api/v1/me", b""),
           ("GET /api/v1/staff", "app", "/api/v1/staff", b"page_size=20"),
           ("GET /api/v1/no-such (404)", "app", "/api/v1/no-such", b"")]


def _scope(path: str, query: bytes, token: str) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": query, "root_path": "",
            "headers": [(b"host", b"127.0.0.1:8000"), (b"authorization", f"Bearer {token}".encode()),
                        (b"user-agent", b"bench")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {}}


async def _per_call_us(app: Any, path: str, query: bytes, token: str, n: int) -> tuple[float, int]:
    status = [0]

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    for _ in range(min(n, 300)):  # warm-up: caches filled, statements prepared
        await app(_scope(path, query, token), receive, send)
    t0 = time.process_time()
    for _ in range(n):
        await app(_scope(path, query, token), receive, send)
    return (time.process_time() - t0) / n * 1e6, status[0]


def _measure(kind: str, url: str, requests: int, rounds: int) -> list[str]:
    from tests.integration.org.helpers import live_token

    from bench.hello_app import app as hello
    from zhanye.cli import upgrade_database
    from zhanye.core.config import load_settings
    from zhanye.core.db import Database
    from zhanye.demo import ensure_demo
    from zhanye.web.app import create_app

    upgrade_database(url)
    db = Database(url)
    try:
        ensure_demo(db, password="Bench#2026pass")
        token = live_token(db, "admin")
        app = create_app(load_settings(), db)
        apps = {"hello": hello, "app": app}

        async def run() -> dict[str, list[tuple[float, int]]]:
            gc.collect()
            gc.freeze()  # as the server does at start-up
            out: dict[str, list[tuple[float, int]]] = {label: [] for label, *_ in TARGETS}
            for _ in range(rounds):  # in turn, so that every target sees the same moments
                for label, which, path, query in TARGETS:
                    n = requests if "404" not in label else max(1, requests // 4)
                    out[label].append(await _per_call_us(apps[which], path, query, token, n))
            return out

        results = asyncio.run(run())
    finally:
        db.dispose()
    ceiling = statistics.median(us for us, _ in results[TARGETS[0][0]])
    rows = []
    for label, *_ in TARGETS:
        us = statistics.median(x for x, _ in results[label])
        status = results[label][-1][1]
        rows.append(f"| {label} | {kind} | {status} | {us:.0f} | {us / ceiling:.1f}x |")
    return rows


def main(argv: list[str]) -> str:
    from bench.common import header

    ap = argparse.ArgumentParser(prog="python -m bench asgi_cost")
    ap.add_argument("--requests", type=int, default=4000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--db", default="sqlite,postgresql")
    ap.add_argument("--pg", default=os.environ.get("ZHANYE_TEST_PG_URL"))
    args = ap.parse_args(argv)
    rows: list[str] = []
    for kind in args.db.split(","):
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                rows += _measure(kind, f"sqlite:///{Path(tmp) / 'bench.db'}", args.requests, args.rounds)
        elif kind == "postgresql" and args.pg:
            os.environ["ZHANYE_TEST_PG_URL"] = args.pg
            import tests.conftest as test_conf

            test_conf.PG_URL = args.pg
            url = test_conf.create_pg_database()
            try:
                rows += _measure(kind, url, args.requests, args.rounds)
            finally:
                test_conf.drop_pg_database(url)
    return "\n".join([
        header("ASGI cost: CPU per request inside the application"),
        f"Each request is one in-process call of the ASGI application (no server, no network), "
        f"{args.requests} calls per round ({args.requests // 4} for the 404), {args.rounds} rounds in turn; "
        f"the figure is this process's CPU time per call, median of rounds. The ceiling is the bare FastAPI "
        f"hello world of `http_shell`, called the same way. Over HTTP, uvicorn adds about 60-80 µs of "
        f"CPU to every request on this machine, ours and the ceiling's alike: 50% of the HTTP ceiling "
        f"means about 2 x hello + 70 µs here.",
        "", "| request | database | status | µs CPU per request | vs hello world |", "|---|---|---|---|---|", *rows,
    ])
