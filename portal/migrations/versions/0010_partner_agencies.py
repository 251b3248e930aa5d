"""partner agencies: their accounts, updates, meeting contributions and actions

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# SQLite keeps the name of a foreign key added with its column (ALTER TABLE ... ADD
# COLUMN ... CONSTRAINT name REFERENCES) where reflection cannot read it: the convention
# names it again, so batch mode can find it to drop it.
FOREIGN_KEY_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _add_agency_column(table: str) -> None:
    """A nullable agency_id with its foreign key, added in place (no table rebuild)."""
    name = f'fk_{table}_agency_id_agencies'
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN agency_id INTEGER '
                   f'CONSTRAINT {name} REFERENCES agencies (id)')
    else:
        op.add_column(table, sa.Column('agency_id', sa.Integer(), nullable=True))
        op.create_foreign_key(name, table, 'agencies', ['agency_id'], ['id'])
    op.create_index(f'ix_{table}_agency_id', table, ['agency_id'], unique=False)


def upgrade() -> None:
    op.create_table(
        'agencies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
        sa.UniqueConstraint('name', name=op.f('uq_agencies_name')),
    )
    _add_agency_column('staff_users')
    _add_agency_column('register_actions')
    op.add_column('register_actions', sa.Column('accepted_at', sa.DateTime(), nullable=True))
    op.add_column('register_actions', sa.Column('accepted_by', sa.String(length=200),
                                                nullable=True))
    op.add_column('register_actions', sa.Column('closed_by', sa.String(length=200),
                                                nullable=True))
    op.add_column('register_actions', sa.Column('closing_note', sa.Text(), nullable=True))

    op.create_table(
        'partner_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('action_id', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.Column('read_by_keyworker_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'],
                                name=op.f('fk_partner_updates_entry_id_register_entries')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_partner_updates_agency_id_agencies')),
        sa.ForeignKeyConstraint(['author_id'], ['staff_users.id'],
                                name=op.f('fk_partner_updates_author_id_staff_users')),
        sa.ForeignKeyConstraint(['action_id'], ['register_actions.id'],
                                name=op.f('fk_partner_updates_action_id_register_actions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_partner_updates')),
    )
    with op.batch_alter_table('partner_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_updates_entry_id'), ['entry_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_partner_updates_agency_id'), ['agency_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_partner_updates_action_id'), ['action_id'],
                              unique=False)

    op.create_table(
        'meeting_contributions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('entry_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('written_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['entry_id'], ['register_entries.id'],
            name=op.f('fk_meeting_contributions_entry_id_register_entries')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_meeting_contributions_agency_id_agencies')),
        sa.ForeignKeyConstraint(['author_id'], ['staff_users.id'],
                                name=op.f('fk_meeting_contributions_author_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_contributions')),
    )
    with op.batch_alter_table('meeting_contributions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_contributions_entry_id'), ['entry_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_contributions_agency_id'),
                              ['agency_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('meeting_contributions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_contributions_agency_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_contributions_entry_id'))
    op.drop_table('meeting_contributions')
    with op.batch_alter_table('partner_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_updates_action_id'))
        batch_op.drop_index(batch_op.f('ix_partner_updates_agency_id'))
        batch_op.drop_index(batch_op.f('ix_partner_updates_entry_id'))
    op.drop_table('partner_updates')

    with op.batch_alter_table('register_actions', schema=None,
                              naming_convention=FOREIGN_KEY_NAMES) as batch_op:
        batch_op.drop_constraint('fk_register_actions_agency_id_agencies',
                                 type_='foreignkey')
        batch_op.drop_index('ix_register_actions_agency_id')
        batch_op.drop_column('closing_note')
        batch_op.drop_column('closed_by')
        batch_op.drop_column('accepted_by')
        batch_op.drop_column('accepted_at')
        batch_op.drop_column('agency_id')
    with op.batch_alter_table('staff_users', schema=None,
                              naming_convention=FOREIGN_KEY_NAMES) as batch_op:
        batch_op.drop_constraint('fk_staff_users_agency_id_agencies', type_='foreignkey')
        batch_op.drop_index('ix_staff_users_agency_id')
        batch_op.drop_column('agency_id')
    op.drop_table('agencies')
