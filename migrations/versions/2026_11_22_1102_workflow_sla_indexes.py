"""workflow: cards keyed by (instance, step, colour) with one index; SLA-scan indexes

Revision ID: 20261122_workflow_sla_idx
Revises: 20261122_workflow_inbox_idx
Create Date: 2026-11-22 03:55:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261122_workflow_sla_idx"
down_revision: str | Sequence[str] | None = "20261122_workflow_inbox_idx"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE workflow_card SET step_id = 0 WHERE step_id IS NULL")
    with op.batch_alter_table("workflow_card", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_card_issued")
        batch_op.drop_index("ix_workflow_card_instance_id")
        batch_op.drop_constraint("uq_workflow_card_target_color", type_="unique")
        batch_op.drop_column("target")
        batch_op.alter_column("step_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint("uq_workflow_card_instance_id_step_id_color",
                                          ["instance_id", "step_id", "color"])
    with op.batch_alter_table("workflow_step", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_step_status_due")
        batch_op.create_index("ix_workflow_step_sla_yellow", ["status", "card", "yellow_at"], unique=False)
        batch_op.create_index("ix_workflow_step_sla_due", ["status", "card", "due_at"], unique=False)
    with op.batch_alter_table("workflow_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_instance_status_due")
        batch_op.create_index("ix_workflow_instance_sla_yellow", ["status", "card", "yellow_at"], unique=False)
        batch_op.create_index("ix_workflow_instance_sla_due", ["status", "card", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflow_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_instance_sla_due")
        batch_op.drop_index("ix_workflow_instance_sla_yellow")
        batch_op.create_index("ix_workflow_instance_status_due", ["status", "due_at"], unique=False)
    with op.batch_alter_table("workflow_step", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_step_sla_due")
        batch_op.drop_index("ix_workflow_step_sla_yellow")
        batch_op.create_index("ix_workflow_step_status_due", ["status", "due_at"], unique=False)
    with op.batch_alter_table("workflow_card", schema=None) as batch_op:
        batch_op.drop_constraint("uq_workflow_card_instance_id_step_id_color", type_="unique")
        batch_op.add_column(sa.Column("target", sa.String(length=32), nullable=True))
        batch_op.alter_column("step_id", existing_type=sa.BigInteger(), nullable=True)
    op.execute("UPDATE workflow_card SET target = CASE WHEN step_id = 0 THEN 'instance:' || CAST(instance_id AS VARCHAR) "
               "ELSE 'step:' || CAST(step_id AS VARCHAR) END")
    op.execute("UPDATE workflow_card SET step_id = NULL WHERE step_id = 0")
    with op.batch_alter_table("workflow_card", schema=None) as batch_op:
        batch_op.alter_column("target", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint("uq_workflow_card_target_color", ["target", "color"])
        batch_op.create_index("ix_workflow_card_instance_id", ["instance_id"], unique=False)
        batch_op.create_index("ix_workflow_card_issued", ["issued_at"], unique=False)
