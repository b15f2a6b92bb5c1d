"""kernel: audit lanes

The audit trail becomes up to 8 hash chains (lanes) so that concurrent writers on PostgreSQL do
not all queue for one head row. The existing chain is lane 0 (head ``main``, ids unchanged); lane
k's head ``lane{k}`` starts at id k * 2**40 with the genesis hash. The audit list orders by ``at``.

Revision ID: 20261206_audit_lanes
Revises: 20261206_promise_made_on
Create Date: 2026-12-06 10:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_audit_lanes"
down_revision: str | Sequence[str] | None = "20261206_promise_made_on"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LANE_SPAN = 1 << 40
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    op.create_index("ix_kernel_audit_at", "kernel_audit", ["at"])
    head = sa.table("kernel_audit_head", sa.column("name", sa.String), sa.column("last_id", sa.BigInteger),
                    sa.column("last_hash", sa.String))
    have = {r[0] for r in op.get_bind().execute(sa.select(head.c.name))}
    rows = [{"name": "main" if k == 0 else f"lane{k}", "last_id": k * LANE_SPAN, "last_hash": GENESIS_HASH}
            for k in range(8)]
    op.bulk_insert(head, [r for r in rows if r["name"] not in have])


def downgrade() -> None:
    # one chain again only if no record was written to another lane (their records would not verify)
    written = op.get_bind().execute(sa.text("SELECT count(*) FROM kernel_audit WHERE id > :span"),
                                    {"span": LANE_SPAN}).scalar()
    if written:
        raise RuntimeError(f"{written} audit records are in lanes 1-7: the single-chain revision cannot verify them")
    for k in range(1, 8):
        op.execute(sa.text("DELETE FROM kernel_audit_head WHERE name = :name AND last_id = :genesis")
                   .bindparams(name=f"lane{k}", genesis=k * LANE_SPAN))
    op.drop_index("ix_kernel_audit_at", "kernel_audit")
