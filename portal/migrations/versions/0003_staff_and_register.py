"""staff accounts, triage fields, messages and the register

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:23:51.737767
"""

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_sign_in_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sign_in_attempts'))
    )
    with op.batch_alter_table('staff_sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sign_in_attempts_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_sign_in_attempts_key'), ['key'], unique=False)

    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('totp_confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('totp_last_step', sa.Integer(), nullable=True),
    sa.Column('disabled_at', sa.DateTime(), nullable=True),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('last_signed_in_at', sa.DateTime(), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_users_email'))
    )
    op.create_table('register_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('child_key', sa.String(length=64), nullable=False),
    sa.Column('child_name', sa.String(length=200), nullable=False),
    sa.Column('child_date_of_birth', sa.Date(), nullable=False),
    sa.Column('nhs_number', sa.String(length=10), nullable=True),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.Column('severity', sa.Integer(), nullable=False),
    sa.Column('rating_released', sa.Boolean(), nullable=False),
    sa.Column('keyworker', sa.String(length=200), nullable=True),
    sa.Column('next_review_on', sa.Date(), nullable=False),
    sa.Column('cetr_last_on', sa.Date(), nullable=True),
    sa.Column('cetr_next_on', sa.Date(), nullable=True),
    sa.Column('added_on', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('closed_reason', sa.String(length=40), nullable=True),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_register_entries_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_entries')),
    sa.UniqueConstraint('request_id', name=op.f('uq_register_entries_request_id'))
    )
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_entries_child_date_of_birth'), ['child_date_of_birth'], unique=False)
        batch_op.create_index('ix_register_entries_live_order', ['severity', 'next_review_on', 'id'], unique=False, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_register_entries_next_review_on'), ['next_review_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_register_entries_rating'), ['rating'], unique=False)
        batch_op.create_index('uq_register_entries_active_child', ['child_key'], unique=True, sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))

    op.create_table('request_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('from_staff', sa.Boolean(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_request_messages_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_messages'))
    )
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_messages_request_id'), ['request_id'], unique=False)

    op.create_table('register_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'], name=op.f('fk_register_actions_entry_id_register_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_actions'))
    )
    with op.batch_alter_table('register_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_actions_entry_id'), ['entry_id'], unique=False)

    op.create_table('register_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('written_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'], name=op.f('fk_register_notes_entry_id_register_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_notes'))
    )
    with op.batch_alter_table('register_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_notes_entry_id'), ['entry_id'], unique=False)

    op.create_table('register_rating_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['register_entries.id'], name=op.f('fk_register_rating_changes_entry_id_register_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_rating_changes'))
    )
    with op.batch_alter_table('register_rating_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_rating_changes_entry_id'), ['entry_id'], unique=False)

    op.create_table('register_stats',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'key', name=op.f('pk_register_stats'))
    )
    # Plain ADD COLUMN (no table rebuild on SQLite: other tables refer to this one).
    op.add_column('support_requests', sa.Column('priority', sa.Integer(), nullable=False,
                                                server_default='1'))
    op.execute("UPDATE support_requests SET priority = 0 "
               "WHERE suggested_rating IN ('red', 'blue')")
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE support_requests ADD COLUMN assigned_to_id INTEGER '
                   'CONSTRAINT fk_support_requests_assigned_to_id_staff_users '
                   'REFERENCES staff_users (id)')
    else:
        op.add_column('support_requests', sa.Column('assigned_to_id', sa.Integer(),
                                                    nullable=True))
        op.create_foreign_key('fk_support_requests_assigned_to_id_staff_users',
                              'support_requests', 'staff_users', ['assigned_to_id'], ['id'])
    op.add_column('support_requests', sa.Column('decided_at', sa.DateTime(), nullable=True))
    op.add_column('support_requests', sa.Column('decline_reason', sa.Text(), nullable=True))
    op.add_column('support_requests', sa.Column('decline_help', sa.Text(), nullable=True))
    op.create_index('ix_support_requests_assigned_to_id', 'support_requests',
                    ['assigned_to_id'], unique=False)
    op.create_index('ix_support_requests_decided_at', 'support_requests', ['decided_at'],
                    unique=False)
    op.create_index('ix_support_requests_queue_order', 'support_requests',
                    ['state', 'priority', 'submitted_at', 'id'], unique=False)


# SQLite keeps the name of a foreign key added with its column (ALTER TABLE ... ADD
# COLUMN ... CONSTRAINT name REFERENCES) where reflection cannot read it: the convention
# names it again, so batch mode can find it to drop it.
FOREIGN_KEY_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def downgrade() -> None:
    with op.batch_alter_table('support_requests', schema=None,
                              naming_convention=FOREIGN_KEY_NAMES) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_support_requests_assigned_to_id_staff_users'), type_='foreignkey')
        batch_op.drop_index('ix_support_requests_queue_order')
        batch_op.drop_index(batch_op.f('ix_support_requests_decided_at'))
        batch_op.drop_index(batch_op.f('ix_support_requests_assigned_to_id'))
        batch_op.drop_column('decline_help')
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('decided_at')
        batch_op.drop_column('assigned_to_id')
        batch_op.drop_column('priority')

    with op.batch_alter_table('register_rating_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_rating_changes_entry_id'))

    op.drop_table('register_rating_changes')
    with op.batch_alter_table('register_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_notes_entry_id'))

    op.drop_table('register_notes')
    with op.batch_alter_table('register_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_actions_entry_id'))

    op.drop_table('register_actions')
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_messages_request_id'))

    op.drop_table('request_messages')
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_register_entries_active_child', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_register_entries_rating'))
        batch_op.drop_index(batch_op.f('ix_register_entries_next_review_on'))
        batch_op.drop_index('ix_register_entries_live_order', sqlite_where=sa.text('closed_at IS NULL'), postgresql_where=sa.text('closed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_register_entries_child_date_of_birth'))

    op.drop_table('register_entries')
    op.drop_table('staff_users')
    op.drop_table('register_stats')
    with op.batch_alter_table('staff_sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sign_in_attempts_key'))
        batch_op.drop_index(batch_op.f('ix_staff_sign_in_attempts_at'))

    op.drop_table('staff_sign_in_attempts')
