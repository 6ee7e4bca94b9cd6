"""calls, routing rules and escalations

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:43:28.764476
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_channel',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.Enum('email', 'slack', 'teams', name='deliverychannel', native_enum=False, length=32), nullable=False),
    sa.Column('target', sa.String(length=2000), nullable=False),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_contact_channel_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_channel')),
    sa.UniqueConstraint('staff_member_id', 'channel', 'target', name=op.f('uq_contact_channel_staff_member_id_channel_target'))
    )
    with op.batch_alter_table('contact_channel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_channel_staff_member_id'), ['staff_member_id'], unique=False)

    op.create_table('call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('desk', 'twilio', 'phone_system', name='callsource', native_enum=False, length=32), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('caller_name', sa.String(length=200), nullable=False),
    sa.Column('caller_number', sa.String(length=40), nullable=False),
    sa.Column('client_name', sa.String(length=200), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('staff_member_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Enum('ringing', 'answered', 'transferred', 'message_taken', 'callback_requested', 'voicemail', 'missed', name='calloutcome', native_enum=False, length=32), nullable=False),
    sa.Column('recording_url', sa.String(length=2000), nullable=False),
    sa.Column('received_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('message_state', sa.Enum('none', 'open', 'acknowledged', 'done', name='messagestate', native_enum=False, length=32), nullable=False),
    sa.Column('acknowledged_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('done_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['staff_member.id'], name=op.f('fk_call_acknowledged_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_call_department_id_department'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['done_by_id'], ['staff_member.id'], name=op.f('fk_call_done_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['logged_by_id'], ['staff_member.id'], name=op.f('fk_call_logged_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_call_staff_member_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call')),
    sa.UniqueConstraint('source', 'external_id', name=op.f('uq_call_source_external_id'))
    )
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_message_state'), ['message_state'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_staff_member_id'), ['staff_member_id'], unique=False)

    op.create_table('duty_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_duty_slot_department_id_department'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_duty_slot_staff_member_id_staff_member'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duty_slot'))
    )
    with op.batch_alter_table('duty_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_duty_slot_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_duty_slot_staff_member_id'), ['staff_member_id'], unique=False)

    op.create_table('opening_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Time(), nullable=False),
    sa.Column('closes', sa.Time(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_opening_hours_department_id_department'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_hours'))
    )
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_hours_department_id'), ['department_id'], unique=False)

    op.create_table('call_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_call_event_call_id_call'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_event'))
    )
    with op.batch_alter_table('call_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_event_call_id'), ['call_id'], unique=False)

    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('about', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=50), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('chain', sa.JSON(), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('delay_seconds', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('open', 'acknowledged', 'exhausted', name='escalationstate', native_enum=False, length=32), nullable=False),
    sa.Column('next_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['staff_member.id'], name=op.f('fk_escalation_acknowledged_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], name=op.f('fk_escalation_call_id_call'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_escalation_department_id_department'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_escalation_visit_id_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation')),
    sa.UniqueConstraint('about', name=op.f('uq_escalation_about'))
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index('ix_escalation_due', ['state', 'next_at'], unique=False)

    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), server_default='', nullable=False))
        batch_op.add_column(sa.Column('email', sa.String(length=254), server_default='', nullable=False))
        batch_op.add_column(sa.Column('fallback_department_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('escalate_after_seconds', sa.Integer(), server_default='120', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_department_fallback_department_id_department'), 'department', ['fallback_department_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_call_id'), ['call_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_call_id_call'), 'call', ['call_id'], ['id'], ondelete='CASCADE')



def downgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_call_id_call'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_call_id'))
        batch_op.drop_column('call_id')

    with op.batch_alter_table('department', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_department_fallback_department_id_department'), type_='foreignkey')
        batch_op.drop_column('escalate_after_seconds')
        batch_op.drop_column('fallback_department_id')
        batch_op.drop_column('email')
        batch_op.drop_column('phone')

    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index('ix_escalation_due')

    op.drop_table('escalation')
    with op.batch_alter_table('call_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_event_call_id'))

    op.drop_table('call_event')
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_hours_department_id'))

    op.drop_table('opening_hours')
    with op.batch_alter_table('duty_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duty_slot_staff_member_id'))
        batch_op.drop_index(batch_op.f('ix_duty_slot_department_id'))

    op.drop_table('duty_slot')
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_staff_member_id'))
        batch_op.drop_index(batch_op.f('ix_call_received_at'))
        batch_op.drop_index(batch_op.f('ix_call_message_state'))
        batch_op.drop_index(batch_op.f('ix_call_department_id'))

    op.drop_table('call')
    with op.batch_alter_table('contact_channel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_channel_staff_member_id'))

    op.drop_table('contact_channel')
