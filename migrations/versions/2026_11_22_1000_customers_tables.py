"""customers tables

Revision ID: 20261122_customers
Revises: 20261122_foundation
Create Date: 2026-11-22 03:11:46.513353
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import zhanye.core.db

revision: str = '20261122_customers'
down_revision: str | Sequence[str] | None = '20261122_foundation'
branch_labels: str | Sequence[str] | None = ('customers',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('customers_blacklist',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('list_code', sa.String(length=32), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('id_number_bidx', sa.String(length=64), nullable=False),
    sa.Column('id_number_enc', sa.Text(), nullable=False),
    sa.Column('name_enc', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_customers_blacklist_institution_id_org_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_blacklist'))
    )
    with op.batch_alter_table('customers_blacklist', schema=None) as batch_op:
        batch_op.create_index('ix_customers_blacklist_bidx', ['id_number_bidx', 'active'], unique=False)

    op.create_table('customers_customer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_no', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('id_type', sa.String(length=8), nullable=False),
    sa.Column('id_number_enc', sa.Text(), nullable=False),
    sa.Column('id_number_bidx', sa.String(length=64), nullable=False),
    sa.Column('name_enc', sa.Text(), nullable=False),
    sa.Column('name_bidx', sa.String(length=64), nullable=False),
    sa.Column('mobile_enc', sa.Text(), nullable=True),
    sa.Column('mobile_bidx', sa.String(length=64), nullable=True),
    sa.Column('gender', sa.String(length=1), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('region_code', sa.String(length=12), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('manager_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('identity_verified', sa.Boolean(), nullable=False),
    sa.Column('identity_verified_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mobile_verified', sa.Boolean(), nullable=False),
    sa.Column('face_verified', sa.Boolean(), nullable=False),
    sa.Column('card_verified', sa.Boolean(), nullable=False),
    sa.Column('wizard_step', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_customers_customer_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['manager_id'], ['org_staff.id'], name=op.f('fk_customers_customer_manager_id_org_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_customer')),
    sa.UniqueConstraint('customer_no', name=op.f('uq_customers_customer_customer_no')),
    sa.UniqueConstraint('id_number_bidx', name='uq_customers_customer_id_number_bidx')
    )
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.create_index('ix_customers_customer_inst_created', ['institution_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_customer_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_customer_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index('ix_customers_customer_mobile_bidx', ['mobile_bidx'], unique=False)
        batch_op.create_index('ix_customers_customer_name_bidx', ['name_bidx'], unique=False)

    op.create_table('customers_image',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('purpose', sa.String(length=24), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('original_type', sa.String(length=32), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('thumb_key', sa.String(length=200), nullable=False),
    sa.Column('watermark', sa.String(length=300), nullable=False),
    sa.Column('gps', sa.String(length=64), nullable=True),
    sa.Column('taken_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_customers_image_customer_id_customers_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_image'))
    )
    with op.batch_alter_table('customers_image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_image_customer_id'), ['customer_id'], unique=False)

    op.create_table('customers_interaction',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('staff_id', sa.BigInteger(), nullable=True),
    sa.Column('staff_name', sa.String(length=64), nullable=False),
    sa.Column('at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_customers_interaction_customer_id_customers_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_interaction'))
    )
    with op.batch_alter_table('customers_interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_interaction_customer_id'), ['customer_id'], unique=False)

    op.create_table('customers_section',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('section', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data_enc', sa.Text(), nullable=False),
    sa.Column('changed_fields', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.BigInteger(), nullable=True),
    sa.Column('changed_by_name', sa.String(length=64), nullable=False),
    sa.Column('changed_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_customers_section_customer_id_customers_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_section')),
    sa.UniqueConstraint('customer_id', 'section', 'version', name=op.f('uq_customers_section_customer_id_section_version'))
    )
    op.create_table('customers_verification',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('provider', sa.String(length=64), nullable=False),
    sa.Column('result', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('score', sa.String(length=16), nullable=True),
    sa.Column('card_enc', sa.Text(), nullable=True),
    sa.Column('card_bidx', sa.String(length=64), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('code_expires_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('code_attempts', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.BigInteger(), nullable=True),
    sa.Column('at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_customers_verification_customer_id_customers_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_verification'))
    )
    with op.batch_alter_table('customers_verification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_verification_card_bidx'), ['card_bidx'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_verification_customer_id'), ['customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('customers_verification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_verification_customer_id'))
        batch_op.drop_index(batch_op.f('ix_customers_verification_card_bidx'))

    op.drop_table('customers_verification')
    op.drop_table('customers_section')
    with op.batch_alter_table('customers_interaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_interaction_customer_id'))

    op.drop_table('customers_interaction')
    with op.batch_alter_table('customers_image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_image_customer_id'))

    op.drop_table('customers_image')
    with op.batch_alter_table('customers_customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_customer_name_bidx')
        batch_op.drop_index('ix_customers_customer_mobile_bidx')
        batch_op.drop_index(batch_op.f('ix_customers_customer_manager_id'))
        batch_op.drop_index(batch_op.f('ix_customers_customer_institution_id'))
        batch_op.drop_index('ix_customers_customer_inst_created')

    op.drop_table('customers_customer')
    with op.batch_alter_table('customers_blacklist', schema=None) as batch_op:
        batch_op.drop_index('ix_customers_blacklist_bidx')

    op.drop_table('customers_blacklist')

