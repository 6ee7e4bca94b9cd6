"""client documents

The documents filed in a client's file: one row per filing; the bytes are files under the data dir, named by
their SHA-256 (backend.documents.storage), which is why nothing here holds them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 06:55:14.572942
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('client_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('identity', 'insurance', 'contract', 'report', 'correspondence', 'other', name='documentcategory', native_enum=False, length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=True),
    sa.Column('retain_until', sa.Date(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('stored_at', sa.String(length=80), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_document_client_id_client'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_member.id'], name=op.f('fk_client_document_uploaded_by_id_staff_member'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_document'))
    )
    with op.batch_alter_table('client_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_document_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_document_sha256'), ['sha256'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('client_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_document_sha256'))
        batch_op.drop_index(batch_op.f('ix_client_document_client_id'))

    op.drop_table('client_document')
