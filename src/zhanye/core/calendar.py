"""Business date (会计日期) and the working calendar: weekends, holidays, adjusted workdays (调休)
and working hours; "add N working hours", "working hours between", "next working day".

``WorkCalendar`` is pure (no database) so SLA arithmetic is unit-testable; ``load_calendar``
builds it from the kernel tables, and ``import_calendar_file`` fills them from a CSV file.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, ScalarSelect, Select, select
from sqlalchemy.orm import Session

from zhanye.core.errors import ValidationFailed
from zhanye.core.models import BusinessDate, CalendarDay

BANK_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_CALENDAR_FILE = Path(__file__).parent / "data" / "cn-holidays.csv"


@dataclass(frozen=True)
class WorkPeriod:
    start: dt.time
    end: dt.time

    @property
    def seconds(self) -> int:
        return (self.end.hour * 3600 + self.end.minute * 60) - (self.start.hour * 3600 + self.start.minute * 60)


DEFAULT_WORK_PERIODS = (
    WorkPeriod(dt.time(8, 30), dt.time(12, 0)),
    WorkPeriod(dt.time(13, 30), dt.time(18, 0)),
)


@dataclass
class WorkCalendar:
    holidays: set[dt.date] = field(default_factory=set)
    workdays: set[dt.date] = field(default_factory=set)  # adjusted working weekends
    periods: tuple[WorkPeriod, ...] = DEFAULT_WORK_PERIODS
    tz: dt.tzinfo = BANK_TZ

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: dt.date, *, include_today: bool = False) -> dt.date:
        d = day if include_today else day + dt.timedelta(days=1)
        for _ in range(3660):
            if self.is_working_day(d):
                return d
            d += dt.timedelta(days=1)
        raise ValueError("no working day within ten years")

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        d = day
        for _ in range(n):
            d = self.next_working_day(d)
        return d

    @property
    def hours_per_day(self) -> Decimal:
        return Decimal(sum(p.seconds for p in self.periods)) / 3600

    def _windows(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (dt.datetime.combine(day, p.start, self.tz), dt.datetime.combine(day, p.end, self.tz))
            for p in self.periods
        ]

    def add_working_seconds(self, start: dt.datetime, seconds: int) -> dt.datetime:
        """The instant when ``seconds`` of working time have elapsed after ``start``.

        A start outside working hours begins counting at the next working period.
        """
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        local = start.astimezone(self.tz)
        remaining = seconds
        day = local.date()
        if remaining <= 0:
            return start
        for _ in range(3660):
            for w_start, w_end in self._windows(day):
                if w_end <= local:
                    continue
                begin = max(w_start, local)
                available = int((w_end - begin).total_seconds())
                if remaining <= available:
                    return (begin + dt.timedelta(seconds=remaining)).astimezone(start.tzinfo)
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("deadline beyond ten years")

    def add_working_hours(self, start: dt.datetime, hours: Decimal | int | str) -> dt.datetime:
        seconds = int((Decimal(str(hours)) * 3600).to_integral_value())
        return self.add_working_seconds(start, seconds)

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> int:
        if end <= start:
            return 0
        s = start.astimezone(self.tz)
        e = end.astimezone(self.tz)
        total = 0
        day = s.date()
        while day <= e.date():
            for w_start, w_end in self._windows(day):
                lo = max(w_start, s)
                hi = min(w_end, e)
                if hi > lo:
                    total += int((hi - lo).total_seconds())
            day += dt.timedelta(days=1)
        return total

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> Decimal:
        return (Decimal(self.working_seconds_between(start, end)) / 3600).quantize(Decimal("0.01"))


def parse_calendar_rows(lines: Iterable[str]) -> list[tuple[dt.date, str, str]]:
    """Parse ``day,kind,name`` rows; '#' starts a comment. Raises with the line number at fault."""
    rows: list[tuple[dt.date, str, str]] = []
    for lineno, row in enumerate(csv.reader(lines), start=1):
        if not row or not row[0].strip() or row[0].lstrip().startswith("#"):
            continue
        try:
            day = dt.date.fromisoformat(row[0].strip())
        except ValueError:
            raise ValidationFailed.field(["line", lineno], f"第 {lineno} 行日期无效", f"line {lineno}: bad date") from None
        kind = row[1].strip() if len(row) > 1 else ""
        if kind not in ("holiday", "workday"):
            raise ValidationFailed.field(
                ["line", lineno], f"第 {lineno} 行类型须为 holiday 或 workday",
                f"line {lineno}: kind must be holiday or workday")
        rows.append((day, kind, row[2].strip() if len(row) > 2 else ""))
    return rows


def import_calendar_file(session: Session, path: Path | str = DEFAULT_CALENDAR_FILE) -> int:
    """Insert or update calendar exceptions from a CSV file; returns the number of days."""
    with open(path, encoding="utf-8") as fh:
        rows = parse_calendar_rows(fh)
    existing = {d.day: d for d in session.execute(select(CalendarDay)).scalars()}
    for day, kind, name in rows:
        rec = existing.get(day)
        if rec is None:
            session.add(CalendarDay(day=day, kind=kind, name=name))
        else:
            rec.kind, rec.name = kind, name
    session.flush()
    return len(rows)


WORK_PERIODS_KEY = "calendar.work_periods"


def parse_work_periods(text: str) -> tuple[WorkPeriod, ...]:
    """``"08:30-12:00,13:30-18:00"`` → working periods of a day (ordered, not overlapping)."""
    periods: list[WorkPeriod] = []
    for part in text.split(","):
        start_s, _, end_s = part.strip().partition("-")
        try:
            period = WorkPeriod(dt.time.fromisoformat(start_s.strip()), dt.time.fromisoformat(end_s.strip()))
        except ValueError:
            raise ValidationFailed.field(["work_periods"], f"工作时段格式错误：{part}",
                                         f"Bad working period: {part}") from None
        if period.seconds <= 0 or (periods and period.start < periods[-1].end):
            raise ValidationFailed.field(["work_periods"], "工作时段须按时间先后且不重叠",
                                         "Working periods must be ordered and must not overlap")
        periods.append(period)
    if not periods:
        raise ValidationFailed.field(["work_periods"], "至少一个工作时段", "At least one working period")
    return tuple(periods)


def set_work_periods(session: Session, text: str) -> tuple[WorkPeriod, ...]:
    from zhanye.core.models import KernelSetting

    periods = parse_work_periods(text)
    rec = session.get(KernelSetting, WORK_PERIODS_KEY)
    if rec is None:
        session.add(KernelSetting(key=WORK_PERIODS_KEY, value=text))
    else:
        rec.value = text
    session.flush()
    return periods


def load_calendar(session: Session) -> WorkCalendar:
    """The working calendar from the kernel tables: exceptions (holidays, adjusted workdays) and
    the working periods of a day (kernel setting ``calendar.work_periods``, default 08:30-12:00,
    13:30-18:00)."""
    from zhanye.core.models import KernelSetting

    rec = session.get(KernelSetting, WORK_PERIODS_KEY)
    cal = WorkCalendar(periods=parse_work_periods(rec.value) if rec else DEFAULT_WORK_PERIODS)
    for rec in session.execute(select(CalendarDay)).scalars():
        (cal.holidays if rec.kind == "holiday" else cal.workdays).add(rec.day)
    return cal


@functools.cache
def _business_date_query() -> Select[tuple[dt.date]]:
    return select(BusinessDate.value).where(BusinessDate.name == "default")


def get_business_date(session: Session | Connection) -> dt.date:
    """The business date (会计日期); a plain connection will do for a read-only request."""
    return business_date_or_today(session.execute(_business_date_query()).scalar())


def business_date_subquery() -> ScalarSelect[dt.date]:
    """The business date as a scalar subquery, for a caller that reads it in the same round trip as
    something else; pass the value read to ``business_date_or_today``."""
    return _business_date_query().scalar_subquery()


def business_date_or_today(value: dt.date | None) -> dt.date:
    return value if value is not None else dt.datetime.now(BANK_TZ).date()


def set_business_date(session: Session, value: dt.date) -> None:
    rec = session.get(BusinessDate, "default")
    if rec is None:
        session.add(BusinessDate(name="default", value=value))
    else:
        rec.value = value
    session.flush()


def today_local() -> dt.date:
    return dt.datetime.now(BANK_TZ).date()
