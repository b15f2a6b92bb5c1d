"""HTTP: authenticated GET /api/v1/me and the staff list vs a bare FastAPI hello world (wrk).

Usage: python -m bench http_shell [--duration 3] [--rounds 3] [--clients 1,10,50] [--workers 1,2]
                                  [--db sqlite,postgresql]

Each server runs in its own uvicorn process(es) on this machine; wrk (Debian package `wrk`)
drives the load from a second process. The hello-world app with the same workers and clients is
the ceiling, measured in turn with our endpoints (rounds of ceiling, /me, staff list), and our
rate is reported as the median over the rounds of its share of that round's ceiling.
Target (issue): at least 50% of the ceiling with p99 under 50 ms at 10 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

from bench.common import header

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PG_ADMIN = os.environ.get("ZHANYE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _wrk(url: str, clients: int, duration: int, token: str | None) -> dict[str, float]:
    cmd = ["wrk", "-t", str(min(clients, 2)), "-c", str(clients), "-d", f"{duration}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def pct(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p50": pct("50"), "p99": pct("99"), "errors": int(non2xx.group(1)) if non2xx else 0}


def _prepare_database(kind: str, tmp: Path) -> tuple[str, str | None]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'bench.db'}", None
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"zhanye_bench_{uuid.uuid4().hex[:8]}"
    base = make_url(PG_ADMIN)
    with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.set(database=name).render_as_string(hide_password=False), name


def _drop_database(name: str | None) -> None:
    if not name:
        return
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(PG_ADMIN)
    with psycopg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False),
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _login(base: str) -> str:
    req = urllib.request.Request(f"{base}/api/v1/auth/login", method="POST",
                                 data=json.dumps({"username": "admin", "password": "Zhanye#2026"}).encode(),
                                 headers={"content-type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=30).read())["access_token"]


def main(argv: list[str]) -> str:
    ap = argparse.ArgumentParser(prog="python -m bench http_shell")
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", default="1,10,50")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--db", default="sqlite,postgresql")
    args = ap.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    clients = [int(c) for c in args.clients.split(",")]
    workers = [int(w) for w in args.workers.split(",")]
    env = {**os.environ, "ZHANYE_LOG_LEVEL": "WARNING", "ZHANYE_DEMO_PASSWORD": "Zhanye#2026"}
    rows: list[str] = []
    for kind in args.db.split(","):
        with tempfile.TemporaryDirectory() as tmpdir:
            url, dbname = _prepare_database(kind, Path(tmpdir))
            try:
                subprocess.run([PY, "-m", "zhanye.cli", "demo", "--no-serve", "--database-url", url], env=env,
                               check=True, capture_output=True)
                for w in workers:
                    rows += _measure(kind, url, w, clients, args.rounds, args.duration, env)
            finally:
                _drop_database(dbname)
    table = ["| endpoint | database | workers | clients | req/s | p50 ms | p99 ms | of ceiling |",
             "|---|---|---|---|---|---|---|---|", *rows]
    return "\n".join([
        header("HTTP shell: /api/v1/me and staff list vs bare FastAPI"),
        f"wrk from a second process on the same 2-core machine (it competes for the CPU). The ceiling "
        f"(a bare FastAPI hello world, its own uvicorn with the same workers) and our endpoints are "
        f"measured in turn, {args.rounds} rounds of {args.duration} s each per cell, so that both see the "
        f"same moments of a shared machine; each figure is the median over the rounds, and the share is "
        f"the median of each round's rate over that round's ceiling. Target: >= 50% of the ceiling, "
        f"p99 < 50 ms at 10 clients.",
        "", *table,
    ])


def _measure(kind: str, url: str, w: int, clients: list[int], rounds: int, duration: int,
             env: dict[str, str]) -> list[str]:
    """Rows for one database and worker count: the hello world and our two endpoints, in turn."""
    import statistics

    hello_port, port = _free_port(), _free_port()
    hello = _start([PY, "-m", "uvicorn", "bench.hello_app:app", "--port", str(hello_port), "--workers", str(w),
                    "--log-level", "warning", "--no-access-log"], {**env, "PYTHONPATH": str(ROOT)})
    app = _start([PY, "-m", "zhanye.cli", "serve", "--port", str(port), "--workers", str(w), "--database-url", url],
                  env)
    rows: list[str] = []
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(f"http://127.0.0.1:{hello_port}/hello")
        _wait(f"{base}/healthz")
        token = _login(base)
        targets = [("hello world (ceiling)", f"http://127.0.0.1:{hello_port}/hello", None),
                   ("GET /api/v1/me", base + "/api/v1/me", token),
                   ("GET /api/v1/staff", base + "/api/v1/staff?page_size=20", token)]
        for _label, target, tok in targets[1:]:  # warm-up: connections opened, statements prepared
            _wrk(target, 10, 1, tok)
        for c in clients:
            runs: dict[str, list[dict[str, float]]] = {label: [] for label, _t, _k in targets}
            for _ in range(rounds):
                for label, target, tok in targets:
                    runs[label].append(_wrk(target, c, duration, tok))
            ceiling = runs[targets[0][0]]
            for label, _target, _tok in targets:
                rs = runs[label]
                share = statistics.median(r["rps"] / h["rps"] for r, h in zip(rs, ceiling, strict=True))
                errors = sum(int(r["errors"]) for r in rs)
                err = f" ({errors} non-2xx)" if errors else ""
                rows.append(f"| {label}{err} | {kind} | {w} | {c} | {statistics.median(r['rps'] for r in rs):.0f} | "
                            f"{statistics.median(r['p50'] for r in rs):.1f} | "
                            f"{statistics.median(r['p99'] for r in rs):.1f} | {100 * share:.0f}% |")
    finally:
        _stop(app)
        _stop(hello)
    return rows
