"""named keyworkers: staff linked to the children they key-work

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# SQLite keeps the name of a foreign key added with its column where reflection cannot
# read it: the convention names it again, so batch mode can find it to drop it.
FOREIGN_KEY_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
KEYWORKER_FK = 'fk_register_entries_keyworker_staff_id_staff_users'


def upgrade() -> None:
    # A nullable column with its foreign key, added in place (no table rebuild).
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE register_entries ADD COLUMN keyworker_staff_id INTEGER '
                   f'CONSTRAINT {KEYWORKER_FK} REFERENCES staff_users (id)')
    else:
        op.add_column('register_entries',
                      sa.Column('keyworker_staff_id', sa.Integer(), nullable=True))
        op.create_foreign_key(KEYWORKER_FK, 'register_entries', 'staff_users',
                              ['keyworker_staff_id'], ['id'])
    op.create_index('ix_register_entries_keyworker_staff_id', 'register_entries',
                    ['keyworker_staff_id'], unique=False)

    op.create_table(
        'keyworker_reads',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('seen_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_keyworker_reads_entry_id_register_entries')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'],
                                name=op.f('fk_keyworker_reads_staff_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_keyworker_reads')),
        sa.UniqueConstraint('entry_id', 'staff_id', name=op.f('uq_keyworker_reads_entry_id')),
    )
    with op.batch_alter_table('keyworker_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keyworker_reads_entry_id'), ['entry_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_keyworker_reads_staff_id'), ['staff_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('keyworker_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keyworker_reads_staff_id'))
        batch_op.drop_index(batch_op.f('ix_keyworker_reads_entry_id'))
    op.drop_table('keyworker_reads')
    with op.batch_alter_table('register_entries', schema=None,
                              naming_convention=FOREIGN_KEY_NAMES) as batch_op:
        batch_op.drop_constraint(KEYWORKER_FK, type_='foreignkey')
        batch_op.drop_index('ix_register_entries_keyworker_staff_id')
        batch_op.drop_column('keyworker_staff_id')
