"""servicing: the business date a promise to pay was made

The end of day settles promises to pay (kept / broken) from the repayments made between the day
of the promise and the promised date; existing promises get the bank's calendar date (Beijing time) they were logged.

Revision ID: 20261206_promise_made_on
Revises: 20261122_lending_servicing
Create Date: 2026-12-06 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_promise_made_on"
down_revision: str | Sequence[str] | None = "20261122_lending_servicing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("servicing_collection_contact") as batch:
        batch.add_column(sa.Column("promise_made_on", sa.Date(), nullable=True))
    # the bank's calendar date (Beijing time) of the logged contact
    day = ("date(created_at, '+8 hours')" if op.get_bind().dialect.name == "sqlite"
           else "CAST((created_at AT TIME ZONE 'Asia/Shanghai') AS DATE)")
    op.execute(sa.text(f"UPDATE servicing_collection_contact SET promise_made_on = {day} "  # noqa: S608
                       "WHERE promise_date IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table("servicing_collection_contact") as batch:
        batch.drop_column("promise_made_on")
