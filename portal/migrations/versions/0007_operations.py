"""running it: emails claimed by one sender, retried with back-off; scheduled job runs;
archived requests and entries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages') as batch:
        # Which sender holds the message, and until when (after that another may take it).
        batch.add_column(sa.Column('claimed_by', sa.String(100), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))
        # Not before this time (a retry waits); NULL means at once.
        batch.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        # The body was cleared after sending (retention); the row stays as the record.
        batch.add_column(sa.Column('body_removed_at', sa.DateTime(), nullable=True))
    op.create_index('ix_outbox_messages_next_attempt_at', 'outbox_messages',
                    ['next_attempt_at'])

    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('job', sa.String(60), nullable=False),
        # The period this run is for ("2026-11-23" for a daily job): one run per period.
        sa.Column('period', sa.String(40), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('worker', sa.String(100), nullable=True),
        sa.Column('outcome', sa.String(20), nullable=True),
        sa.Column('summary', sa.Text(), nullable=True),
        sa.UniqueConstraint('job', 'period', name='uq_job_runs_job_period'),
    )

    for table in ('support_requests', 'register_entries'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('archived_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    # Columns dropped in place: rebuilding these tables (batch mode on SQLite) would have to
    # drop tables that others refer to.
    for table in ('register_entries', 'support_requests'):
        op.execute(f'ALTER TABLE {table} DROP COLUMN archived_at')
    op.drop_table('job_runs')
    op.drop_index('ix_outbox_messages_next_attempt_at', table_name='outbox_messages')
    for column in ('body_removed_at', 'next_attempt_at', 'claimed_until', 'claimed_by'):
        op.execute(f'ALTER TABLE outbox_messages DROP COLUMN {column}')
