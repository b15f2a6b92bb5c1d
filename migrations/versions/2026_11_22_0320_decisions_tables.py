"""decisions tables

Revision ID: 20261122_decisions_tables
Revises: 20261122_foundation
Create Date: 2026-11-22 03:20:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhanye.core.db

revision: str = '20261122_decisions_tables'
down_revision: str | Sequence[str] | None = '20261122_foundation'
branch_labels: str | Sequence[str] | None = ('decisions',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('decisions_decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('input_schema', sa.JSON(), nullable=False),
    sa.Column('output_schema', sa.JSON(), nullable=False),
    sa.Column('branch_override', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions_decision')),
    sa.UniqueConstraint('key', name=op.f('uq_decisions_decision_key'))
    )
    op.create_table('decisions_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decision_key', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.BigInteger(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('caller', sa.String(length=128), nullable=True),
    sa.Column('input', sa.JSON(), nullable=False),
    sa.Column('output', sa.JSON(), nullable=False),
    sa.Column('trace', sa.JSON(), nullable=True),
    sa.Column('champion_output', sa.JSON(), nullable=True),
    sa.Column('latency_us', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions_record'))
    )
    op.create_index(op.f('ix_decisions_record_caller'), 'decisions_record', ['caller'], unique=False)
    op.create_index('ix_decisions_record_key_at', 'decisions_record', ['decision_key', 'at'], unique=False)
    op.create_index(op.f('ix_decisions_record_version_id'), 'decisions_record', ['version_id'], unique=False)
    op.create_table('decisions_regression',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('candidate_version_id', sa.BigInteger(), nullable=False),
    sa.Column('baseline_version_id', sa.BigInteger(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions_decision.id'], name=op.f('fk_decisions_regression_decision_id_decisions_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions_regression'))
    )
    op.create_index(op.f('ix_decisions_regression_decision_id'), 'decisions_regression', ['decision_id'], unique=False)
    op.create_table('decisions_test_case',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('given', sa.JSON(), nullable=False),
    sa.Column('expect', sa.JSON(), nullable=False),
    sa.Column('match', sa.String(length=16), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions_decision.id'], name=op.f('fk_decisions_test_case_decision_id_decisions_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions_test_case')),
    sa.UniqueConstraint('decision_id', 'name', name=op.f('uq_decisions_test_case_decision_id_name'))
    )
    op.create_index(op.f('ix_decisions_test_case_decision_id'), 'decisions_test_case', ['decision_id'], unique=False)
    op.create_table('decisions_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('submitted_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approver_id', sa.BigInteger(), nullable=True),
    sa.Column('approved_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions_decision.id'], name=op.f('fk_decisions_version_decision_id_decisions_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions_version')),
    sa.UniqueConstraint('decision_id', 'number', name=op.f('uq_decisions_version_decision_id_number'))
    )
    op.create_index(op.f('ix_decisions_version_decision_id'), 'decisions_version', ['decision_id'], unique=False)
    op.create_index(op.f('ix_decisions_version_institution_id'), 'decisions_version', ['institution_id'], unique=False)
    op.create_table('decisions_activation',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('started_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('activated_by', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions_decision.id'], name=op.f('fk_decisions_activation_decision_id_decisions_decision')),
    sa.ForeignKeyConstraint(['version_id'], ['decisions_version.id'], name=op.f('fk_decisions_activation_version_id_decisions_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions_activation'))
    )
    op.create_index('ix_decisions_activation_lookup', 'decisions_activation', ['decision_id', 'institution_id', 'ended_at'], unique=False)
    op.create_table('decisions_route',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=False),
    sa.Column('challenger_version_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('percent', sa.Integer(), nullable=False),
    sa.Column('sticky_field', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenger_version_id'], ['decisions_version.id'], name=op.f('fk_decisions_route_challenger_version_id_decisions_version')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions_decision.id'], name=op.f('fk_decisions_route_decision_id_decisions_decision')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions_route')),
    sa.UniqueConstraint('decision_id', 'institution_id', name=op.f('uq_decisions_route_decision_id_institution_id'))
    )


def downgrade() -> None:
    for table in ('decisions_regression', 'decisions_test_case', 'decisions_route', 'decisions_activation',
                  'decisions_record', 'decisions_version', 'decisions_decision'):
        op.drop_table(table)
