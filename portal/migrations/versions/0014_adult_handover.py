"""hand-over to the adult register at 18

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'transition_plans',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('adult_needs', sa.Text(), nullable=False),
        sa.Column('lead_name', sa.String(length=200), nullable=False),
        sa.Column('lead_organisation', sa.String(length=200), nullable=False),
        sa.Column('adult_services', sa.Text(), nullable=True),
        sa.Column('wishes', sa.Text(), nullable=True),
        sa.Column('target_referral_on', sa.Date(), nullable=True),
        sa.Column('written_by', sa.String(length=200), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_transition_plans_entry_id_register_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transition_plans')),
        sa.UniqueConstraint('entry_id', name=op.f('uq_transition_plans_entry_id')),
    )

    op.create_table(
        'adult_referral_answers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=12), nullable=False),
        sa.Column('own_words', sa.Text(), nullable=True),
        sa.Column('via', sa.String(length=20), nullable=False),
        sa.Column('signer_email', sa.String(length=254), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('text_id', sa.Integer(), nullable=False),
        sa.Column('text_version', sa.Integer(), nullable=False),
        sa.Column('text_sha256', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_adult_referral_answers_entry_id_register_entries')),
        sa.ForeignKeyConstraint(['text_id'], ['consent_texts.id'],
                                name=op.f('fk_adult_referral_answers_text_id_consent_texts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_adult_referral_answers')),
    )
    with op.batch_alter_table('adult_referral_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_adult_referral_answers_entry_id'), ['entry_id'],
                              unique=False)

    op.create_table(
        'adult_referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('sent_on', sa.Date(), nullable=False),
        sa.Column('sent_to', sa.String(length=200), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('outcome_on', sa.Date(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('recorded_by', sa.String(length=200), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_adult_referrals_entry_id_register_entries')),
        sa.ForeignKeyConstraint(['answer_id'], ['adult_referral_answers.id'],
                                name=op.f('fk_adult_referrals_answer_id_adult_referral_answers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_adult_referrals')),
        sa.UniqueConstraint('entry_id', name=op.f('uq_adult_referrals_entry_id')),
    )


def downgrade() -> None:
    op.drop_table('adult_referrals')
    with op.batch_alter_table('adult_referral_answers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_adult_referral_answers_entry_id'))
    op.drop_table('adult_referral_answers')
    op.drop_table('transition_plans')
