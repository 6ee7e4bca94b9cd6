"""payroll cheques

Employees paid by cheque, the payroll runs a payroll company issues, each cheque with its history, and the one
handover per cheque (a unique constraint: a cheque is never handed out twice). Signature images are files under
the data dir named by their SHA-256 (backend.documents.storage), which is why nothing here holds them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 09:05:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('employee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('given_name', sa.String(length=200), nullable=False),
    sa.Column('family_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=True),
    sa.Column('pin_hash', sa.String(length=200), nullable=True),
    sa.Column('pin_failures', sa.Integer(), nullable=False),
    sa.Column('kiosk_locked_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('collection_token_hash', sa.String(length=64), nullable=True),
    sa.Column('collection_kiosk_id', sa.Integer(), nullable=True),
    sa.Column('collection_expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collection_kiosk_id'], ['kiosk_device.id'], name=op.f('fk_employee_collection_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_employee_site_id_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_employee_staff_member_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employee')),
    sa.UniqueConstraint('collection_token_hash', name=op.f('uq_employee_collection_token_hash')),
    sa.UniqueConstraint('site_id', 'number', name=op.f('uq_employee_site_id_number')),
    sa.UniqueConstraint('staff_member_id', name=op.f('uq_employee_staff_member_id'))
    )
    op.create_table('payroll_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('pay_date', sa.Date(), nullable=False),
    sa.Column('payroll_company', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum('awaiting_pickup', 'collected', 'closed', name='runstate', native_enum=False, length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('pickup_assignee_id', sa.Integer(), nullable=True),
    sa.Column('pickup_due_on', sa.Date(), nullable=True),
    sa.Column('pickup_reminded_on', sa.Date(), nullable=True),
    sa.Column('collected_by_id', sa.Integer(), nullable=True),
    sa.Column('collected_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('collected_count', sa.Integer(), nullable=True),
    sa.Column('missing_note', sa.String(length=1000), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['collected_by_id'], ['staff_member.id'], name=op.f('fk_payroll_run_collected_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_member.id'], name=op.f('fk_payroll_run_created_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pickup_assignee_id'], ['staff_member.id'], name=op.f('fk_payroll_run_pickup_assignee_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_payroll_run_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payroll_run'))
    )
    with op.batch_alter_table('payroll_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payroll_run_pickup_assignee_id'), ['pickup_assignee_id'], unique=False)
        batch_op.create_index('ix_payroll_run_site_pay_date', ['site_id', 'pay_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_payroll_run_state'), ['state'], unique=False)

    op.create_table('cheque',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.Enum('expected', 'missing', 'at_desk', 'held', 'requested', 'handed_over', 'delegated', 'voided', 'returned', name='chequestatus', native_enum=False, length=32), nullable=False),
    sa.Column('follow_up_on', sa.Date(), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('requested_kiosk_id', sa.Integer(), nullable=True),
    sa.Column('requested_signature_sha256', sa.String(length=64), nullable=True),
    sa.Column('ready_told_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['employee_id'], ['employee.id'], name=op.f('fk_cheque_employee_id_employee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['cheque.id'], name=op.f('fk_cheque_replaced_by_id_cheque'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_kiosk_id'], ['kiosk_device.id'], name=op.f('fk_cheque_requested_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['payroll_run.id'], name=op.f('fk_cheque_run_id_payroll_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cheque')),
    sa.UniqueConstraint('replaced_by_id', name=op.f('uq_cheque_replaced_by_id')),
    sa.UniqueConstraint('run_id', 'number', name=op.f('uq_cheque_run_id_number'))
    )
    with op.batch_alter_table('cheque', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cheque_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cheque_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cheque_status'), ['status'], unique=False)

    op.create_table('cheque_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cheque_id', sa.Integer(), nullable=False),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=True),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('other_cheque', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['cheque_id'], ['cheque.id'], name=op.f('fk_cheque_event_cheque_id_cheque'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk_device.id'], name=op.f('fk_cheque_event_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_cheque_event_staff_member_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cheque_event'))
    )
    with op.batch_alter_table('cheque_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cheque_event_cheque_id'), ['cheque_id'], unique=False)

    op.create_table('cheque_handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cheque_id', sa.Integer(), nullable=False),
    sa.Column('given_by_id', sa.Integer(), nullable=True),
    sa.Column('given_by_name', sa.String(length=200), nullable=False),
    sa.Column('delegate_name', sa.String(length=200), nullable=False),
    sa.Column('authorisation_note', sa.String(length=1000), nullable=False),
    sa.Column('authorisation_sha256', sa.String(length=64), nullable=True),
    sa.Column('authorisation_media_type', sa.String(length=100), nullable=False),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proof', sa.Enum('signature', 'pin', 'pin_signature', name='proofkind', native_enum=False, length=32), nullable=False),
    sa.Column('signature_sha256', sa.String(length=64), nullable=True),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['cheque_id'], ['cheque.id'], name=op.f('fk_cheque_handover_cheque_id_cheque'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['given_by_id'], ['staff_member.id'], name=op.f('fk_cheque_handover_given_by_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk_device.id'], name=op.f('fk_cheque_handover_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cheque_handover')),
    sa.UniqueConstraint('cheque_id', name=op.f('uq_cheque_handover_cheque_id'))
    )


def downgrade() -> None:
    op.drop_table('cheque_handover')
    with op.batch_alter_table('cheque_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cheque_event_cheque_id'))

    op.drop_table('cheque_event')
    with op.batch_alter_table('cheque', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cheque_status'))
        batch_op.drop_index(batch_op.f('ix_cheque_run_id'))
        batch_op.drop_index(batch_op.f('ix_cheque_employee_id'))

    op.drop_table('cheque')
    with op.batch_alter_table('payroll_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payroll_run_state'))
        batch_op.drop_index('ix_payroll_run_site_pay_date')
        batch_op.drop_index(batch_op.f('ix_payroll_run_pickup_assignee_id'))

    op.drop_table('payroll_run')
    op.drop_table('employee')
