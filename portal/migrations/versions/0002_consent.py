"""consent: versioned texts, signatures, withdrawals, staff findings (all append-only)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:01:02.167401
"""

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_texts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('published_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_texts')),
    sa.UniqueConstraint('audience', 'locale', 'version', name=op.f('uq_consent_texts_audience'))
    )
    op.create_table('consent_staff_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('finding', sa.String(length=40), nullable=False),
    sa.Column('recorded_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_consent_staff_findings_request_id_support_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_staff_findings'))
    )
    with op.batch_alter_table('consent_staff_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consent_staff_findings_request_id'), ['request_id'], unique=False)

    op.create_table('consents',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('signer_role', sa.String(length=20), nullable=False),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('relationship', sa.String(length=100), nullable=False),
    sa.Column('parental_responsibility', sa.Boolean(), nullable=False),
    sa.Column('decision', sa.String(length=12), nullable=False),
    sa.Column('own_words', sa.Text(), nullable=True),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('text_id', sa.Integer(), nullable=False),
    sa.Column('text_version', sa.Integer(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_consents_request_id_support_requests')),
    sa.ForeignKeyConstraint(['text_id'], ['consent_texts.id'], name=op.f('fk_consents_text_id_consent_texts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_request_id'), ['request_id'], unique=False)

    op.create_table('consent_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.String(length=36), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_by_name', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], name=op.f('fk_consent_withdrawals_consent_id_consents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_withdrawals')),
    sa.UniqueConstraint('consent_id', name=op.f('uq_consent_withdrawals_consent_id'))
    )
    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subject', sa.String(length=254), nullable=True))
        batch_op.create_index(batch_op.f('ix_email_links_request_id'), ['request_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_email_links_request_id_support_requests'), 'support_requests', ['request_id'], ['id'], ondelete='CASCADE')

    for table in APPEND_ONLY:
        _append_only(table)


APPEND_ONLY = ("consent_texts", "consents", "consent_withdrawals", "consent_staff_findings")


def _append_only(table: str) -> None:
    """The database itself refuses to change or remove a row of this table."""
    message = f"{table} is append-only"
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END; $$ LANGUAGE plpgsql")
        op.execute(f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")



def downgrade() -> None:
    for table in APPEND_ONLY:
        _drop_append_only(table)
    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_email_links_request_id_support_requests'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_email_links_request_id'))
        batch_op.drop_column('subject')
        batch_op.drop_column('request_id')

    op.drop_table('consent_withdrawals')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_request_id'))

    op.drop_table('consents')
    with op.batch_alter_table('consent_staff_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_staff_findings_request_id'))

    op.drop_table('consent_staff_findings')
    op.drop_table('consent_texts')
