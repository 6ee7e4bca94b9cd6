"""staff token scope

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:48:27.054954
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.Enum('read', 'write', name='tokenscope', native_enum=False, length=32), server_default='write', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('staff_token', schema=None) as batch_op:
        batch_op.drop_column('scope')

