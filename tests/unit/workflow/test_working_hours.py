"""Working-hour SLA arithmetic across nights, weekends, holidays and adjusted workdays
(table-driven), as the workflow computes yellow and due instants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhanye.core.calendar import BANK_TZ, WorkCalendar
from zhanye.workflow.sla import deadlines

# 2026: Mon 5 Oct is a holiday (National Day); Sat 10 Oct is an adjusted workday (调休).
CAL = WorkCalendar(holidays={dt.date(2026, 10, 5)}, workdays={dt.date(2026, 10, 10)})


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=BANK_TZ)


CASES = [
    # start, SLA hours, expected due, why
    (at(11, 23, 9), "2", at(11, 23, 11), "inside the morning period"),
    (at(11, 23, 11), "2", at(11, 23, 14, 30), "over the lunch break"),
    (at(11, 23, 17), "2", at(11, 24, 9, 30), "overnight"),
    (at(11, 23, 20), "1", at(11, 24, 9, 30), "starts at night, outside working hours"),
    (at(11, 23, 6), "1", at(11, 23, 9, 30), "starts before the day begins"),
    (at(11, 23, 12, 30), "1", at(11, 23, 14, 30), "starts in the lunch break"),
    (at(11, 27, 17), "2", at(11, 30, 9, 30), "over a weekend"),
    (at(11, 28, 10), "1", at(11, 30, 9, 30), "starts on a Saturday"),
    (at(10, 2, 17), "2", at(10, 6, 9, 30), "Friday, weekend, then a Monday holiday"),
    (at(10, 9, 17), "2", at(10, 10, 9, 30), "an adjusted working Saturday counts"),
    (at(11, 23, 8, 30), "8", at(11, 23, 18), "a whole working day is 8 hours"),
    (at(11, 23, 9), "64.5", at(12, 3, 9, 30), "the bank's project initiation SLA"),
]


@pytest.mark.parametrize(("start", "hours", "due", "why"), CASES, ids=[c[3] for c in CASES])
def test_due_instant(start: dt.datetime, hours: str, due: dt.datetime, why: str) -> None:
    seconds = int(Decimal(hours) * 3600)
    yellow, got = deadlines(CAL, start, seconds, Decimal("0.8"))
    assert got == due, why
    assert yellow is not None and start <= yellow <= got
    # the working time elapsed up to each instant is exactly the SLA share
    assert CAL.working_seconds_between(start, got) == seconds
    assert CAL.working_seconds_between(start, yellow) == int(seconds * Decimal("0.8"))


def test_no_sla_means_no_deadlines() -> None:
    assert deadlines(CAL, at(11, 23, 9), None, Decimal("0.8")) == (None, None)


def test_yellow_share_is_configurable() -> None:
    yellow, due = deadlines(CAL, at(11, 23, 9), 10 * 3600, Decimal("0.5"))
    assert CAL.working_seconds_between(at(11, 23, 9), yellow) == 5 * 3600  # type: ignore[arg-type]
    assert due == at(11, 24, 11)
