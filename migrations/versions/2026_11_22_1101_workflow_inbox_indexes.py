"""workflow: covering indexes for the two inbox searches

Revision ID: 20261122_workflow_inbox_idx
Revises: 20261122_workflow_tables
Create Date: 2026-11-22 03:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261122_workflow_inbox_idx"
down_revision: str | Sequence[str] | None = "20261122_workflow_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_task", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_task_assignee")
        batch_op.drop_index("ix_workflow_task_pool")
        batch_op.create_index("ix_workflow_task_mine", ["status", "assignee_id", "due_at"], unique=False)
        batch_op.create_index("ix_workflow_task_pooled", ["status", "institution_id", "role", "assignee_id", "due_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflow_task", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_task_pooled")
        batch_op.drop_index("ix_workflow_task_mine")
        batch_op.create_index("ix_workflow_task_pool", ["status", "institution_id", "role"], unique=False)
        batch_op.create_index("ix_workflow_task_assignee", ["status", "assignee_id"], unique=False)
