"""finding a child and hearing about urgent requests

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from portal.domain.names import SOUNDS_KEY_LENGTH, sounds_key

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('staff_users', sa.Column('on_duty', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.add_column('support_requests', sa.Column(
        'name_sounds', sa.String(length=SOUNDS_KEY_LENGTH), nullable=False,
        server_default=''))
    _backfill()
    # Finding a child by name scans this narrow index, not the wide table.
    op.create_index('ix_support_requests_name_search', 'support_requests',
                    ['name_sounds', 'name_key', 'archived_at'], unique=False)


def _backfill() -> None:
    """Requests sent before: the sounds of their children's names, worked out once."""
    bind = op.get_bind()
    requests = sa.table('support_requests', sa.column('id'), sa.column('child_name'),
                        sa.column('child_preferred_name'), sa.column('name_sounds'))
    rows = bind.execute(sa.select(requests.c.id, requests.c.child_name,
                                  requests.c.child_preferred_name)).all()
    values = [{'row_id': row.id, 'sounds': sounds_key(row.child_name,
                                                      row.child_preferred_name)}
              for row in rows]
    change = (requests.update().where(requests.c.id == sa.bindparam('row_id'))
              .values(name_sounds=sa.bindparam('sounds')))
    for start in range(0, len(values), 1000):
        bind.execute(change, values[start:start + 1000])


def downgrade() -> None:
    # Dropped in place: rebuilding the tables (batch mode on SQLite) would have to drop
    # tables that others refer to.
    op.drop_index('ix_support_requests_name_search', table_name='support_requests')
    op.execute('ALTER TABLE support_requests DROP COLUMN name_sounds')
    op.execute('ALTER TABLE staff_users DROP COLUMN on_duty')
