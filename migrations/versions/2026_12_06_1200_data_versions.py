"""kernel: data versions raised by triggers

A counter per group of tables (``org``: staff, their roles, institutions) that a trigger on each
table raises in the same transaction as any insert, update or delete, whatever makes it. The staff
list caches its answer and serves it again while the version it was read at stands.

Revision ID: 20261206_data_versions
Revises: 20261206_audit_lanes
Create Date: 2026-12-06 12:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_data_versions"
down_revision: str | Sequence[str] | None = "20261206_audit_lanes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUPS = {"org": ("org_staff", "org_staff_role", "org_institution")}
EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    table = op.create_table(
        "kernel_data_version",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.bulk_insert(table, [{"name": name, "version": 0} for name in GROUPS])
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, tables in GROUPS.items():
        bump = f"UPDATE kernel_data_version SET version = version + 1 WHERE name = '{name}'"  # noqa: S608
        if not sqlite:
            op.execute(sa.text(f"CREATE FUNCTION zhanye_bump_{name}_version() RETURNS trigger LANGUAGE plpgsql AS "
                               f"$$ BEGIN {bump}; RETURN NULL; END $$"))
        for t in tables:
            if sqlite:  # row triggers only; one per event
                for ev in EVENTS:
                    op.execute(sa.text(f"CREATE TRIGGER zy_ver_{t}_{ev.lower()} AFTER {ev} ON {t} "
                                       f"BEGIN {bump}; END"))
            else:
                op.execute(sa.text(f"CREATE TRIGGER zy_ver_{t} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
                                   f"FOR EACH STATEMENT EXECUTE FUNCTION zhanye_bump_{name}_version()"))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, tables in GROUPS.items():
        for t in tables:
            if sqlite:
                for ev in EVENTS:
                    op.execute(sa.text(f"DROP TRIGGER IF EXISTS zy_ver_{t}_{ev.lower()}"))
            else:
                op.execute(sa.text(f"DROP TRIGGER IF EXISTS zy_ver_{t} ON {t}"))
        if not sqlite:
            op.execute(sa.text(f"DROP FUNCTION IF EXISTS zhanye_bump_{name}_version()"))
    op.drop_table("kernel_data_version")
