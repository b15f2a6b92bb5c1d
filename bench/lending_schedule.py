"""Repayment calculator: schedules per second for a 360-month equal-installment loan (target 5,000/s).

Usage: python -m bench lending_schedule [--seconds 3] [--months 360]

Measures ``zhanye.lending.schedules.build_schedule`` (Decimal (1+r)^n, exact integer fractions
for the per-period interest, every installment materialized as an ``Installment``; due dates
are cached per start date, so it is measured both with one start date and with a new one each
call) for
1,000,000 yuan at 4.9% over 360 months, single process, one core. Each figure is the best of 3
rounds of ``--seconds`` each (the machine is shared; the best round is the least disturbed).

Baseline, measured in the same run: a naive float implementation of the same schedule
(``round(x, 2)`` on binary floats, per-period dicts). It is here only as a yardstick of what plain
Python arithmetic costs; it is NOT used by the product (floats never touch money) and its figures
differ from the exact schedule by fen here and there. Also reported: the Decimal-per-period
variant (``Decimal.quantize`` for every interest amount) that the product's integer-fraction
rounding replaced, to show what that choice buys.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, localcontext

from bench.common import header

AMOUNT_FEN = 100_000_000
RATE = Decimal("0.049")
START = dt.date(2026, 1, 1)


def product(months: int) -> object:
    from zhanye.lending.schedules import build_schedule

    return build_schedule(amount_fen=AMOUNT_FEN, months=months, annual_rate=RATE, method="equal_installment",
                          start=START)


_STARTS = [START + dt.timedelta(days=i) for i in range(2_000)]
_next = [0]


def product_new_dates(months: int) -> object:
    """The product with a different start date every call (2,000 dates > the 512-entry due-date
    cache): every call computes its due dates."""
    from zhanye.lending.schedules import build_schedule

    _next[0] = (_next[0] + 1) % len(_STARTS)
    return build_schedule(amount_fen=AMOUNT_FEN, months=months, annual_rate=RATE, method="equal_installment",
                          start=_STARTS[_next[0]])


def baseline_float(months: int) -> list[dict[str, float]]:
    """Naive float schedule: the yardstick, never used for money."""
    p, r = AMOUNT_FEN / 100, 0.049 / 12
    m = round(p * r * (1 + r) ** months / ((1 + r) ** months - 1), 2)
    rows = []
    remaining = p
    for k in range(1, months + 1):
        interest = round(remaining * r, 2)
        principal = remaining if k == months else round(m - interest, 2)
        remaining = round(remaining - principal, 2)
        rows.append({"n": k, "principal": principal, "interest": interest, "total": principal + interest,
                     "remaining": remaining})
    return rows


def decimal_per_period(months: int) -> list[tuple[int, int, int]]:
    """The same exact schedule with Decimal.quantize for every period's interest."""
    one = Decimal(1)
    with localcontext() as ctx:
        ctx.prec = 34
        r = RATE / 12
        growth = (1 + r) ** months
        m = int((Decimal(AMOUNT_FEN) * r * growth / (growth - 1)).quantize(one, rounding=ROUND_HALF_UP))
        remaining = AMOUNT_FEN
        rows = []
        for k in range(months):
            interest = int((Decimal(remaining) * r).quantize(one, rounding=ROUND_HALF_UP))
            principal = remaining if k == months - 1 else m - interest
            remaining -= principal
            rows.append((principal, interest, remaining))
    return rows


def rate(fn: Callable[[int], object], months: int, seconds: float) -> tuple[float, float]:
    """(schedules per wall-clock second, schedules per CPU second of this process), best of 3 rounds.
    On a shared machine the CPU-second figure is the one that does not depend on the neighbours."""
    best_wall = best_cpu = 0.0
    for _ in range(3):
        n = 0
        t0, c0 = time.perf_counter(), time.process_time()
        deadline = t0 + seconds
        while True:
            for _ in range(20):
                fn(months)
            n += 20
            now = time.perf_counter()
            if now >= deadline:
                break
        cpu = time.process_time() - c0
        best_wall = max(best_wall, n / (now - t0))
        best_cpu = max(best_cpu, n / cpu if cpu > 0 else 0.0)
    return best_wall, best_cpu


def main(argv: list[str]) -> str:
    ap = argparse.ArgumentParser(prog="python -m bench lending_schedule")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--months", type=int, default=360)
    args = ap.parse_args(argv)

    s = product(args.months)
    assert s.installments[0].total_fen == 530_727 or args.months != 360  # type: ignore[attr-defined]
    ours, ours_cpu = rate(product, args.months, args.seconds)
    cold, cold_cpu = rate(product_new_dates, args.months, args.seconds)
    base, base_cpu = rate(baseline_float, args.months, args.seconds)
    dec, dec_cpu = rate(decimal_per_period, args.months, args.seconds)
    target = 5_000
    rows = [
        ("**product** `build_schedule`, one start date (due dates cached, as for the loans of one day)", ours, ours_cpu),
        ("product, a new start date every call (due dates computed)", cold, cold_cpu),
        ("Decimal.quantize per period (exact, replaced)", dec, dec_cpu),
        ("baseline: naive float, `round(x, 2)` (NOT used for money)", base, base_cpu),
    ]
    lines = [
        header("lending_schedule — repayment calculator"),
        f"1,000,000 yuan, 4.9%, {args.months} months, equal installment; best of 3 rounds of {args.seconds:g} s, "
        f"one process. Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: per CPU-second is the "
        "figure that does not depend on the other processes.\n",
        "| implementation | schedules/s (wall) | schedules per CPU-second | µs CPU per schedule | vs float baseline (CPU) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, wall, cpu in rows:
        lines.append(f"| {label} | {wall:,.0f} | {cpu:,.0f} | {1e6 / cpu:,.0f} | {cpu / base_cpu:.2f}× |")
    lines += [
        "",
        f"Target {target:,}/s: {'met' if ours_cpu >= target else 'NOT met'} per CPU-second with one start date "
        f"({ours_cpu / target:.0%}), {cold_cpu / target:.0%} with a new start date every call; wall-clock "
        f"{ours / target:.0%} on this machine now.",
    ]
    return "\n".join(lines)
