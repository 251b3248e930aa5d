"""the monthly return to NHS England, and the history it is worked out from

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ENTRY_COLUMNS = (('sex', 20), ('ethnicity', 1), ('local_authority', 200))
# Two fixed texts of SQL: the day an entry was added, as the start of that day.
BACKFILL = ("INSERT INTO keyworker_changes (entry_id, keyworker, keyworker_staff_id, "
            "changed_at, changed_by) SELECT id, keyworker, keyworker_staff_id, {began}, "
            "'When the history began' FROM register_entries "
            "WHERE keyworker IS NOT NULL OR keyworker_staff_id IS NOT NULL")


def upgrade() -> None:
    for name, length in ENTRY_COLUMNS:  # nullable, no constraint: added in place
        op.add_column('register_entries', sa.Column(name, sa.String(length=length),
                                                    nullable=True))

    op.create_table(
        'keyworker_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('keyworker', sa.String(length=200), nullable=True),
        sa.Column('keyworker_staff_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.Column('changed_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_keyworker_changes_entry_id_register_entries')),
        sa.ForeignKeyConstraint(['keyworker_staff_id'], ['staff_users.id'],
                                name=op.f('fk_keyworker_changes_keyworker_staff_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_keyworker_changes')),
    )
    op.create_index(op.f('ix_keyworker_changes_entry_id'), 'keyworker_changes', ['entry_id'],
                    unique=False)

    op.create_table(
        'return_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.Column('figures_hash', sa.String(length=64), nullable=False),
        sa.Column('kept_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_snapshots')),
        sa.UniqueConstraint('month', name=op.f('uq_return_snapshots_month')),
    )

    op.create_table(
        'return_sign_offs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('signed_by', sa.String(length=200), nullable=False),
        sa.Column('signed_by_id', sa.Integer(), nullable=True),
        sa.Column('signed_at', sa.DateTime(), nullable=False),
        sa.Column('figures', sa.Text(), nullable=False),
        sa.Column('figures_hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['signed_by_id'], ['staff_users.id'],
                                name=op.f('fk_return_sign_offs_signed_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_sign_offs')),
    )
    op.create_index(op.f('ix_return_sign_offs_month'), 'return_sign_offs', ['month'],
                    unique=False)

    # The history starts with every entry's keyworker as it is now, from the day it was
    # added (the best that is known of the past).
    began = ("CAST(added_on AS TIMESTAMP)" if op.get_bind().dialect.name == 'postgresql'
             else "added_on || ' 00:00:00.000000'")
    op.execute(BACKFILL.format(began=began))

def downgrade() -> None:
    op.drop_index(op.f('ix_return_sign_offs_month'), table_name='return_sign_offs')
    op.drop_table('return_sign_offs')
    op.drop_table('return_snapshots')
    op.drop_index(op.f('ix_keyworker_changes_entry_id'), table_name='keyworker_changes')
    op.drop_table('keyworker_changes')
    for name, _length in reversed(ENTRY_COLUMNS):
        # SQLite drops a plain column in place (3.35 and later), as PostgreSQL does.
        op.execute(f'ALTER TABLE register_entries DROP COLUMN {name}')
