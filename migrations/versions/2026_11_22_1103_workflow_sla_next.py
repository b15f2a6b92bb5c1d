"""workflow: ``sla_next_at`` (the instant the next card falls due) with a partial index per table,
so the SLA scan is one range search per table; inbox indexes end in (due_at, id), the inbox order

Revision ID: 20261122_workflow_sla_next
Revises: 20261122_workflow_sla_idx
Create Date: 2026-11-22 07:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhanye.core.db

revision: str = "20261122_workflow_sla_next"
down_revision: str | Sequence[str] | None = "20261122_workflow_sla_idx"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("workflow_step", "workflow_instance")
_BACKFILL = (  # the instant the next card falls due, for open work
    "UPDATE workflow_step SET sla_next_at = CASE WHEN card = 'none' THEN COALESCE(yellow_at, due_at) "
    "WHEN card = 'yellow' THEN due_at END WHERE status = 'open'",
    "UPDATE workflow_instance SET sla_next_at = CASE WHEN card = 'none' THEN COALESCE(yellow_at, due_at) "
    "WHEN card = 'yellow' THEN due_at END WHERE status IN ('running', 'returned')",
)


def upgrade() -> None:
    for table, backfill in zip(_TABLES, _BACKFILL, strict=True):
        short = table.removeprefix("workflow_")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("sla_next_at", zhanye.core.db.UTCDateTime(timezone=True), nullable=True))
            batch_op.drop_index(f"ix_workflow_{short}_sla_yellow")
        op.execute(backfill)
        op.create_index(f"ix_workflow_{short}_sla_next", table, ["sla_next_at"], unique=False,
                        sqlite_where=sa.text("sla_next_at IS NOT NULL"),
                        postgresql_where=sa.text("sla_next_at IS NOT NULL"))
    _inbox_indexes(("status", "assignee_id", "due_at", "id"),
                   ("status", "institution_id", "role", "assignee_id", "due_at", "id"))


def _inbox_indexes(mine: tuple[str, ...], pooled: tuple[str, ...]) -> None:
    with op.batch_alter_table("workflow_task", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_task_mine")
        batch_op.drop_index("ix_workflow_task_pooled")
        batch_op.create_index("ix_workflow_task_mine", list(mine), unique=False)
        batch_op.create_index("ix_workflow_task_pooled", list(pooled), unique=False)


def downgrade() -> None:
    _inbox_indexes(("status", "assignee_id", "due_at"), ("status", "institution_id", "role", "assignee_id", "due_at"))
    for table in _TABLES:
        short = table.removeprefix("workflow_")
        op.drop_index(f"ix_workflow_{short}_sla_next", table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_workflow_{short}_sla_yellow", ["status", "card", "yellow_at"], unique=False)
            batch_op.drop_column("sla_next_at")
