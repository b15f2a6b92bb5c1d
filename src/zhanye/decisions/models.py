"""Tables of the decision engine.

``decisions_decision``   a key (``loan.admission``) with its input/output JSON Schemas.
``decisions_version``    an immutable (once submitted) JDM graph of a decision, owned by an
                         institution scope: the head office default or a branch override.
``decisions_activation`` the history of which version was active for a (decision, institution)
                         and when; the open row (``ended_at`` NULL) is the active one.
``decisions_route``      champion/challenger: a challenger version with a share or in shadow.
``decisions_record``     every production decision: input, output, trace, latency, caller.
``decisions_test_case``  GIVEN input / EXPECT output cases of a decision's test suite.
``decisions_regression`` a batch regression run: progress, cancel flag and the report.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow

VERSION_STATES = ("draft", "submitted", "approved", "active", "retired", "rejected")


class Decision(Base):
    __tablename__ = "decisions_decision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    input_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    output_schema: Mapped[dict[str, Any]] = mapped_column(JSON)
    # May a branch activate its own override of the head-office version?
    branch_override: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DecisionVersion(Base):
    __tablename__ = "decisions_version"
    __table_args__ = (UniqueConstraint("decision_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions_decision.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    institution_id: Mapped[int] = mapped_column(BigInteger, index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    content: Mapped[str] = mapped_column(Text)  # JDM JSON text, immutable once submitted
    content_hash: Mapped[str] = mapped_column(String(64))
    change_note: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approver_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DecisionActivation(Base):
    __tablename__ = "decisions_activation"
    __table_args__ = (
        Index("ix_decisions_activation_lookup", "decision_id", "institution_id", "ended_at"),
        # exactly one open (active) activation per decision and institution scope, even under races
        Index("uq_decisions_activation_open", "decision_id", "institution_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions_decision.id"))
    institution_id: Mapped[int] = mapped_column(BigInteger)
    version_id: Mapped[int] = mapped_column(ForeignKey("decisions_version.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    activated_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str] = mapped_column(String(32), default="activate")  # activate | rollback


class DecisionRoute(Base):
    __tablename__ = "decisions_route"
    __table_args__ = (UniqueConstraint("decision_id", "institution_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions_decision.id"))
    institution_id: Mapped[int] = mapped_column(BigInteger)
    challenger_version_id: Mapped[int] = mapped_column(ForeignKey("decisions_version.id"))
    mode: Mapped[str] = mapped_column(String(16))  # split | shadow
    percent: Mapped[int] = mapped_column(Integer, default=0)  # split: share of requests 0-100
    sticky_field: Mapped[str] = mapped_column(String(64), default="customer_id")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DecisionRecord(Base):
    __tablename__ = "decisions_record"
    __table_args__ = (Index("ix_decisions_record_key_at", "decision_key", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_key: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(BigInteger, index=True)
    institution_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="champion")  # champion | challenger | shadow
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    caller: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    input: Mapped[dict[str, Any]] = mapped_column(JSON)
    output: Mapped[dict[str, Any]] = mapped_column(JSON)
    trace: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # shadow rows: the champion's output for the same input, for the comparison report
    champion_output: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    latency_us: Mapped[int] = mapped_column(Integer, default=0)


class DecisionTestCase(Base):
    __tablename__ = "decisions_test_case"
    __table_args__ = (UniqueConstraint("decision_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions_decision.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    given: Mapped[dict[str, Any]] = mapped_column(JSON)
    expect: Mapped[dict[str, Any]] = mapped_column(JSON)
    match: Mapped[str] = mapped_column(String(16), default="partial")  # partial | exact
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RegressionRun(Base):
    __tablename__ = "decisions_regression"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions_decision.id"), index=True)
    institution_id: Mapped[int] = mapped_column(BigInteger)
    candidate_version_id: Mapped[int] = mapped_column(BigInteger)
    baseline_version_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))  # file | records
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|cancelled|failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
