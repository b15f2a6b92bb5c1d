"""customers: search indexes that also hold the institution (scope filter without reading rows)

The name and mobile searches filter by the actor's institutions and count at most 1,000 matches;
with ``institution_id`` in the index both are index-only scans (a common name matches hundreds).

Revision ID: 20261122_customers_search_cov
Revises: 20261122_customers_search
Create Date: 2026-11-22 06:45:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '20261122_customers_search_cov'
down_revision: str | Sequence[str] | None = '20261122_customers_search'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_customer_name_bidx_id')
        batch_op.drop_index('ix_customers_customer_mobile_bidx')
        batch_op.create_index('ix_customers_customer_name_search', ['name_bidx', 'id', 'institution_id'],
                              unique=False)
        batch_op.create_index('ix_customers_customer_mobile_search', ['mobile_bidx', 'id', 'institution_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_customer_mobile_search')
        batch_op.drop_index('ix_customers_customer_name_search')
        batch_op.create_index('ix_customers_customer_mobile_bidx', ['mobile_bidx'], unique=False)
        batch_op.create_index('ix_customers_customer_name_bidx_id', ['name_bidx', 'id'], unique=False)
