"""foundation

Revision ID: 20261122_foundation
Revises:
Create Date: 2026-11-22 03:01:58.527734
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


import zhanye.core.db

revision: str = '20261122_foundation'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kernel_audit',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('actor_username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('institution_id', sa.BigInteger(), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kernel_audit'))
    )
    with op.batch_alter_table('kernel_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kernel_audit_action'), ['action'], unique=False)
        batch_op.create_index('ix_kernel_audit_actor', ['actor_id', 'at'], unique=False)
        batch_op.create_index('ix_kernel_audit_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kernel_audit_request_id'), ['request_id'], unique=False)

    op.create_table('kernel_audit_head',
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('last_id', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_kernel_audit_head'))
    )
    op.create_table('kernel_business_date',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Date(), nullable=False),
    sa.Column('updated_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_kernel_business_date'))
    )
    op.create_table('kernel_calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_kernel_calendar_day'))
    )
    op.create_table('kernel_idempotency',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('scope', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response_body', sa.Text(), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kernel_idempotency')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_kernel_idempotency_scope_key'))
    )
    op.create_table('kernel_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kernel_outbox'))
    )
    with op.batch_alter_table('kernel_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kernel_outbox_topic'), ['topic'], unique=False)

    op.create_table('kernel_setting',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_kernel_setting'))
    )
    op.create_table('org_institution',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['org_institution.id'], name=op.f('fk_org_institution_parent_id_org_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_institution')),
    sa.UniqueConstraint('code', name=op.f('uq_org_institution_code'))
    )
    with op.batch_alter_table('org_institution', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_institution_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_org_institution_path', ['path'], unique=False)

    op.create_table('org_permission',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name_zh', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_org_permission'))
    )
    op.create_table('org_role',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_org_role'))
    )
    op.create_table('org_role_permission',
    sa.Column('role_code', sa.String(length=32), nullable=False),
    sa.Column('permission_code', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['permission_code'], ['org_permission.code'], name=op.f('fk_org_role_permission_permission_code_org_permission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_code'], ['org_role.code'], name=op.f('fk_org_role_permission_role_code_org_role'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_code', 'permission_code', name=op.f('pk_org_role_permission'))
    )
    op.create_table('org_staff',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('employee_no', sa.String(length=32), nullable=True),
    sa.Column('institution_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('password_changed_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_login_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('authz_version', sa.Integer(), nullable=False),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['org_institution.id'], name=op.f('fk_org_staff_institution_id_org_institution')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_staff')),
    sa.UniqueConstraint('employee_no', name=op.f('uq_org_staff_employee_no')),
    sa.UniqueConstraint('username', name=op.f('uq_org_staff_username'))
    )
    with op.batch_alter_table('org_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_staff_institution_id'), ['institution_id'], unique=False)

    op.create_table('org_session',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', zhanye.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('client_ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['org_staff.id'], name=op.f('fk_org_session_staff_id_org_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_org_session_token_hash'))
    )
    with op.batch_alter_table('org_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_session_staff_id'), ['staff_id'], unique=False)

    op.create_table('org_staff_role',
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['role_code'], ['org_role.code'], name=op.f('fk_org_staff_role_role_code_org_role')),
    sa.ForeignKeyConstraint(['staff_id'], ['org_staff.id'], name=op.f('fk_org_staff_role_staff_id_org_staff'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_id', 'role_code', name=op.f('pk_org_staff_role'))
    )


def downgrade() -> None:
    op.drop_table('org_staff_role')
    with op.batch_alter_table('org_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_session_staff_id'))

    op.drop_table('org_session')
    with op.batch_alter_table('org_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_staff_institution_id'))

    op.drop_table('org_staff')
    op.drop_table('org_role_permission')
    op.drop_table('org_role')
    op.drop_table('org_permission')
    with op.batch_alter_table('org_institution', schema=None) as batch_op:
        batch_op.drop_index('ix_org_institution_path')
        batch_op.drop_index(batch_op.f('ix_org_institution_parent_id'))

    op.drop_table('org_institution')
    op.drop_table('kernel_setting')
    with op.batch_alter_table('kernel_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kernel_outbox_topic'))

    op.drop_table('kernel_outbox')
    op.drop_table('kernel_idempotency')
    op.drop_table('kernel_calendar_day')
    op.drop_table('kernel_business_date')
    op.drop_table('kernel_audit_head')
    with op.batch_alter_table('kernel_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kernel_audit_request_id'))
        batch_op.drop_index('ix_kernel_audit_object')
        batch_op.drop_index('ix_kernel_audit_actor')
        batch_op.drop_index(batch_op.f('ix_kernel_audit_action'))

    op.drop_table('kernel_audit')
