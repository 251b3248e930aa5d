"""professional referrals and children in care

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# Nullable, no constraint: added in place, and dropped in place (SQLite 3.35 and later).
REQUEST_COLUMNS = (
    ('referrer_job', sa.String(length=100)),
    ('referrer_organisation', sa.String(length=200)),
    ('referrer_email', sa.String(length=254)),
    ('consent_from', sa.String(length=12)),
    ('consent_contact_name', sa.String(length=200)),
    ('referrer_may_follow', sa.Boolean()),
    ('care_status', sa.String(length=12)),
    ('care_council', sa.String(length=100)),
)


def upgrade() -> None:
    for name, type_ in REQUEST_COLUMNS:
        op.add_column('support_requests', sa.Column(name, type_, nullable=True))

    op.create_table(
        'council_consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('consent_id', sa.String(length=36), nullable=False),
        sa.Column('council', sa.String(length=100), nullable=False),
        sa.Column('job_title', sa.String(length=100), nullable=False),
        sa.Column('legal_basis', sa.String(length=100), nullable=False),
        sa.Column('recorded_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['consent_id'], ['consents.id'],
                                name=op.f('fk_council_consents_consent_id_consents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_council_consents')),
        sa.UniqueConstraint('consent_id', name=op.f('uq_council_consents_consent_id')),
    )
    op.create_table(
        'entry_contacts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('job', sa.String(length=100), nullable=True),
        sa.Column('organisation', sa.String(length=200), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_entry_contacts_entry_id_register_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_entry_contacts')),
    )
    op.create_index(op.f('ix_entry_contacts_entry_id'), 'entry_contacts', ['entry_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_entry_contacts_entry_id'), table_name='entry_contacts')
    op.drop_table('entry_contacts')
    op.drop_table('council_consents')
    for name, _type in reversed(REQUEST_COLUMNS):
        op.execute(f'ALTER TABLE support_requests DROP COLUMN {name}')
