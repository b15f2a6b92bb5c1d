"""Kernel tables: business date, working calendar, idempotency records, audit chain, outbox,
and small named settings."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow


class BusinessDate(Base):
    """The bank's accounting date (会计日期); only end-of-day advances it."""

    __tablename__ = "kernel_business_date"
    name: Mapped[str] = mapped_column(String(32), primary_key=True, default="default")
    value: Mapped[dt.date] = mapped_column(Date, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class CalendarDay(Base):
    """An exception to the weekly pattern: a holiday on a weekday or a workday on a weekend (调休)."""

    __tablename__ = "kernel_calendar_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # holiday | workday
    name: Mapped[str] = mapped_column(String(64), nullable=False, default="")


class DataVersion(Base):
    """A counter that database triggers raise on every change to a group of tables (``org``: staff,
    their roles, institutions), so that a cached read can be checked against it in one look-up."""

    __tablename__ = "kernel_data_version"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class KernelSetting(Base):
    __tablename__ = "kernel_setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)


class IdempotencyRecord(Base):
    __tablename__ = "kernel_idempotency"
    __table_args__ = (UniqueConstraint("scope", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64), nullable=False)
    key: Mapped[str] = mapped_column(String(128), nullable=False)
    endpoint: Mapped[str] = mapped_column(String(200), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response_body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class AuditRecord(Base):
    """Append-only, SM3 hash-chained audit trail. ``id`` is assigned in sequence by the chain of
    its lane (``core.audit``: lane k holds ids k * 2**40 + 1, + 2, ...); ``at`` orders across lanes."""

    __tablename__ = "kernel_audit"
    __table_args__ = (
        Index("ix_kernel_audit_object", "object_type", "object_id"),
        Index("ix_kernel_audit_actor", "actor_id", "at"),
        Index("ix_kernel_audit_at", "at"),
    )
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True,
                                    autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor_username: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    institution_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    changes: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditChainHead(Base):
    """One row per lane that serializes appends to its chain (locked FOR UPDATE on PostgreSQL):
    ``main`` for lane 0, ``lane1`` ... ``lane7``."""

    __tablename__ = "kernel_audit_head"
    name: Mapped[str] = mapped_column(String(16), primary_key=True, default="main")
    last_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)


class OutboxMessage(Base):
    """Side effects that leave the process (SMS, webhooks) are written here in the transaction
    and delivered after commit."""

    __tablename__ = "kernel_outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


# Referenced by feature models that point at an institution without importing org.
INSTITUTION_FK = "org_institution.id"


def institution_fk() -> ForeignKey:
    return ForeignKey(INSTITUTION_FK)
