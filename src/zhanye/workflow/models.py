"""Tables of the workflow: process definitions (versioned), running instances, their steps and
tasks, the action log, SLA cards and in-app notifications.

Working-hour deadlines are computed once when a step or instance starts (``yellow_at`` and
``due_at`` are UTC instants). ``sla_next_at`` holds the instant the next card falls due (the yellow
instant, then the due instant; NULL once red, closed, or without SLA) under a partial index, so the
SLA scan is one range search ``sla_next_at <= now`` per table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from zhanye.core.db import Base, BigId, UTCDateTime, utcnow


class ProcessDefinition(Base):
    """One immutable version of a process; ``source`` is the uploaded YAML, ``spec`` its JSON."""

    __tablename__ = "workflow_definition"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(100), nullable=False)
    owner: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    sla_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    spec: Mapped[str] = mapped_column(Text, nullable=False)
    checksum: Mapped[str] = mapped_column(String(64), nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="system")


class ProcessInstance(Base):
    __tablename__ = "workflow_instance"
    __table_args__ = (
        Index("ix_workflow_instance_subject", "subject_type", "subject_id"),
        # the SLA scan's range search (only rows with a card still to come are in the index)
        Index("ix_workflow_instance_sla_next", "sla_next_at", sqlite_where=text("sla_next_at IS NOT NULL"),
              postgresql_where=text("sla_next_at IS NOT NULL")),
        Index("ix_workflow_instance_sla_due", "status", "card", "due_at"),
        Index("ix_workflow_instance_inst_status", "institution_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("workflow_definition.id"), nullable=False)
    process_key: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    subject_type: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_id: Mapped[str] = mapped_column(String(64), nullable=False)
    summary: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    facts: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    adjustments: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    institution_id: Mapped[int] = mapped_column(ForeignKey("org_institution.id"), nullable=False)
    submitter_id: Mapped[int | None] = mapped_column(ForeignKey("org_staff.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="running")
    # running | returned | approved | rejected | cancelled
    step_index: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    current_step_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sla_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    yellow_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    card: Mapped[str] = mapped_column(String(8), nullable=False, default="none")  # none | yellow | red
    sla_next_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cycle_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)  # working seconds
    outcome_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ProcessStep(Base):
    """One activation of a definition step in an instance (a step returned to runs again)."""

    __tablename__ = "workflow_step"
    __table_args__ = (Index("ix_workflow_step_sla_next", "sla_next_at", sqlite_where=text("sla_next_at IS NOT NULL"),
                            postgresql_where=text("sla_next_at IS NOT NULL")),
                      Index("ix_workflow_step_sla_due", "status", "card", "due_at"))  # the SLA board
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id"), nullable=False, index=True)
    step_key: Mapped[str] = mapped_column(String(64), nullable=False)
    step_index: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # single | parallel | quorum | resubmit
    need: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    approvals: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    rejections: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    # open | approved | rejected | returned | cancelled
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sla_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    yellow_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    card: Mapped[str] = mapped_column(String(8), nullable=False, default="none")
    sla_next_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    working_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Task(Base):
    """A unit of work in someone's inbox: assigned to a person, or to a role at an institution
    (a pool) until someone claims it. ``version`` guards against acting twice."""

    __tablename__ = "workflow_task"
    __table_args__ = (
        # the inbox searches in inbox order (see tasks.inbox): own tasks, and each role's pool
        Index("ix_workflow_task_mine", "status", "assignee_id", "due_at", "id"),
        Index("ix_workflow_task_pooled", "status", "institution_id", "role", "assignee_id", "due_at", "id"),
        Index("ix_workflow_task_step", "step_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id"), nullable=False, index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("workflow_step.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="approve")  # approve | cosign | resubmit
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    seat: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")  # open | done | cancelled
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    acted_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    acted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)


class TaskAction(Base):
    """Who did what, when: the instance timeline (start, approve, reject, return, delegate, ...)."""

    __tablename__ = "workflow_action"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("workflow_instance.id"), nullable=False, index=True)
    step_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    task_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    comment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    attachments: Mapped[str] = mapped_column(Text, nullable=False, default="[]")
    payload: Mapped[str] = mapped_column(Text, nullable=False, default="{}")
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class SlaCard(Base):
    """A yellow or red card, issued once per step or instance and colour; kept for good."""

    __tablename__ = "workflow_card"
    __table_args__ = (UniqueConstraint("instance_id", "step_id", "color"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    color: Mapped[str] = mapped_column(String(8), nullable=False)  # yellow | red
    instance_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    step_id: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)  # 0: the whole instance
    process_key: Mapped[str] = mapped_column(String(64), nullable=False)
    step_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # responsible person
    institution_id: Mapped[int] = mapped_column(BigInteger, nullable=False)  # responsible institution
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    @property
    def target(self) -> str:
        return f"step:{self.step_id}" if self.step_id else f"instance:{self.instance_id}"


class Notification(Base):
    """An in-app notification for a person, or for a role at an institution (a pool)."""

    __tablename__ = "workflow_notification"
    __table_args__ = (Index("ix_workflow_notification_staff", "staff_id", "read_at"),
                      Index("ix_workflow_notification_pool", "institution_id", "role"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    staff_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    institution_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # new | due_soon | overdue | outcome
    task_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    instance_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    text: Mapped[str] = mapped_column(String(300), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
