"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-30 00:07:22.834187
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_type', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)

    op.create_table('site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=500), nullable=False),
    sa.Column('time_zone', sa.String(length=64), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site'))
    )
    op.create_table('staff_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('login', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('listed_at_kiosk', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_member')),
    sa.UniqueConstraint('login', name=op.f('uq_staff_member_login'))
    )
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_department_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('site_id', 'name_en', name=op.f('uq_department_site_id_name_en')),
    sa.UniqueConstraint('site_id', 'name_fr', name=op.f('uq_department_site_id_name_fr'))
    )
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_site_id'), ['site_id'], unique=False)

    op.create_table('kiosk_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_kiosk_device_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_device')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_kiosk_device_token_hash'))
    )
    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_device_site_id'), ['site_id'], unique=False)

    op.create_table('staff_role',
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('admin', 'receptionist', 'department_staff', 'clerk', name='role', native_enum=False, length=32), nullable=False),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_staff_role_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_member_id', 'role', name=op.f('pk_staff_role'))
    )
    op.create_table('staff_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_staff_token_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_token_token_hash'))
    )
    with op.batch_alter_table('staff_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_token_staff_member_id'), ['staff_member_id'], unique=False)

    op.create_table('visitor_type',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_visitor_type_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visitor_type')),
    sa.UniqueConstraint('site_id', 'key', name=op.f('uq_visitor_type_site_id_key'))
    )
    with op.batch_alter_table('visitor_type', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visitor_type_site_id'), ['site_id'], unique=False)

    op.create_table('department_membership',
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_department_membership_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_department_membership_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('staff_member_id', 'department_id', name=op.f('pk_department_membership'))
    )
    with op.batch_alter_table('department_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_membership_department_id'), ['department_id'], unique=False)

    op.create_table('idempotent_reply',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk_device.id'], name=op.f('fk_idempotent_reply_kiosk_id_kiosk_device'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_reply')),
    sa.UniqueConstraint('kiosk_id', 'key', name=op.f('uq_idempotent_reply_kiosk_id_key'))
    )
    op.create_table('visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('checked_in', 'acknowledged', 'in_meeting', 'checked_out', 'cancelled', 'no_show', name='visitstate', native_enum=False, length=32), nullable=False),
    sa.Column('visitor_name', sa.String(length=200), nullable=False),
    sa.Column('visitor_phone', sa.String(length=40), nullable=True),
    sa.Column('visitor_email', sa.String(length=254), nullable=True),
    sa.Column('visitor_type_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=True),
    sa.Column('custom_fields', sa.JSON(), nullable=False),
    sa.Column('language', sa.Enum('fr', 'en', name='language', native_enum=False, length=32), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.Column('checked_in_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_visit_department_id_department')),
    sa.ForeignKeyConstraint(['host_id'], ['staff_member.id'], name=op.f('fk_visit_host_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk_device.id'], name=op.f('fk_visit_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_visit_site_id_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visitor_type_id'], ['visitor_type.id'], name=op.f('fk_visit_visitor_type_id_visitor_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit')),
    sa.UniqueConstraint('code', name=op.f('uq_visit_code'))
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_checked_in_at'), ['checked_in_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_host_id'), ['host_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_kiosk_id'), ['kiosk_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_visitor_type_id'), ['visitor_type_id'], unique=False)

    op.create_table('visitor_field',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor_type_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=50), nullable=False),
    sa.Column('kind', sa.Enum('text', 'choice', 'yes_no', 'phone', 'email', 'date', name='fieldkind', native_enum=False, length=32), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('label_fr', sa.String(length=200), nullable=False),
    sa.Column('label_en', sa.String(length=200), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['visitor_type_id'], ['visitor_type.id'], name=op.f('fk_visitor_field_visitor_type_id_visitor_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visitor_field')),
    sa.UniqueConstraint('visitor_type_id', 'key', name=op.f('uq_visitor_field_visitor_type_id_key'))
    )
    with op.batch_alter_table('visitor_field', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visitor_field_visitor_type_id'), ['visitor_type_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['staff_member.id'], name=op.f('fk_notification_acknowledged_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_id'], ['staff_member.id'], name=op.f('fk_notification_recipient_id_staff_member'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_notification_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_recipient_id'), ['recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_visit_id'), ['visit_id'], unique=False)

    op.create_table('visit_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.Enum('checked_in', 'acknowledged', 'in_meeting', 'checked_out', 'cancelled', 'no_show', name='visitstate', native_enum=False, length=32), nullable=True),
    sa.Column('to_state', sa.Enum('checked_in', 'acknowledged', 'in_meeting', 'checked_out', 'cancelled', 'no_show', name='visitstate', native_enum=False, length=32), nullable=False),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_staff_id', sa.Integer(), nullable=True),
    sa.Column('by_kiosk_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_kiosk_id'], ['kiosk_device.id'], name=op.f('fk_visit_transition_by_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['by_staff_id'], ['staff_member.id'], name=op.f('fk_visit_transition_by_staff_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_visit_transition_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_transition'))
    )
    with op.batch_alter_table('visit_transition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_transition_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('visit_transition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_transition_visit_id'))

    op.drop_table('visit_transition')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_visit_id'))
        batch_op.drop_index(batch_op.f('ix_notification_recipient_id'))

    op.drop_table('notification')
    with op.batch_alter_table('visitor_field', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visitor_field_visitor_type_id'))

    op.drop_table('visitor_field')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_visitor_type_id'))
        batch_op.drop_index(batch_op.f('ix_visit_state'))
        batch_op.drop_index(batch_op.f('ix_visit_site_id'))
        batch_op.drop_index(batch_op.f('ix_visit_kiosk_id'))
        batch_op.drop_index(batch_op.f('ix_visit_host_id'))
        batch_op.drop_index(batch_op.f('ix_visit_department_id'))
        batch_op.drop_index(batch_op.f('ix_visit_checked_in_at'))

    op.drop_table('visit')
    op.drop_table('idempotent_reply')
    with op.batch_alter_table('department_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_membership_department_id'))

    op.drop_table('department_membership')
    with op.batch_alter_table('visitor_type', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visitor_type_site_id'))

    op.drop_table('visitor_type')
    with op.batch_alter_table('staff_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_token_staff_member_id'))

    op.drop_table('staff_token')
    op.drop_table('staff_role')
    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_device_site_id'))

    op.drop_table('kiosk_device')
    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_site_id'))

    op.drop_table('department')
    op.drop_table('staff_member')
    op.drop_table('site')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
