"""client imports

Imports of client spreadsheets started from the panel: the file kept between the steps, then the progress and
report of the background task that applies it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 08:55:00.000000
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('client_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('upload', sa.String(length=80), nullable=False),
    sa.Column('state', sa.Enum('waiting', 'running', 'done', 'refused', 'failed', 'abandoned', name='importstate', native_enum=False, length=32), nullable=False),
    sa.Column('mapping', sa.Text(), nullable=False),
    sa.Column('skip_duplicates', sa.Boolean(), nullable=False),
    sa.Column('phase', sa.String(length=20), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_client_import_site_id_site'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['started_by_id'], ['staff_member.id'], name=op.f('fk_client_import_started_by_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_import'))
    )
    with op.batch_alter_table('client_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_import_site_id'), ['site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_import_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('client_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_import_state'))
        batch_op.drop_index(batch_op.f('ix_client_import_site_id'))

    op.drop_table('client_import')
