"""lending origination: applications, credit lines, drawdowns, offline payments, usage vouchers

Revision ID: 20261122_lending_origination
Revises: 20261122_lending_products
Create Date: 2026-11-22 03:23
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import zhanye.core.db

revision: str = '20261122_lending_origination'
down_revision: str | Sequence[str] | None = '20261122_lending_products'
branch_labels: str | Sequence[str] | None = ('lending_origination',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('origination_application',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('guarantee', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('payee_name', sa.String(length=100), nullable=True),
    sa.Column('payee_account_enc', sa.Text(), nullable=True),
    sa.Column('payee_account_masked', sa.String(length=32), nullable=True),
    sa.Column('payee_bank', sa.String(length=100), nullable=True),
    sa.Column('image_refs', sa.Text(), nullable=False),
    sa.Column('declared_json', sa.Text(), nullable=False),
    sa.Column('bureau_json', sa.Text(), nullable=True),
    sa.Column('facts_json', sa.Text(), nullable=True),
    sa.Column('admission_record_id', sa.BigInteger(), nullable=True),
    sa.Column('rating_record_id', sa.BigInteger(), nullable=True),
    sa.Column('pricing_record_id', sa.BigInteger(), nullable=True),
    sa.Column('decision_json', sa.Text(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('offered_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('offered_rate', sa.Numeric(precision=12, scale=8), nullable=True),
    sa.Column('offered_spread_bp', sa.Integer(), nullable=True),
    sa.Column('offered_term_months', sa.Integer(), nullable=True),
    sa.Column('approval_instance_id', sa.BigInteger(), nullable=True),
    sa.Column('approval_returned', sa.Boolean(), nullable=False),
    sa.Column('approved_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('approved_rate', sa.Numeric(precision=12, scale=8), nullable=True),
    sa.Column('approved_term_months', sa.Integer(), nullable=True),
    sa.Column('approval_comment', sa.String(length=500), nullable=True),
    sa.Column('line_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_origination_application_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['product_id'], ['lending_product.id'], name=op.f('fk_origination_application_product_id_lending_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_application')),
    sa.UniqueConstraint('number', name=op.f('uq_origination_application_number'))
    )
    with op.batch_alter_table('origination_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_application_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_origination_application_inst_state', ['institution_id', 'state'], unique=False)
    op.create_table('origination_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('campaign_id', sa.BigInteger(), nullable=True),
    sa.Column('household_id', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('freeze_reason', sa.String(length=200), nullable=True),
    sa.Column('frozen_by', sa.String(length=64), nullable=True),
    sa.Column('frozen_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('limit_fen', sa.BigInteger(), nullable=False),
    sa.Column('used_fen', sa.BigInteger(), nullable=False),
    sa.Column('drawn_total_fen', sa.BigInteger(), nullable=False),
    sa.Column('rate_type', sa.String(length=16), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('spread_bp', sa.Integer(), nullable=True),
    sa.Column('revolving', sa.Boolean(), nullable=False),
    sa.Column('max_term_months', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('contract_id', sa.BigInteger(), nullable=True),
    sa.Column('decision_record_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activated_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['origination_application.id'], name=op.f('fk_origination_line_application_id_origination_application')),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_origination_line_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['product_id'], ['lending_product.id'], name=op.f('fk_origination_line_product_id_lending_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_line')),
    sa.UniqueConstraint('number', name=op.f('uq_origination_line_number'))
    )
    with op.batch_alter_table('origination_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_line_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_origination_line_inst_status', ['institution_id', 'status'], unique=False)
        batch_op.create_index('ix_origination_line_valid_until', ['status', 'valid_until'], unique=False)
    op.create_table('origination_drawdown',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('request_key', sa.String(length=160), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('line_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger(), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('payment_mode', sa.String(length=16), nullable=False),
    sa.Column('payee_name', sa.String(length=100), nullable=True),
    sa.Column('payee_account_enc', sa.Text(), nullable=True),
    sa.Column('payee_account_masked', sa.String(length=32), nullable=True),
    sa.Column('payee_bank', sa.String(length=100), nullable=True),
    sa.Column('repay_account_id', sa.BigInteger(), nullable=False),
    sa.Column('loan_id', sa.BigInteger(), nullable=True),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('clearing_ref', sa.String(length=64), nullable=True),
    sa.Column('clearing_status', sa.String(length=16), nullable=True),
    sa.Column('voucher_status', sa.String(length=16), nullable=False),
    sa.Column('voucher_due_on', sa.Date(), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_origination_drawdown_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['line_id'], ['origination_line.id'], name=op.f('fk_origination_drawdown_line_id_origination_line')),
    sa.ForeignKeyConstraint(['product_id'], ['lending_product.id'], name=op.f('fk_origination_drawdown_product_id_lending_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_drawdown')),
    sa.UniqueConstraint('number', name=op.f('uq_origination_drawdown_number')),
    sa.UniqueConstraint('request_key', name=op.f('uq_origination_drawdown_request_key'))
    )
    with op.batch_alter_table('origination_drawdown', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_drawdown_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_origination_drawdown_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_origination_drawdown_line_id'), ['line_id'], unique=False)
        batch_op.create_index('ix_origination_drawdown_voucher', ['voucher_status', 'voucher_due_on'], unique=False)
    op.create_table('origination_offline_payment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('drawdown_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('counterparty', sa.String(length=100), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('image_refs', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_by', sa.String(length=64), nullable=True),
    sa.Column('reviewed_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['drawdown_id'], ['origination_drawdown.id'], name=op.f('fk_origination_offline_payment_drawdown_id_origination_drawdown')),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_origination_offline_payment_institution_id_org_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_offline_payment'))
    )
    with op.batch_alter_table('origination_offline_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_offline_payment_drawdown_id'), ['drawdown_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_origination_offline_payment_institution_id'), ['institution_id'], unique=False)
    op.create_table('origination_usage_voucher',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('drawdown_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('image_refs', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['drawdown_id'], ['origination_drawdown.id'], name=op.f('fk_origination_usage_voucher_drawdown_id_origination_drawdown')),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_origination_usage_voucher_institution_id_org_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_origination_usage_voucher'))
    )
    with op.batch_alter_table('origination_usage_voucher', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_origination_usage_voucher_drawdown_id'), ['drawdown_id'], unique=False)


def downgrade() -> None:
    op.drop_table('origination_usage_voucher')
    op.drop_table('origination_offline_payment')
    op.drop_table('origination_drawdown')
    op.drop_table('origination_line')
    op.drop_table('origination_application')
