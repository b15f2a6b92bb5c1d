"""ledger: settlement account 1011 in every chart that has clearing in transit 1131

Confirmed clearing items now move from 1131 (in transit) to 1011 (存放中央银行款项, the bank's
settlement account); books created before this revision get the account here, new books get it
with the standard chart.

Revision ID: 20261203_ledger_settlement
Revises: 20261122_ledger_fillfactor
Create Date: 2026-12-03 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_ledger_settlement"
down_revision: str | Sequence[str] | None = "20261122_ledger_fillfactor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.text(
        "INSERT INTO ledger_gl_account (institution_id, code, name, type, is_control, created_at) "
        "SELECT g.institution_id, '1011', '存放中央银行款项（清算备付）', 'asset', :f, CURRENT_TIMESTAMP "
        "FROM ledger_gl_account g WHERE g.code = '1131' AND NOT EXISTS ("
        "SELECT 1 FROM ledger_gl_account x WHERE x.institution_id = g.institution_id AND x.code = '1011')"
    ).bindparams(f=False))


def downgrade() -> None:
    op.execute(sa.text(
        "DELETE FROM ledger_gl_account WHERE code = '1011' AND NOT EXISTS ("
        "SELECT 1 FROM ledger_line l WHERE l.gl_account_id = ledger_gl_account.id)"))
