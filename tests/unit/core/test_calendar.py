import datetime as dt
from decimal import Decimal

import pytest

from zhanye.core.calendar import BANK_TZ, DEFAULT_CALENDAR_FILE, WorkCalendar, parse_calendar_rows
from zhanye.core.errors import ValidationFailed


@pytest.fixture()
def cal() -> WorkCalendar:
    with open(DEFAULT_CALENDAR_FILE, encoding="utf-8") as fh:
        rows = parse_calendar_rows(fh)
    c = WorkCalendar()
    for day, kind, _ in rows:
        (c.holidays if kind == "holiday" else c.workdays).add(day)
    return c


def t(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=BANK_TZ)


def test_weekends_holidays_and_adjusted_workdays(cal: WorkCalendar) -> None:
    assert cal.is_working_day(dt.date(2026, 11, 20))  # Friday
    assert not cal.is_working_day(dt.date(2026, 11, 21))  # Saturday
    assert not cal.is_working_day(dt.date(2026, 10, 1))  # National Day
    assert cal.is_working_day(dt.date(2026, 10, 10))  # Saturday worked (调休)
    assert cal.is_working_day(dt.date(2026, 9, 20))  # Sunday worked (调休)
    assert cal.next_working_day(dt.date(2026, 9, 30)) == dt.date(2026, 10, 8)
    assert cal.next_working_day(dt.date(2026, 10, 9)) == dt.date(2026, 10, 10)


@pytest.mark.parametrize("start,hours,end", [
    ("2026-11-20 09:00", "2", "2026-11-20 11:00"),            # inside the morning
    ("2026-11-20 11:00", "2", "2026-11-20 14:30"),            # across lunch
    ("2026-11-20 17:00", "2", "2026-11-23 09:30"),            # across a weekend
    ("2026-11-20 20:00", "1", "2026-11-23 09:30"),            # starts outside working hours
    ("2026-11-21 10:00", "1", "2026-11-23 09:30"),            # starts on a Saturday
    ("2026-09-30 17:00", "2", "2026-10-08 09:30"),            # across the National Day holiday
    ("2026-10-09 17:00", "2", "2026-10-10 09:30"),            # next day is an adjusted workday
    ("2026-11-20 08:30", "8", "2026-11-20 18:00"),            # exactly one working day
    ("2026-11-16 08:30", "64.5", "2026-11-26 09:00"),         # 项目立项审批 SLA
])
def test_add_working_hours(cal: WorkCalendar, start: str, hours: str, end: str) -> None:
    assert cal.add_working_hours(t(start), Decimal(hours)) == t(end)


@pytest.mark.parametrize("start,end,hours", [
    ("2026-11-20 09:00", "2026-11-20 11:00", "2.00"),
    ("2026-11-20 11:00", "2026-11-20 14:30", "2.00"),
    ("2026-11-20 17:00", "2026-11-23 09:30", "2.00"),
    ("2026-11-21 09:00", "2026-11-22 18:00", "0.00"),
    ("2026-09-30 08:30", "2026-10-08 18:00", "16.00"),
])
def test_working_hours_between(cal: WorkCalendar, start: str, end: str, hours: str) -> None:
    assert cal.working_hours_between(t(start), t(end)) == Decimal(hours)


def test_hours_per_day(cal: WorkCalendar) -> None:
    assert cal.hours_per_day == Decimal(8)


def test_bad_calendar_file_names_the_line() -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_calendar_rows(["2026-01-01,holiday,元旦", "2026-13-01,holiday,x"])
    assert "2" in str(exc.value.errors[0].loc)
