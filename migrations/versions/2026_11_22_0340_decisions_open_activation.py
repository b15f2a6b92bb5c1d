"""decisions: one open activation per decision and institution scope

Revision ID: 20261122_decisions_one_active
Revises: 20261122_decisions_tables
Create Date: 2026-11-22 03:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '20261122_decisions_one_active'
down_revision: str | Sequence[str] | None = '20261122_decisions_tables'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('uq_decisions_activation_open', 'decisions_activation', ['decision_id', 'institution_id'],
                    unique=True, sqlite_where=sa.text('ended_at IS NULL'),
                    postgresql_where=sa.text('ended_at IS NULL'))


def downgrade() -> None:
    op.drop_index('uq_decisions_activation_open', table_name='decisions_activation')
