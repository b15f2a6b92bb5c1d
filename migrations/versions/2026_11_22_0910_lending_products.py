"""lending products

Revision ID: 20261122_lending_products
Revises: 20261122_foundation
Create Date: 2026-11-22 03:10:13.641342
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import zhanye.core.db

revision: str = '20261122_lending_products'
down_revision: str | Sequence[str] | None = '20261122_foundation'
branch_labels: str | Sequence[str] | None = ('lending',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lending_lpr',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tenor', sa.String(length=8), nullable=False),
    sa.Column('rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_lpr')),
    sa.UniqueConstraint('tenor', 'effective_date', name=op.f('uq_lending_lpr_tenor_effective_date'))
    )
    op.create_table('lending_product',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('purpose_category', sa.String(length=32), nullable=False),
    sa.Column('customer_type', sa.String(length=32), nullable=False),
    sa.Column('min_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('max_amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('min_term_months', sa.Integer(), nullable=False),
    sa.Column('max_term_months', sa.Integer(), nullable=False),
    sa.Column('rate_type', sa.String(length=16), nullable=False),
    sa.Column('lpr_tenor', sa.String(length=8), nullable=True),
    sa.Column('fixed_rate_min', sa.Numeric(precision=12, scale=8), nullable=True),
    sa.Column('fixed_rate_max', sa.Numeric(precision=12, scale=8), nullable=True),
    sa.Column('spread_min_bp', sa.Integer(), nullable=True),
    sa.Column('spread_max_bp', sa.Integer(), nullable=True),
    sa.Column('repayment_methods', sa.String(length=128), nullable=False),
    sa.Column('repayment_day_rule', sa.String(length=32), nullable=False),
    sa.Column('grace_days', sa.Integer(), nullable=False),
    sa.Column('penalty_uplift', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('compound_interest', sa.Boolean(), nullable=False),
    sa.Column('allocation_order', sa.String(length=128), nullable=False),
    sa.Column('guarantee_types', sa.String(length=128), nullable=False),
    sa.Column('revolving', sa.Boolean(), nullable=False),
    sa.Column('line_validity_months', sa.Integer(), nullable=False),
    sa.Column('entrusted_threshold_fen', sa.BigInteger(), nullable=False),
    sa.Column('prepayment_fee_rule', sa.String(length=64), nullable=False),
    sa.Column('admission_decision_key', sa.String(length=64), nullable=False),
    sa.Column('pricing_decision_key', sa.String(length=64), nullable=False),
    sa.Column('approval_process_key', sa.String(length=64), nullable=False),
    sa.Column('approval_mode', sa.String(length=16), nullable=False),
    sa.Column('change_note', sa.String(length=500), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_product')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_lending_product_code_version'))
    )
    with op.batch_alter_table('lending_product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lending_product_code'), ['code'], unique=False)
    op.create_table('lending_seal_key',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('public_key_hex', sa.String(length=130), nullable=False),
    sa.Column('private_key_enc', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_seal_key'))
    )
    op.create_table('lending_sms_code',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_sms_code'))
    )
    with op.batch_alter_table('lending_sms_code', schema=None) as batch_op:
        batch_op.create_index('ix_lending_sms_code_obj', ['purpose', 'object_id'], unique=False)
    op.create_table('lending_contract',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('template_code', sa.String(length=32), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('template_sm3', sa.String(length=64), nullable=False),
    sa.Column('source_type', sa.String(length=32), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('customer_ref', sa.String(length=64), nullable=True),
    sa.Column('customer_name_enc', sa.Text(), nullable=False),
    sa.Column('customer_name_masked', sa.String(length=64), nullable=False),
    sa.Column('customer_id_no_enc', sa.Text(), nullable=False),
    sa.Column('customer_id_no_masked', sa.String(length=32), nullable=False),
    sa.Column('customer_phone_enc', sa.Text(), nullable=False),
    sa.Column('customer_phone_masked', sa.String(length=20), nullable=False),
    sa.Column('product_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('annual_rate', sa.Numeric(precision=12, scale=8), nullable=False),
    sa.Column('months', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=True),
    sa.Column('terms_json', sa.Text(), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('signed_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('pdf_path', sa.String(length=300), nullable=True),
    sa.Column('pdf_sm3', sa.String(length=64), nullable=True),
    sa.Column('pdf_bytes', sa.BigInteger(), nullable=True),
    sa.Column('customer_public_key_hex', sa.String(length=130), nullable=True),
    sa.Column('customer_cert', sa.Text(), nullable=True),
    sa.Column('customer_signature_hex', sa.String(length=300), nullable=True),
    sa.Column('seal_key_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('bank_signature_hex', sa.String(length=300), nullable=True),
    sa.Column('signed_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_lending_contract_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['product_id'], ['lending_product.id'], name=op.f('fk_lending_contract_product_id_lending_product')),
    sa.ForeignKeyConstraint(['seal_key_id'], ['lending_seal_key.id'], name=op.f('fk_lending_contract_seal_key_id_lending_seal_key')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lending_contract')),
    sa.UniqueConstraint('number', name=op.f('uq_lending_contract_number'))
    )
    with op.batch_alter_table('lending_contract', schema=None) as batch_op:
        batch_op.create_index('ix_lending_contract_inst_status', ['institution_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lending_contract', schema=None) as batch_op:
        batch_op.drop_index('ix_lending_contract_inst_status')
    op.drop_table('lending_contract')
    with op.batch_alter_table('lending_sms_code', schema=None) as batch_op:
        batch_op.drop_index('ix_lending_sms_code_obj')
    op.drop_table('lending_sms_code')
    op.drop_table('lending_seal_key')
    with op.batch_alter_table('lending_product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lending_product_code'))
    op.drop_table('lending_product')
    op.drop_table('lending_lpr')
