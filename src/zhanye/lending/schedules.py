"""Repayment calculator (还款试算): pure functions, no database.

``build_schedule(amount_fen=..., months=..., annual_rate=..., method=..., start=..., day_rule=...)``
returns every installment (due date, principal, interest, total, remaining principal) and the totals.

Rules (the house's domain facts, DESIGN.md section 6):

* Methods: ``equal_installment`` 等额本息 M = P·r(1+r)^n/((1+r)^n−1) with r = annual/12;
  ``equal_principal`` 等额本金 P/n + outstanding·r; ``interest_first`` 先息后本 interest each period
  and the principal at maturity; ``bullet`` 利随本清 principal and interest together at maturity.
* Periodic interest of a *regular* monthly period is outstanding × annual / 12. A period is regular
  when its due date is exactly one calendar month after the previous one (or after the start), with
  the day clamped to the month's end (Jan 31 → Feb 28 → Mar 31 is regular). Any other period (the
  odd first period of a fixed repayment day, or a bullet whose maturity is not a whole number of
  months) earns outstanding × annual / 360 × actual days.
* In an equal-installment schedule with an odd first period, the principal part of the first
  installment is the one of a regular first period (M − outstanding·r), and only its interest uses
  actual days; the installment amount M of the later periods is unchanged.
* Rounding: every installment's interest is rounded to the fen HALF_UP; M and the regular principal
  part P/n are rounded to the fen HALF_UP; the principal remainder goes to the last installment so
  that the principal sums exactly to the amount. Should P/n rounded up leave too little for the last
  installment (tiny amounts over many months), the regular part rounds DOWN instead. Principal never
  exceeds the outstanding principal, so the remaining principal is never negative.

Arithmetic: the rate is a ``Decimal`` and is used as the exact fraction it denotes; (1+r)^n is
computed with ``Decimal`` at 34 significant digits; the per-period interest ``outstanding × rate``
is an exact integer fraction rounded with the named mode (``_round_ratio``), which gives the same
result as ``Decimal`` quantize without its cost (a 360-month schedule has 360 of them). No float.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from zhanye.core.errors import ValidationFailed
from zhanye.core.money import MAX_AMOUNT_FEN, Rounding, round_fen

ROUNDING = Rounding.HALF_UP
MAX_MONTHS = 600
MAX_ANNUAL_RATE = Decimal("0.36")  # 36%: the judicial protection ceiling, far above any product


class Method(StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本
    BULLET = "bullet"  # 利随本清


METHOD_NAMES_ZH = {
    Method.EQUAL_INSTALLMENT: "等额本息",
    Method.EQUAL_PRINCIPAL: "等额本金",
    Method.INTEREST_FIRST: "先息后本",
    Method.BULLET: "利随本清",
}


class DayRuleKind(StrEnum):
    LOAN_DATE = "loan_date"  # due on the start date's day of each month (clamped to month end)
    FIXED_DAY = "fixed_day"  # due on a fixed day (1-28) of each month, odd first period


@dataclass(frozen=True)
class DayRule:
    kind: DayRuleKind = DayRuleKind.LOAN_DATE
    day: int | None = None
    # With a fixed day, a first period shorter than this many days is lengthened by a month.
    min_first_days: int = 10

    @classmethod
    def parse(cls, text: str) -> DayRule:
        """``loan_date`` or ``fixed_day:20``."""
        if text == DayRuleKind.LOAN_DATE:
            return cls()
        if text.startswith("fixed_day:"):
            raw = text.removeprefix("fixed_day:")
            if raw.isdigit():
                return cls(DayRuleKind.FIXED_DAY, int(raw)).validated()
        raise ValidationFailed.field(["repayment_day_rule"], "还款日规则应为 loan_date 或 fixed_day:1-28",
                                     "The repayment day rule must be loan_date or fixed_day:1-28")

    def validated(self) -> DayRule:
        if self.kind == DayRuleKind.FIXED_DAY and (self.day is None or not 1 <= self.day <= 28):
            raise ValidationFailed.field(["repayment_day"], "固定还款日须在 1 到 28 日之间",
                                         "The fixed repayment day must be between 1 and 28")
        if self.kind == DayRuleKind.LOAN_DATE and self.day is not None:
            raise ValidationFailed.field(["repayment_day"], "按放款日还款时不设固定还款日",
                                         "A fixed day is not used with the loan-date rule")
        return self

    def __str__(self) -> str:
        return f"fixed_day:{self.day}" if self.kind == DayRuleKind.FIXED_DAY else str(self.kind)


class Installment(NamedTuple):
    """One installment (a named tuple: a 360-month schedule builds 360 of them)."""

    number: int
    due_date: dt.date
    days: int  # actual days in the period
    regular: bool  # a whole month (monthly rate) or odd (actual days / 360)
    principal_fen: int
    interest_fen: int
    total_fen: int
    remaining_fen: int  # principal outstanding after this installment


@dataclass(frozen=True)
class Schedule:
    amount_fen: int
    months: int
    annual_rate: Decimal
    method: Method
    start: dt.date
    day_rule: DayRule
    installments: tuple[Installment, ...]
    total_interest_fen: int
    total_fen: int
    rounding: Rounding = ROUNDING

    @property
    def maturity(self) -> dt.date:
        return self.installments[-1].due_date

    @property
    def first_total_fen(self) -> int:
        return self.installments[0].total_fen


# --- dates --------------------------------------------------------------------------------------

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_len(year: int, month: int) -> int:
    if month == 2 and calendar.isleap(year):
        return 29
    return _MONTH_DAYS[month - 1]


def add_months(day: dt.date, months: int, *, on_day: int | None = None) -> dt.date:
    """The same (or ``on_day``) day ``months`` later, clamped to the month's last day."""
    m = day.month - 1 + months
    year, month = day.year + m // 12, m % 12 + 1
    want = on_day or day.day
    if want > 28:
        want = min(want, _month_len(year, month))
    return dt.date(year, month, want)


@lru_cache(maxsize=512)
def due_dates(start: dt.date, count: int, rule: DayRule) -> tuple[dt.date, ...]:
    """Due dates of ``count`` monthly installments from ``start`` under ``rule``. They depend on
    nothing else, so they are cached: the loans of one business date share them."""
    if rule.kind == DayRuleKind.LOAN_DATE:
        return tuple(_monthly(start.year, start.month, start.day, count))
    assert rule.day is not None
    first = dt.date(start.year, start.month, rule.day)
    if first <= start:
        first = add_months(first, 1)
    if (first - start).days < rule.min_first_days:
        first = add_months(first, 1)
    return (first, *_monthly(first.year, first.month, rule.day, count - 1))


def _monthly(year: int, month: int, day: int, count: int) -> list[dt.date]:
    """The ``day`` (clamped) of each of the ``count`` months after (year, month)."""
    out: list[dt.date] = []
    append, date = out.append, dt.date
    for _ in range(count):
        month += 1
        if month > 12:
            month = 1
            year += 1
        append(date(year, month, day if day <= 28 else min(day, _month_len(year, month))))
    return out


def _is_regular(prev: dt.date, due: dt.date, anchor_day: int) -> bool:
    return add_months(prev, 1, on_day=anchor_day) == due


@lru_cache(maxsize=512)
def _periods(start: dt.date, count: int, rule: DayRule) -> tuple[tuple[dt.date, ...], tuple[int, ...], bool]:
    """(due dates, actual days of each period, whether the first period is a whole month)."""
    dates = due_dates(start, count, rule)
    ords = [start.toordinal(), *(d.toordinal() for d in dates)]
    days = tuple(b - a for a, b in zip(ords, ords[1:], strict=False))
    anchor = rule.day if rule.kind == DayRuleKind.FIXED_DAY and rule.day else start.day
    return dates, days, _is_regular(start, dates[0], anchor)


# --- arithmetic ---------------------------------------------------------------------------------

def _round_ratio(numer: int, denom: int, mode: Rounding) -> int:
    """numer/denom (denom > 0, both int) rounded to an integer with the named mode, exactly."""
    if numer < 0 or denom <= 0:
        raise ValueError("only non-negative amounts are rounded here")
    q, r = divmod(numer, denom)
    if r == 0 or mode in (Rounding.DOWN, Rounding.FLOOR):
        return q
    if mode == Rounding.UP:
        return q + 1
    twice = 2 * r
    if twice > denom or (twice == denom and (mode == Rounding.HALF_UP or q % 2 == 1)):
        return q + 1
    return q


def _fraction(rate: Decimal) -> tuple[int, int]:
    n, d = rate.as_integer_ratio()
    return n, d


def check_inputs(*, amount_fen: int, months: int, annual_rate: Decimal, start: dt.date) -> None:
    errors = []
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 1 <= amount_fen <= MAX_AMOUNT_FEN:
        errors.append(ValidationFailed.field(["amount_fen"], "金额须为正的整数分", "The amount must be a positive whole number of fen"))
    if not isinstance(months, int) or not 1 <= months <= MAX_MONTHS:
        errors.append(ValidationFailed.field(["months"], f"期限须为 1 到 {MAX_MONTHS} 个月",
                                             f"The term must be 1 to {MAX_MONTHS} months"))
    if not isinstance(annual_rate, Decimal) or not annual_rate.is_finite() or not (
            Decimal(0) <= annual_rate <= MAX_ANNUAL_RATE):
        errors.append(ValidationFailed.field(["annual_rate"], "年利率须在 0 到 0.36 之间（小数，如 0.049）",
                                             "The annual rate must be a decimal between 0 and 0.36 (e.g. 0.049)"))
    if not isinstance(start, dt.date) or start.year < 1990 or start.year > 2150:
        errors.append(ValidationFailed.field(["start"], "起息日无效", "The start date is not valid"))
    if errors:
        merged = ValidationFailed("还款试算参数有误", "The schedule inputs are not valid",
                                  errors=[e for err in errors for e in err.errors])
        raise merged


def installment_amount(amount_fen: int, months: int, annual_rate: Decimal, mode: Rounding = ROUNDING) -> int:
    """等额本息 monthly installment M = P·r(1+r)^n/((1+r)^n−1), r = annual/12, rounded to the fen."""
    if annual_rate == 0:
        return _round_ratio(amount_fen, months, mode)
    with localcontext() as ctx:
        ctx.prec = 34
        r = annual_rate / 12
        growth = (1 + r) ** months
        m = Decimal(amount_fen) * r * growth / (growth - 1)
    return round_fen(m, mode)


def build_schedule(*, amount_fen: int, months: int, annual_rate: Decimal, method: Method | str,
                   start: dt.date, day_rule: DayRule | None = None, mode: Rounding = ROUNDING) -> Schedule:
    """The full repayment schedule (see the module docstring for the rules)."""
    check_inputs(amount_fen=amount_fen, months=months, annual_rate=annual_rate, start=start)
    try:
        method = Method(method)
    except ValueError:
        raise ValidationFailed.field(["method"], "不支持的还款方式", "Unknown repayment method") from None
    rule = (day_rule or DayRule()).validated()
    num, den = _fraction(annual_rate)
    den_month, den_day = den * 12, den * 360

    if method == Method.BULLET:
        due = add_months(start, months)
        days = (due - start).days
        interest = _round_ratio(amount_fen * num * months, den_month, mode)
        inst = Installment(1, due, days, True, amount_fen, interest, amount_fen + interest, 0)
        return Schedule(amount_fen, months, annual_rate, method, start, rule, (inst,), interest,
                        amount_fen + interest, mode)

    dates, period_days, first_regular = _periods(start, months, rule)

    # The regular principal part of each installment but the last (which takes the remainder).
    # Equal installment: payment − regular interest; equal principal: a fixed part; interest first: 0.
    payment = part = 0
    if method == Method.EQUAL_INSTALLMENT:
        payment = installment_amount(amount_fen, months, annual_rate, mode)
    elif method == Method.EQUAL_PRINCIPAL:
        part = _round_ratio(amount_fen, months, mode)
        if part * (months - 1) > amount_fen:
            part = amount_fen // months
    by_payment = method == Method.EQUAL_INSTALLMENT
    out: list[Installment] = []
    append, new = out.append, tuple.__new__  # fast Installment construction (hot path)
    last = months - 1
    state = [amount_fen, 0]  # remaining principal, total interest

    def step(k: int) -> None:
        """One installment, any mode, regular or odd (the first, the last, non-HALF_UP modes)."""
        remaining = state[0]
        days = period_days[k]
        regular_interest = _round_ratio(remaining * num, den_month, mode)
        regular = k > 0 or first_regular
        interest = regular_interest if regular else _round_ratio(remaining * num * days, den_day, mode)
        if k == last:
            principal = remaining
        else:
            principal = payment - regular_interest if by_payment else part
            if principal > remaining:
                principal = remaining
            elif principal < 0:
                principal = 0
        remaining -= principal
        state[0], state[1] = remaining, state[1] + interest
        append(new(Installment, (k + 1, dates[k], days, regular, principal, interest, principal + interest,
                                 remaining)))

    step(0)
    if months > 2 and mode == Rounding.HALF_UP:
        # The whole-month installments between the first and the last: the same arithmetic as
        # step() with _round_ratio(x, d, HALF_UP) inlined as (2x + d) // 2d. This loop is the hot path.
        # Principal is never negative here: interest = round(outstanding·r) ≤ round(P·r) ≤ round(M).
        remaining, total_interest = state
        num2, den2 = 2 * num, 2 * den_month
        middle = zip(range(2, last + 1), dates[1:last], period_days[1:last], strict=True)
        if by_payment:
            for number, due, days in middle:
                interest = (remaining * num2 + den_month) // den2
                principal = payment - interest
                if principal > remaining:
                    principal = remaining
                remaining -= principal
                total_interest += interest
                append(new(Installment, (number, due, days, True, principal, interest, principal + interest,
                                         remaining)))
        else:
            for number, due, days in middle:
                interest = (remaining * num2 + den_month) // den2
                principal = part if part <= remaining else remaining
                remaining -= principal
                total_interest += interest
                append(new(Installment, (number, due, days, True, principal, interest, principal + interest,
                                         remaining)))
        state[0], state[1] = remaining, total_interest
    else:
        for k in range(1, last):
            step(k)
    if months > 1:
        step(last)
    total_interest = state[1]
    return Schedule(amount_fen, months, annual_rate, method, start, rule, tuple(out), total_interest,
                    amount_fen + total_interest, mode)


def schedule_as_dict(s: Schedule) -> dict[str, object]:
    """JSON shape: fen integers with yuan strings beside them; rates as strings."""
    from zhanye.core.money import format_yuan

    return {
        "amount_fen": s.amount_fen, "amount_yuan": format_yuan(s.amount_fen), "months": s.months,
        "annual_rate": str(s.annual_rate), "method": str(s.method), "method_name": METHOD_NAMES_ZH[s.method],
        "start": s.start.isoformat(), "repayment_day_rule": str(s.day_rule), "rounding": str(s.rounding.name),
        "maturity": s.maturity.isoformat(),
        "total_interest_fen": s.total_interest_fen, "total_interest_yuan": format_yuan(s.total_interest_fen),
        "total_fen": s.total_fen, "total_yuan": format_yuan(s.total_fen),
        "installments": [{
            "number": i.number, "due_date": i.due_date.isoformat(), "days": i.days, "regular": i.regular,
            "principal_fen": i.principal_fen, "interest_fen": i.interest_fen, "total_fen": i.total_fen,
            "remaining_fen": i.remaining_fen,
        } for i in s.installments],
    }
