"""client records

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:40:04.064192
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.core.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('person', 'organisation', name='clientkind', native_enum=False, length=32), nullable=False),
    sa.Column('given_name', sa.String(length=200), nullable=False),
    sa.Column('family_name', sa.String(length=200), nullable=False),
    sa.Column('organisation_name', sa.String(length=300), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('phone_alt', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('postal_code', sa.String(length=20), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.Enum('active', 'inactive', 'merged', 'erased', name='clientstatus', native_enum=False, length=32), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('retain_until', sa.Date(), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['merged_into_id'], ['client.id'], name=op.f('fk_client_merged_into_id_client'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name=op.f('fk_client_site_id_site'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client')),
    sa.UniqueConstraint('site_id', 'number', name=op.f('uq_client_site_id_number'))
    )
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_client_phone'), ['phone'], unique=False)
        batch_op.create_index('ix_client_search', ['site_id', 'status'], unique=False)
        batch_op.create_index('ix_client_birth', ['site_id', 'date_of_birth'], unique=False)

    op.create_table('client_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_staff_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=False),
    sa.Column('new_value', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['by_staff_id'], ['staff_member.id'], name=op.f('fk_client_change_by_staff_id_staff_member'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_change_client_id_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_change'))
    )
    with op.batch_alter_table('client_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_change_client_id'), ['client_id'], unique=False)

    op.create_table('client_tag',
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_client_tag_client_id_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', 'tag', name=op.f('pk_client_tag'))
    )
    with op.batch_alter_table('client_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_client_tag_tag'), ['tag'], unique=False)

    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_call_client_id'), ['client_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_call_client_id_client'), 'client', ['client_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('payment_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payment_request_client_id'), ['client_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_request_client_id_client'), 'client', ['client_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_visit_client_id'), ['client_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_visit_client_id_client'), 'client', ['client_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_visit_client_id_client'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_visit_client_id'))
        batch_op.drop_column('client_id')

    with op.batch_alter_table('payment_request', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payment_request_client_id_client'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payment_request_client_id'))
        batch_op.drop_column('client_id')

    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_call_client_id_client'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_call_client_id'))
        batch_op.drop_column('client_id')

    with op.batch_alter_table('client_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_tag_tag'))

    op.drop_table('client_tag')
    with op.batch_alter_table('client_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_client_change_client_id'))

    op.drop_table('client_change')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index('ix_client_search')
        batch_op.drop_index('ix_client_birth')
        batch_op.drop_index(batch_op.f('ix_client_phone'))
        batch_op.drop_index(batch_op.f('ix_client_email'))

    op.drop_table('client')
