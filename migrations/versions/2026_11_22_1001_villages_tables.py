"""villages tables

Revision ID: 20261122_villages
Revises: 20261122_customers
Create Date: 2026-11-22 03:11:46.513353
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import zhanye.core.db

revision: str = '20261122_villages'
down_revision: str | Sequence[str] | None = '20261122_customers'
branch_labels: str | Sequence[str] | None = ('villages',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('villages_division',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_villages_division_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['parent_id'], ['villages_division.id'], name=op.f('fk_villages_division_parent_id_villages_division')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages_division')),
    sa.UniqueConstraint('code', name=op.f('uq_villages_division_code'))
    )
    with op.batch_alter_table('villages_division', schema=None) as batch_op:
        batch_op.create_index('ix_villages_division_inst', ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_villages_division_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_villages_division_path', ['path'], unique=False)

    op.create_table('villages_campaign',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_villages_campaign_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['village_id'], ['villages_division.id'], name=op.f('fk_villages_campaign_village_id_villages_division')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages_campaign'))
    )
    with op.batch_alter_table('villages_campaign', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_villages_campaign_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_villages_campaign_village_id'), ['village_id'], unique=False)

    op.create_table('villages_household',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('hamlet_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('household_no', sa.String(length=32), nullable=False),
    sa.Column('head_name_enc', sa.Text(), nullable=False),
    sa.Column('head_id_enc', sa.Text(), nullable=True),
    sa.Column('head_id_bidx', sa.String(length=64), nullable=True),
    sa.Column('phone_enc', sa.Text(), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['hamlet_id'], ['villages_division.id'], name=op.f('fk_villages_household_hamlet_id_villages_division')),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_villages_household_institution_id_org_institution')),
    sa.ForeignKeyConstraint(['village_id'], ['villages_division.id'], name=op.f('fk_villages_household_village_id_villages_division')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages_household')),
    sa.UniqueConstraint('village_id', 'household_no', name=op.f('uq_villages_household_village_id_household_no'))
    )
    with op.batch_alter_table('villages_household', schema=None) as batch_op:
        batch_op.create_index('ix_villages_household_hamlet', ['hamlet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_villages_household_head_id_bidx'), ['head_id_bidx'], unique=False)
        batch_op.create_index(batch_op.f('ix_villages_household_institution_id'), ['institution_id'], unique=False)

    op.create_table('villages_manager_village',
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('assigned_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['org_staff.id'], name=op.f('fk_villages_manager_village_staff_id_org_staff'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages_division.id'], name=op.f('fk_villages_manager_village_village_id_villages_division'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'village_id', name=op.f('pk_villages_manager_village'))
    )
    with op.batch_alter_table('villages_manager_village', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_villages_manager_village_village_id'), ['village_id'], unique=False)

    op.create_table('villages_campaign_household',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('household_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('visit_status', sa.String(length=16), nullable=False),
    sa.Column('visited_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('filed', sa.Boolean(), nullable=False),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('precredit_limit_fen', sa.BigInteger(), nullable=True),
    sa.Column('precredit_source', sa.String(length=64), nullable=True),
    sa.Column('precredited_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('drawn', sa.Boolean(), nullable=False),
    sa.Column('drawn_fen', sa.BigInteger(), nullable=False),
    sa.Column('drawn_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['villages_campaign.id'], name=op.f('fk_villages_campaign_household_campaign_id_villages_campaign')),
    sa.ForeignKeyConstraint(['household_id'], ['villages_household.id'], name=op.f('fk_villages_campaign_household_household_id_villages_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages_campaign_household')),
    sa.UniqueConstraint('campaign_id', 'household_id', name=op.f('uq_villages_campaign_household_campaign_id_household_id'))
    )
    with op.batch_alter_table('villages_campaign_household', schema=None) as batch_op:
        batch_op.create_index('ix_villages_campaign_household_hh', ['household_id'], unique=False)

    op.create_table('villages_member',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('household_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('relation', sa.String(length=16), nullable=False),
    sa.Column('name_enc', sa.Text(), nullable=False),
    sa.Column('id_enc', sa.Text(), nullable=True),
    sa.Column('id_bidx', sa.String(length=64), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers_customer.id'], name=op.f('fk_villages_member_customer_id_customers_customer')),
    sa.ForeignKeyConstraint(['household_id'], ['villages_household.id'], name=op.f('fk_villages_member_household_id_villages_household'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages_member'))
    )
    with op.batch_alter_table('villages_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_villages_member_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_villages_member_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_villages_member_id_bidx'), ['id_bidx'], unique=False)

    op.create_table('villages_review',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('household_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('members_present', sa.String(length=500), nullable=False),
    sa.Column('opinion', sa.String(length=16), nullable=False),
    sa.Column('recommended_limit_fen', sa.BigInteger(), nullable=True),
    sa.Column('minutes', sa.String(length=2000), nullable=True),
    sa.Column('minutes_key', sa.String(length=200), nullable=True),
    sa.Column('reviewed_by', sa.BigInteger(), nullable=True),
    sa.Column('reviewed_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['villages_campaign.id'], name=op.f('fk_villages_review_campaign_id_villages_campaign')),
    sa.ForeignKeyConstraint(['household_id'], ['villages_household.id'], name=op.f('fk_villages_review_household_id_villages_household')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages_review'))
    )
    with op.batch_alter_table('villages_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_villages_review_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_villages_review_household_id'), ['household_id'], unique=False)

    op.create_table('villages_roster_import',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['villages_campaign.id'], name=op.f('fk_villages_roster_import_campaign_id_villages_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_villages_roster_import'))
    )
    with op.batch_alter_table('villages_roster_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_villages_roster_import_campaign_id'), ['campaign_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('villages_roster_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_roster_import_campaign_id'))

    op.drop_table('villages_roster_import')
    with op.batch_alter_table('villages_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_review_household_id'))
        batch_op.drop_index(batch_op.f('ix_villages_review_campaign_id'))

    op.drop_table('villages_review')
    with op.batch_alter_table('villages_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_member_id_bidx'))
        batch_op.drop_index(batch_op.f('ix_villages_member_household_id'))
        batch_op.drop_index(batch_op.f('ix_villages_member_customer_id'))

    op.drop_table('villages_member')
    with op.batch_alter_table('villages_campaign_household', schema=None) as batch_op:
        batch_op.drop_index('ix_villages_campaign_household_hh')

    op.drop_table('villages_campaign_household')
    with op.batch_alter_table('villages_manager_village', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_manager_village_village_id'))

    op.drop_table('villages_manager_village')
    with op.batch_alter_table('villages_household', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_household_institution_id'))
        batch_op.drop_index(batch_op.f('ix_villages_household_head_id_bidx'))
        batch_op.drop_index('ix_villages_household_hamlet')

    op.drop_table('villages_household')
    with op.batch_alter_table('villages_campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_villages_campaign_village_id'))
        batch_op.drop_index(batch_op.f('ix_villages_campaign_institution_id'))

    op.drop_table('villages_campaign')
    with op.batch_alter_table('villages_division', schema=None) as batch_op:
        batch_op.drop_index('ix_villages_division_path')
        batch_op.drop_index(batch_op.f('ix_villages_division_parent_id'))
        batch_op.drop_index('ix_villages_division_inst')

    op.drop_table('villages_division')

