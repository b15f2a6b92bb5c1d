"""Shared benchmark helpers: machine description, latency percentiles, recording to Markdown."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import statistics
import subprocess
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(fh.readline().split()[1])
            mem_gb = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    pg = ""
    try:
        pg = ", " + subprocess.run(["psql", "--version"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem_gb}, Python {platform.python_version()}{pg}"


def percentile(samples: list[float], pct: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def header(title: str) -> str:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"## {title}\n\nMeasured {now} on {machine()}.\n"


def record(name: str, section: str, path: Path) -> None:
    """Replace (or add) the section of benchmark ``name`` in docs/benchmarks.md.

    Benchmarks may finish at the same time: the read-modify-write happens under an exclusive lock on
    a side file, and the new text is written to a temporary file and renamed into place."""
    import fcntl
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = path.read_text(encoding="utf-8") if path.exists() else (
            "# Benchmarks\n\nFigures printed by `python -m bench NAME`; each section is replaced when its "
            "benchmark runs again. Targets come from the issues; a ratio compares with a baseline "
            "measured in the same run on the same machine.\n")
        begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
        block = f"{begin}\n{section.strip()}\n{end}"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
