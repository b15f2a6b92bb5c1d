"""customers: search index on (name_bidx, id)

Revision ID: 20261122_customers_search
Revises: 20261122_customers
Create Date: 2026-11-22 04:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '20261122_customers_search'
down_revision: str | Sequence[str] | None = '20261122_customers'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_customer_name_bidx')
        batch_op.create_index('ix_customers_customer_name_bidx_id', ['name_bidx', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_customer_name_bidx_id')
        batch_op.create_index('ix_customers_customer_name_bidx', ['name_bidx'], unique=False)
