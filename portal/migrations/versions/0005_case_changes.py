"""the family's status and timeline, unread messages, same-child flags, who signed and
how, staff findings' assessor, the day a child left hospital

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

FAMILY_STATUS = {
    "submitted": "awaiting_consent", "awaiting_consent": "awaiting_consent",
    "ready_for_triage": "with_the_team", "more_info_requested": "more_info_requested",
    "accepted": "on_register", "declined": "not_added", "withdrawn": "withdrawn",
}


def upgrade() -> None:
    op.add_column('support_requests', sa.Column('family_status', sa.String(length=24),
                                                nullable=False, server_default='sent'))
    op.add_column('support_requests', sa.Column('name_key', sa.String(length=200),
                                                nullable=False, server_default=''))
    op.add_column('support_requests', sa.Column('unread_messages', sa.Integer(),
                                                nullable=False, server_default='0'))
    op.add_column('support_requests', sa.Column('possible_duplicate_of_id', sa.Integer(),
                                                nullable=True))
    op.add_column('support_requests', sa.Column('nhs_conflict_with_id', sa.Integer(),
                                                nullable=True))
    op.add_column('support_requests', sa.Column('duplicate_of_id', sa.Integer(),
                                                nullable=True))
    op.create_index('ix_support_requests_nhs_number', 'support_requests', ['nhs_number'])
    op.create_index('ix_support_requests_child', 'support_requests',
                    ['child_date_of_birth', 'name_key'])
    op.create_index('ix_support_requests_unread_messages', 'support_requests',
                    ['unread_messages'])

    op.add_column('request_messages', sa.Column('read_at', sa.DateTime(), nullable=True))
    op.add_column('request_messages', sa.Column('read_by', sa.String(length=200),
                                                nullable=True))

    op.create_table(
        'request_timeline',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=30), nullable=False),
        sa.Column('occurred_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'],
                                name=op.f('fk_request_timeline_request_id_support_requests')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_request_timeline')),
    )
    op.create_index(op.f('ix_request_timeline_request_id'), 'request_timeline', ['request_id'])

    # Append-only tables: a new column is added without touching a row.
    op.add_column('consents', sa.Column('via', sa.String(length=20), nullable=True))
    op.add_column('consents', sa.Column('signer_email', sa.String(length=254), nullable=True))
    op.add_column('consent_staff_findings', sa.Column('recorded_by_id', sa.Integer(),
                                                      nullable=True))
    op.add_column('consent_staff_findings', sa.Column('assessed_by', sa.String(length=200),
                                                      nullable=True))
    op.add_column('consent_staff_findings', sa.Column('assessed_on', sa.Date(),
                                                      nullable=True))

    op.add_column('register_entries', sa.Column('discharged_on', sa.Date(), nullable=True))
    _backfill()


def _backfill() -> None:
    """Existing requests: their name as compared, the family's status and timeline (read
    once from the audit trail, as it stood), and family messages counted as read."""
    bind = op.get_bind()
    requests = sa.table('support_requests', sa.column('id'), sa.column('child_name'),
                        sa.column('state'), sa.column('submitted_at'),
                        sa.column('name_key'), sa.column('family_status'))
    entries = sa.table('register_entries', sa.column('request_id'), sa.column('closed_at'),
                       sa.column('closed_reason'))
    events = sa.table('audit_events', sa.column('id'), sa.column('occurred_at'),
                      sa.column('action'), sa.column('subject_type'), sa.column('subject_id'),
                      sa.column('detail', sa.JSON()))
    timeline = sa.table('request_timeline', sa.column('request_id'), sa.column('step'),
                        sa.column('occurred_at'))
    messages = sa.table('request_messages', sa.column('from_staff'), sa.column('sent_at'),
                        sa.column('read_at'), sa.column('read_by'))
    closed = {row.request_id: row for row in bind.execute(
        sa.select(entries.c.request_id, entries.c.closed_at, entries.c.closed_reason))}
    steps_by_request: dict[int, list[tuple[str, object]]] = {}
    for event in bind.execute(sa.select(events).where(
            events.c.subject_type == 'request').order_by(events.c.id)):
        detail = event.detail or {}
        to = detail.get("to")
        found = steps_by_request.setdefault(int(event.subject_id), [])
        if event.action == "request.state" and to == "ready_for_triage" and \
                detail.get("why") == "consent_complete":
            found.append(("consent_complete", event.occurred_at))
        elif event.action in {"request.assigned", "request.viewed"} and not any(
                s == "being_looked_at" for s, _ in found):
            found.append(("being_looked_at", event.occurred_at))
        elif event.action == "request.state" and to in {
                "more_info_requested", "accepted", "declined", "withdrawn"}:
            found.append((to, event.occurred_at))
    for row in bind.execute(sa.select(requests.c.id, requests.c.child_name, requests.c.state,
                                      requests.c.submitted_at)).all():
        status = FAMILY_STATUS.get(row.state, "awaiting_consent")
        entry = closed.get(row.id)
        if row.state == "accepted" and entry is not None and entry.closed_at is not None:
            status = "withdrawn" if entry.closed_reason == "consent_withdrawn" \
                else "left_register"
        bind.execute(requests.update().where(requests.c.id == row.id).values(
            name_key=" ".join(row.child_name.lower().split()), family_status=status))
        rows = [{"request_id": row.id, "step": "sent", "occurred_at": row.submitted_at}]
        rows += [{"request_id": row.id, "step": step, "occurred_at": at}
                 for step, at in steps_by_request.get(row.id, [])]
        bind.execute(timeline.insert(), rows)
    bind.execute(messages.update().where(messages.c.from_staff.is_(False)).values(
        read_at=messages.c.sent_at, read_by="(read before unread messages were tracked)"))


def downgrade() -> None:
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_column('discharged_on')
    op.drop_index(op.f('ix_request_timeline_request_id'), table_name='request_timeline')
    op.drop_table('request_timeline')
    with op.batch_alter_table('request_messages', schema=None) as batch_op:
        batch_op.drop_column('read_by')
        batch_op.drop_column('read_at')
    op.drop_index('ix_support_requests_unread_messages', table_name='support_requests')
    op.drop_index('ix_support_requests_child', table_name='support_requests')
    op.drop_index('ix_support_requests_nhs_number', table_name='support_requests')
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        for column in ('duplicate_of_id', 'nhs_conflict_with_id', 'possible_duplicate_of_id',
                       'unread_messages', 'name_key', 'family_status'):
            batch_op.drop_column(column)
    # The append-only tables: dropped in place (a rebuild would lose their triggers).
    for table, column in (('consent_staff_findings', 'assessed_on'),
                          ('consent_staff_findings', 'assessed_by'),
                          ('consent_staff_findings', 'recorded_by_id'),
                          ('consents', 'signer_email'), ('consents', 'via')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
