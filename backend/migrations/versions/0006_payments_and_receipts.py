"""payments and receipts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:58:15.264320
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stripe_event',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('received_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_event'))
    )
    op.create_table('fee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name_fr', sa.String(length=120), nullable=False),
    sa.Column('name_en', sa.String(length=120), nullable=False),
    sa.Column('unit_amount', sa.Integer(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('max_quantity', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_fee_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee'))
    )
    with op.batch_alter_table('fee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_site_id'), ['site_id'], unique=False)

    op.create_table('site_tax',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('rate_ppm', sa.Integer(), nullable=False),
    sa.Column('registration', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_site_tax_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_tax')),
    sa.UniqueConstraint('site_id', 'name', name=op.f('uq_site_tax_site_id_name'))
    )
    with op.batch_alter_table('site_tax', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_tax_site_id'), ['site_id'], unique=False)

    op.create_table('payment_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('state', sa.Enum('open', 'paid', 'cancelled', name='paymentrequeststate', native_enum=False, length=32), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('payer_name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.Enum('fr', 'en', name='language', native_enum=False, length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subtotal', sa.Integer(), nullable=False),
    sa.Column('taxes', sa.JSON(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_by_kiosk_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_kiosk_id'], ['kiosk_device.id'], name=op.f('fk_payment_request_created_by_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_member.id'], name=op.f('fk_payment_request_created_by_staff_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_payment_request_site_id_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], name=op.f('fk_payment_request_visit_id_visit'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_request')),
    sa.UniqueConstraint('code', name=op.f('uq_payment_request_code'))
    )
    with op.batch_alter_table('payment_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_request_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_request_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_request_visit_id'), ['visit_id'], unique=False)

    op.create_table('payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.Enum('card_present', 'checkout', name='paymentmethod', native_enum=False, length=32), nullable=False),
    sa.Column('state', sa.Enum('created', 'waiting', 'succeeded', 'failed', 'cancelled', 'timed_out', 'expired', name='paymentstate', native_enum=False, length=32), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('kiosk_id', sa.Integer(), nullable=True),
    sa.Column('reader_id', sa.String(length=64), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=64), nullable=True),
    sa.Column('checkout_session_id', sa.String(length=128), nullable=True),
    sa.Column('checkout_url', sa.String(length=2000), nullable=True),
    sa.Column('expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('problem', sa.Enum('declined', 'insufficient_funds', 'expired_card', 'lost_or_stolen', 'incorrect_code', 'processing_error', 'reader_unavailable', 'timed_out', 'cancelled', 'expired', name='paymentproblem', native_enum=False, length=32), nullable=True),
    sa.Column('problem_detail', sa.String(length=500), nullable=False),
    sa.Column('card_brand', sa.String(length=30), nullable=False),
    sa.Column('card_last4', sa.String(length=4), nullable=False),
    sa.Column('refunded', sa.Integer(), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['kiosk_id'], ['kiosk_device.id'], name=op.f('fk_payment_kiosk_id_kiosk_device'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['payment_request.id'], name=op.f('fk_payment_request_id_payment_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment')),
    sa.UniqueConstraint('checkout_session_id', name=op.f('uq_payment_checkout_session_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payment_idempotency_key')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_payment_payment_intent_id'))
    )
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_settled_at'), ['settled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_state'), ['state'], unique=False)

    op.create_table('payment_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_amount', sa.Integer(), nullable=False),
    sa.Column('taxable', sa.Boolean(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['payment_request.id'], name=op.f('fk_payment_line_request_id_payment_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_line'))
    )
    with op.batch_alter_table('payment_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_line_request_id'), ['request_id'], unique=False)

    op.create_table('receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('issued_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('printed_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('print_problem', sa.Enum('offline', 'paper_out', 'error', name='printproblem', native_enum=False, length=32), nullable=True),
    sa.Column('emailed_to', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_receipt_payment_id_payment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipt')),
    sa.UniqueConstraint('number', name=op.f('uq_receipt_number')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_receipt_payment_id')),
    sa.UniqueConstraint('token', name=op.f('uq_receipt_token'))
    )
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('stripe_refund_id', sa.String(length=64), nullable=True),
    sa.Column('failure', sa.String(length=500), nullable=False),
    sa.Column('by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_staff_id'], ['staff_member.id'], name=op.f('fk_refund_by_staff_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], name=op.f('fk_refund_payment_id_payment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refund_idempotency_key')),
    sa.UniqueConstraint('stripe_refund_id', name=op.f('uq_refund_stripe_refund_id'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_payment_id'), ['payment_id'], unique=False)

    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_reader_id', sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.drop_column('stripe_reader_id')

    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_payment_id'))

    op.drop_table('refund')
    op.drop_table('receipt')
    with op.batch_alter_table('payment_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_line_request_id'))

    op.drop_table('payment_line')
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_state'))
        batch_op.drop_index(batch_op.f('ix_payment_settled_at'))
        batch_op.drop_index(batch_op.f('ix_payment_request_id'))
        batch_op.drop_index(batch_op.f('ix_payment_created_at'))

    op.drop_table('payment')
    with op.batch_alter_table('payment_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_request_visit_id'))
        batch_op.drop_index(batch_op.f('ix_payment_request_site_id'))
        batch_op.drop_index(batch_op.f('ix_payment_request_created_at'))

    op.drop_table('payment_request')
    with op.batch_alter_table('site_tax', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_tax_site_id'))

    op.drop_table('site_tax')
    with op.batch_alter_table('fee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_site_id'))

    op.drop_table('fee')
    op.drop_table('stripe_event')
