"""online channel: customer sessions

Revision ID: 20261203_online_sessions
Revises: 20261122_customers
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhanye.core.db

revision: str = "20261203_online_sessions"
down_revision: str | Sequence[str] | None = "20261122_customers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "online_session",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("institution_id", _ID, nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.Column("created_at", zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers_customer.id"],
                                name=op.f("fk_online_session_customer_id_customers_customer")),
        sa.ForeignKeyConstraint(["institution_id"], ["org_institution.id"],
                                name=op.f("fk_online_session_institution_id_org_institution")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_online_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_online_session_token_hash")),
    )
    with op.batch_alter_table("online_session", schema=None) as batch_op:
        batch_op.create_index("ix_online_session_customer", ["customer_id", "revoked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("online_session", schema=None) as batch_op:
        batch_op.drop_index("ix_online_session_customer")
    op.drop_table("online_session")
