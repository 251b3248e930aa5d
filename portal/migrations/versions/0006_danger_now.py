"""requests whose answers showed someone may be in danger now

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from portal.domain.danger import shows_danger_now

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OWN_WORDS = ('risks_in_own_words', 'tried', 'would_help', 'communication_needs')


def upgrade() -> None:
    op.add_column('support_requests', sa.Column('danger_now', sa.Boolean(), nullable=False,
                                                server_default=sa.false()))
    _backfill()


def _backfill() -> None:
    """Requests sent before: the same rule, read once from their answers."""
    bind = op.get_bind()
    requests = sa.table('support_requests', sa.column('id'), sa.column('risks', sa.JSON()),
                        *(sa.column(name) for name in OWN_WORDS), sa.column('danger_now'))
    rows = bind.execute(sa.select(requests).execution_options(yield_per=1000))
    found = [row.id for row in rows
             if shows_danger_now(risks=row.risks or [],
                                 texts=[getattr(row, name) for name in OWN_WORDS])]
    for start in range(0, len(found), 500):
        bind.execute(requests.update().where(requests.c.id.in_(found[start:start + 500]))
                     .values(danger_now=True))


def downgrade() -> None:
    # Dropped in place: rebuilding the table (batch mode on SQLite) would have to drop a
    # table that others refer to.
    op.execute('ALTER TABLE support_requests DROP COLUMN danger_now')
