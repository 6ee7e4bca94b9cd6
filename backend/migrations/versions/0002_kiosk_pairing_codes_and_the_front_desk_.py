"""kiosk pairing codes and the front desk phone

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:18:50.998216
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pairing_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pairing_expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_kiosk_device_pairing_code_hash'), ['pairing_code_hash'])

    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=False, server_default=''))



def downgrade() -> None:
    with op.batch_alter_table('site', schema=None) as batch_op:
        batch_op.drop_column('phone')

    with op.batch_alter_table('kiosk_device', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_kiosk_device_pairing_code_hash'), type_='unique')
        batch_op.drop_column('pairing_expires_at')
        batch_op.drop_column('pairing_code_hash')

