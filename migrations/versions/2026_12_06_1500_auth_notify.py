"""org: NOTIFY zhanye_auth on every change to what a token look-up reads (PostgreSQL)

Each server process keeps a cache of resolved session tokens and a listener on this channel
(``zhanye.org.auth_listener``); these triggers send the notification in the transaction of the
change, whatever code or SQL makes it, and PostgreSQL delivers it when that transaction commits.
Statement-level triggers; PostgreSQL folds repeated notifications of one transaction into one.
The listener uses its cache only when every trigger is in place and enabled. Nothing on SQLite
(each hit is checked there by ``PRAGMA data_version``).

Revision ID: 20261206_auth_notify
Revises: 20261206_data_versions
Create Date: 2026-12-06 15:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_auth_notify"
down_revision: str | Sequence[str] | None = "20261206_data_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as zhanye.org.principal_cache.WATCHED_TABLES at the time of this revision
TABLES = ("kernel_business_date", "kernel_data_version", "kernel_setting", "org_institution", "org_role_permission",
          "org_session", "org_staff", "org_staff_role")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(sa.text("CREATE FUNCTION zhanye_notify_auth() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN PERFORM pg_notify('zhanye_auth', TG_TABLE_NAME); RETURN NULL; END $$"))
    for t in TABLES:
        op.execute(sa.text(f"CREATE TRIGGER zy_auth_{t} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION zhanye_notify_auth()"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for t in TABLES:
        op.execute(sa.text(f"DROP TRIGGER IF EXISTS zy_auth_{t} ON {t}"))
    op.execute(sa.text("DROP FUNCTION IF EXISTS zhanye_notify_auth()"))
