"""family access, family updates, evidence documents, keyworker contact

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:37:35.075862
"""

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('family_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_family_accounts_email'))
    )
    op.create_table('evidence_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_evidence_documents_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_documents')),
    sa.UniqueConstraint('code', name=op.f('uq_evidence_documents_code'))
    )
    with op.batch_alter_table('evidence_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_documents_request_id'), ['request_id'], unique=False)

    op.create_table('family_access',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_family_access_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_access')),
    sa.UniqueConstraint('request_id', 'email', name=op.f('uq_family_access_request_id'))
    )
    with op.batch_alter_table('family_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_access_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_access_request_id'), ['request_id'], unique=False)

    op.create_table('family_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('admitted', sa.Boolean(), nullable=False),
    sa.Column('sent_by', sa.String(length=254), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('handled_at', sa.DateTime(), nullable=True),
    sa.Column('handled_by', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_family_updates_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_updates'))
    )
    with op.batch_alter_table('family_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_updates_handled_at'), ['handled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_updates_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_family_updates_sent_at'), ['sent_at'], unique=False)

    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyworker_contact', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('flag', sa.String(length=40), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_column('flag')
        batch_op.drop_column('keyworker_contact')

    with op.batch_alter_table('family_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_updates_sent_at'))
        batch_op.drop_index(batch_op.f('ix_family_updates_request_id'))
        batch_op.drop_index(batch_op.f('ix_family_updates_handled_at'))

    op.drop_table('family_updates')
    with op.batch_alter_table('family_access', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_access_request_id'))
        batch_op.drop_index(batch_op.f('ix_family_access_email'))

    op.drop_table('family_access')
    with op.batch_alter_table('evidence_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_documents_request_id'))

    op.drop_table('evidence_documents')
    op.drop_table('family_accounts')
