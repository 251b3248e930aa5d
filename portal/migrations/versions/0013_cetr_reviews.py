"""care, education and treatment reviews from request to outcome

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'cetr_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('requested_on', sa.Date(), nullable=False),
        sa.Column('admitted_on', sa.Date(), nullable=True),
        sa.Column('due_by', sa.Date(), nullable=False),
        sa.Column('booked_for', sa.DateTime(), nullable=True),
        sa.Column('panel', sa.Text(), nullable=True),
        sa.Column('chair', sa.String(length=200), nullable=True),
        sa.Column('papers_due_at', sa.DateTime(), nullable=True),
        sa.Column('papers_sent_at', sa.DateTime(), nullable=True),
        sa.Column('papers_sent_by', sa.String(length=200), nullable=True),
        sa.Column('papers_late', sa.Boolean(), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.Column('panel_notes', sa.Text(), nullable=True),
        sa.Column('cancelled_at', sa.DateTime(), nullable=True),
        sa.Column('cancel_reason', sa.Text(), nullable=True),
        sa.Column('created_by', sa.String(length=200), nullable=False),
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_cetr_reviews_entry_id_register_entries')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cetr_reviews')),
    )
    with op.batch_alter_table('cetr_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cetr_reviews_entry_id'), ['entry_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_cetr_reviews_due_by'), ['due_by'], unique=False)

    op.create_table(
        'cetr_recommendations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['review_id'], ['cetr_reviews.id'],
                                name=op.f('fk_cetr_recommendations_review_id_cetr_reviews')),
        sa.ForeignKeyConstraint(['action_id'], ['register_actions.id'],
                                name=op.f('fk_cetr_recommendations_action_id_register_actions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_cetr_recommendations')),
    )
    with op.batch_alter_table('cetr_recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cetr_recommendations_review_id'), ['review_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_cetr_recommendations_action_id'), ['action_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cetr_recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cetr_recommendations_action_id'))
        batch_op.drop_index(batch_op.f('ix_cetr_recommendations_review_id'))
    op.drop_table('cetr_recommendations')
    with op.batch_alter_table('cetr_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cetr_reviews_due_by'))
        batch_op.drop_index(batch_op.f('ix_cetr_reviews_entry_id'))
    op.drop_table('cetr_reviews')
