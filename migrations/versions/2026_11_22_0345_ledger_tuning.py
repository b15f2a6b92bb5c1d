"""ledger tuning: HOT-friendly daily updates

The demand accrual rewrites every deposit_demand row each day and every transfer rewrites two
ledger_account rows: no index on the updated date column, and free space on each page
(fillfactor) on PostgreSQL, so those updates stay heap-only (HOT) instead of touching indexes.

Revision ID: 20261122_ledger_tuning
Revises: 20261122_ledger_tables
Create Date: 2026-11-22 03:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261122_ledger_tuning"
down_revision: str | Sequence[str] | None = "20261122_ledger_tables"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deposit_demand", schema=None) as batch_op:
        batch_op.drop_index("ix_deposit_demand_accrued_through")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deposit_demand SET (fillfactor = 70)")
        op.execute("ALTER TABLE ledger_account SET (fillfactor = 80)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_account RESET (fillfactor)")
        op.execute("ALTER TABLE deposit_demand RESET (fillfactor)")
    with op.batch_alter_table("deposit_demand", schema=None) as batch_op:
        batch_op.create_index("ix_deposit_demand_accrued_through", ["accrued_through"], unique=False)
