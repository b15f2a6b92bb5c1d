"""Batch tables: one row per (business date, step) records the step's state, timing, rows done
and its resume cursor."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, UTCDateTime


class StepRun(Base):
    __tablename__ = "batch_step_run"
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    step: Mapped[str] = mapped_column(String(64), primary_key=True)
    order: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # running | done | failed
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rows: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    cursor: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    error: Mapped[str] = mapped_column(Text, nullable=False, default="")
