"""client kiosk passes and contact changes

Returning clients identify at the kiosk (client_kiosk_pass keeps the hash of the token they get) and may ask to
change their contact details (contact_change_request, reviewed by a clerk before anything is applied).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 09:00:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('client_kiosk_pass',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_kiosk_pass_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk_device.id'], name=op.f('fk_client_kiosk_pass_kiosk_id_kiosk_device'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_kiosk_pass')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_client_kiosk_pass_token_hash'))
    )
    with op.batch_alter_table('client_kiosk_pass', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_kiosk_pass_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_kiosk_pass_issued_at'), ['issued_at'], unique=False)

    op.create_table('contact_change_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.Enum('pending', 'approved', 'rejected', name='contactchangestate', native_enum=False, length=32), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('proposed_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reject_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_contact_change_request_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk_device.id'], name=op.f('fk_contact_change_request_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['staff_member.id'], name=op.f('fk_contact_change_request_reviewed_by_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_change_request'))
    )
    with op.batch_alter_table('contact_change_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_change_request_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_change_request_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contact_change_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_change_request_state'))
        batch_op.drop_index(batch_op.f('ix_contact_change_request_client_id'))

    op.drop_table('contact_change_request')
    with op.batch_alter_table('client_kiosk_pass', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_kiosk_pass_issued_at'))
        batch_op.drop_index(batch_op.f('ix_client_kiosk_pass_client_id'))

    op.drop_table('client_kiosk_pass')
