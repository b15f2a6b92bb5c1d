"""ledger fillfactor: room for whole-page HOT updates in the EOD and on transfers

The demand accrual rewrites every deposit_demand row each day, and a day's term maturities
rewrite most ledger_account rows of the deposits and e-accounts involved, page by page in one
transaction. An update stays heap-only (HOT: no index touched) only if the new row version fits
on its page; when every row of a page is updated in one transaction that needs half the page
free. PostgreSQL only; pages already written keep their packing until rewritten.

Revision ID: 20261122_ledger_fillfactor
Revises: 20261122_ledger_tuning
Create Date: 2026-11-22 13:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "20261122_ledger_fillfactor"
down_revision: str | Sequence[str] | None = "20261122_ledger_tuning"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE deposit_demand SET (fillfactor = 45)")
        op.execute("ALTER TABLE ledger_account SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE ledger_account SET (fillfactor = 80)")
        op.execute("ALTER TABLE deposit_demand SET (fillfactor = 70)")
